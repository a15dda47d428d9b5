// Training augmentation (paper sec. 4.2: random flip, random rotation, colour disturbance) plus the
// crop to the patch size. Every geometric step is ONE inverse map applied to all five maps —
// bilinear for input/gt/over, nearest for edge/seg (labels must stay labels) — so they stay aligned.
// With no small-angle rotation the map sends pixel centres to pixel centres and the copy is exact.
// Colour jitter applies the same transform to input, gt and over, so the (input, target, negative)
// triple stays consistent; edge and seg are untouched by colour.
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
  float max_angle_deg = 10.f; // small rotation, uniform in [-a, a]; 0 = off. Applied only where the
                              // image has the margin for the rotated patch (no invented corners).
  float brightness = 0.1f;    // additive shift, uniform in [-b, b]
  float contrast = 0.1f;      // factor uniform in [1-c, 1+c], around the gt's mean grey
  float saturation = 0.1f;    // factor uniform in [1-s, 1+s], around each pixel's grey
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

}  // namespace csgis::data
