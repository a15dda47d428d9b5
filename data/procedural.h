// The embedded procedural data set: structure images drawn from a seed, standing in for the paper's
// VOC-derived ground truths (which our machines do not have). Each sample is a painter's-algorithm
// scene of layers — a background, half-planes, (ring) ellipses, star-shaped polygons, thin curves and
// rows of text-like glyph strokes — each layer with the class of its kind (ProceduralClass: what a
// segmenter can learn from structure alone; version 1 drew 1..20 at random, which nothing could
// learn) and a smooth colour: constant, linear or quadratic-radial gradient. From the scene:
//   S_gt  the rendering itself; exactly piecewise smooth (every colour function is a polynomial of
//         degree <= 2). With antialias on, pixels whose 4-neighbourhood crosses a boundary are the
//         mean of 2x2 sub-samples; only those one-pixel bands are mixtures.
//   E_gt  region-boundary edges: pixel p is an edge iff a 4-neighbour q belongs to a layer drawn
//         BELOW p's layer and the two layers' colours at p differ by more than edge_threshold in some
//         channel. So edges are the one-pixel inner contour of the occluding layer (thin, on the
//         boundary, never doubled), and a boundary between equal colours is not an edge. (Sobel on
//         S_gt, as the paper does for natural images, gives two-pixel responses, misses one-pixel
//         lines and depends on antialiasing; with the scene at hand the boundary is known exactly.)
//   seg   the class of the layer at the pixel centre; 255 (ignore) at antialiased pixels that mix
//         layers of different classes, when ignore_boundary is set.
//   I     blend_texture(S_gt, texture, random offset) — eq. 14-16.
//   I_over bilateral_filter(S_gt) (of the clean image, as the paper's sec. 4.4: the negative is the
//         ground truth smoothed too far, not a filtered textured input) with the paper's sigma_c = 200 (on 0..255, i.e. 200/255 here) and
//         sigma_s = 1000 px over a window of radius r = over_radius (7), OpenCV-style: the colour
//         distance is the sum of |channel differences|. With these sigmas the spatial weight is flat
//         and the range weight is exp(-d^2 / (2 * 0.784^2)): 0.93 for d = 0.3, 0.44 for d = 1, 0.0007
//         for a black/white pair (d = 3). So ordinary region boundaries are washed out over ~15 px
//         while only extreme contrasts survive: the over-smoothed negative. By default
//         the separable form (a 1-D pass along rows, then along columns; filters.h) is used.
// Deterministic: a sample is a function of (seed, split, index, size, config, texture list).
#pragma once
#include <cstdint>
#include <vector>

#include "data/filters.h"
#include "data/sample.h"
#include "data/textures.h"

namespace csgis::data {

constexpr int kProceduralVersion = 2;  // bump when any output of a given seed changes (2: classes by kind)

// The classes of the seg maps (ids 0 .. kProceduralClasses - 1; 255 = ignore at mixed boundaries).
enum ProceduralClass : uint8_t {
  kClassBackground = 0,
  kClassHalfPlane = 1,
  kClassEllipse = 2,
  kClassRing = 3,     // an ellipse with an elliptic hole
  kClassPolygon = 4,  // star-shaped polygon
  kClassCurve = 5,    // thin stroked curve
  kClassText = 6,     // rows of glyph strokes
};
constexpr int kProceduralClasses = 7;

struct ProceduralConfig {
  int size = 128;                     // samples are size x size
  uint64_t seed = 0;
  Split split = Split::Train;         // mixed into the seed: validation scenes differ from training ones
  float texture_strength = 1.f;       // 1 = the paper's formula
  // Training-time texture variety (all off by default; the validation data keeps the formula):
  // strength drawn uniformly in [texture_strength, texture_strength_max] when the max is larger,
  // the texture magnified by a log-uniform factor in [texture_scale_min, texture_scale_max], and
  // turned by a random symmetry of the square when texture_orient is set. Unseen textures differ
  // from the training ones in contrast, scale and direction; this spreads training over those axes.
  float texture_strength_max = 0.f;
  float texture_scale_min = 1.f, texture_scale_max = 1.f;
  bool texture_orient = false;
  bool antialias = true;
  bool ignore_boundary = true;        // seg = 255 on mixed-class antialiased pixels
  float edge_threshold = 0.05f;       // max-channel colour contrast for a boundary to be an edge
  int min_layers = 4, max_layers = 12;  // besides the background
  int over_radius = 7;
  float over_sigma_color = 200.f / 255.f;
  float over_sigma_space = 1000.f;
  bool over_separable = true;         // rows then columns: ~7x cheaper than the full window
};

// The per-sample random stream's seed: a mix of (seed, split, index).
uint64_t sample_seed(uint64_t seed, Split split, uint64_t index);

// textures: the split's textures (must not be empty). Sample name: the 6-digit index. layer_map, when
// given, receives the layer index (0 = background, higher = drawn later) of every pixel centre, and
// layer_labels the class of each layer: what the tests check edges and labels against.
Sample generate_sample(const ProceduralConfig& cfg, const std::vector<Texture>& textures,
                       uint64_t index, std::vector<int32_t>* layer_map = nullptr,
                       std::vector<uint8_t>* layer_labels = nullptr);

}  // namespace csgis::data
