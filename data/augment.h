// Training augmentation (paper sec. 4.2: random flip, random rotation, colour disturbance) plus the
// crop to the patch size. Every geometric step is ONE inverse map applied to all five maps —
// bilinear for input/gt/over, nearest for edge/seg (labels must stay labels) — so they stay aligned.
// With no small-angle rotation the map sends pixel centres to pixel centres and the copy is exact.
// Colour jitter applies the same transform to input, gt and over, so the (input, target, negative)
// triple stays consistent; edge and seg are untouched by colour.
//
// Rotation by up to max_angle_deg (<= 45; quarter turns cover the rest) about the patch centre: a
// P x P patch rotated by a reaches a source span of (P - 1)(|cos a| + |sin a|) between its corner
// pixel centres, so it fits a source of n pixels (the smaller side) when that span, rounded to the
// integer crop grid, is at most n - 1: exactly when (P-1)/2 * (|cos a| + |sin a|) <= (P-1)/2 +
// floor((n - P) / 2). Where the full range [-a, a] does not fit, the range is shrunk to the largest
// angle that does (the same uniform draw scaled), so the angle stays uniform over what fits; a
// source of exactly the patch size gets no rotation. Examples: patch 128 in a 256 sample fits any
// angle; patch 128 needs 182 px for 45 degrees; patch 64 in a 96 sample fits 45 degrees as well.
//
// Colour, in this fixed order (torchvision ColorJitter's transforms in its default order, each
// clamped to [0, 1]): brightness factor f (x -> f x), then contrast c, saturation s and the
// additive shift (x -> mean + c (grey + s (x - grey) - mean) + shift, mean = the gt's mean grey
// after the brightness factor, one pivot for all three maps), then the hue shift (H in HSV moved
// by h turns, i.e. h * 360 degrees, wrapping).
#pragma once
#include "data/sample.h"

namespace csgis {
class Generator;
}

namespace csgis::data {

struct AugmentConfig {
  int patch = 128;            // output is patch x patch
  bool random_crop = true;    // false: centred crop
  bool hflip = true;          // with probability 1/2
  bool rot90 = true;          // k * 90 degrees, k uniform in 0..3
  float max_angle_deg = 10.f; // rotation, uniform in [-a, a], a <= 45; 0 = off. Shrunk to what the
                              // source's margin allows (see above; no invented corners).
  float brightness = 0.1f;    // additive shift, uniform in [-b, b]
  float brightness_factor_lo = 1.f, brightness_factor_hi = 1.f;  // multiplicative, uniform in [lo, hi]
  float contrast = 0.1f;      // factor uniform in [1-c, 1+c], around the gt's mean grey
  bool use_contrast_range = false;  // true: the contrast factor is uniform in [lo, hi] instead
  float contrast_lo = 1.f, contrast_hi = 1.f;
  float saturation = 0.1f;    // factor uniform in [1-s, 1+s], around each pixel's grey
  float hue = 0.f;            // hue shift uniform in [-h, h] turns, h <= 0.5; 0 = off
  // Centre crop only: validation and tests.
  static AugmentConfig none(int patch);
};

// The sample cropped/transformed to cfg.patch. Throws, naming the sample, when it is smaller than
// the patch. Draws a fixed number of values from gen whatever the flags, in a fixed order.
Sample augment(const Sample& s, const AugmentConfig& cfg, Generator& gen);

// Building blocks (exact pixel permutations), public for tests.
Sample flip_horizontal(const Sample& s);
Sample rotate90(const Sample& s, int k);  // k quarter turns counter-clockwise (k may be negative)
// brightness shift, contrast and saturation factors as described above, same for input/gt/over.
void colour_jitter(Sample& s, float brightness, float contrast, float saturation);
// x -> clamp(factor * x) on input, gt and over (torchvision adjust_brightness).
void scale_brightness(Sample& s, float factor);
// Hue of input, gt and over moved by `turns` of the colour wheel (torchvision adjust_hue: HSV with
// H in [0, 1), H -> (H + turns) mod 1; S and V kept). turns = 0 leaves the maps untouched.
void shift_hue(Sample& s, float turns);
// The largest |angle| (degrees, <= 45) by which a patch x patch crop rotates inside a source whose
// smaller side is n (the rule above); 45 when any angle fits, 0 when n == patch.
double max_fitting_angle_deg(int n, int patch);

}  // namespace csgis::data
