// The guided filter of He, Sun and Tang (ECCV 2010 / TPAMI 2013), one of the classical baselines of
// the paper's Table 1, plus a grid-search tuner for its two parameters.
//
// Per channel, with guide I and source p, box means over a (2r+1)^2 window:
//   a = cov(I, p) / (var(I) + eps),  b = mean(p) - a mean(I),  q = mean(a) I + mean(b).
// Colour images are filtered PER CHANNEL, EACH CHANNEL GUIDED BY ITSELF (GuideMode::SelfPerChannel,
// the default: what MATLAB's imguidedfilter(A) does for an RGB A guided by itself, the paper's
// baseline call). GuideMode::Gray guides all three channels by the image's BT.601 luma instead
// (an edge-aware smoothing whose edges are the gray image's).
// Box means slide over rows in double precision (add the entering row, subtract the leaving one)
// and are prefix-sum differences along a row, in fixed bands of rows spread over OpenMP threads:
// O(1) per pixel whatever r. At the borders the window is clipped to the image and the mean taken
// over the pixels that remain (He's N = boxfilter(ones) normalisation), so there is no padding
// convention to choose. MATLAB's defaults: NeighborhoodSize 5 (r = 2), DegreeOfSmoothing 0.01
// for data in [0, 1].
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/image.h"

namespace csgis::data::smoothers {

enum class GuideMode { SelfPerChannel, Gray };
std::string guide_mode_name(GuideMode mode);  // "self" / "gray"

struct GuidedFilterParams {
  int radius = 2;     // window (2 radius + 1)^2; >= 1
  double eps = 0.01;  // regularisation on variances of [0,1] data; > 0
  GuideMode guide = GuideMode::SelfPerChannel;
  void validate() const;  // throws csgis::Error naming the bad field
};

// Mean of `in` (w x h, row-major) over the window of radius r clipped to the image (integral image;
// a standalone helper, the filter itself uses its own sliding sums).
std::vector<double> box_mean(const std::vector<double>& in, int w, int h, int r);

// One channel: `guide` and `src` are w x h, row-major.
std::vector<float> guided_filter_channel(const std::vector<float>& guide, const std::vector<float>& src,
                                         int w, int h, int radius, double eps);

// Grey or RGB image in [0,1] -> same shape, not clipped (the filter may overshoot slightly).
Image guided_filter(const Image& img, const GuidedFilterParams& params = {});

// ---- grid search ----
struct GfScore {
  int radius = 0;
  double eps = 0;
  double psnr = 0, ssim = 0;  // means over the samples
};

struct GfTuneResult {
  std::vector<GfScore> grid;  // every (radius, eps), radius-major in the order given
  GfScore best;               // highest mean PSNR (ties: the earlier entry)
};

// Filters each sample's input with every (radius, eps) and scores it against its target through
// `score` (returns {psnr, ssim}); each sample is loaded once. `load(i)` gives (input, target) for
// i in [0, count); `progress(done)` is called after each sample. Throws on an empty grid or set.
using GfPairLoader = std::function<std::pair<Image, Image>(int64_t index)>;
using GfScorer = std::function<std::pair<double, double>(const Image& output, const Image& target)>;
GfTuneResult tune_guided_filter(int64_t count, const GfPairLoader& load, const std::vector<int>& radii,
                                const std::vector<double>& eps_values, const GfScorer& score,
                                GuideMode guide = GuideMode::SelfPerChannel,
                                const std::function<void(int64_t)>& progress = {});

}  // namespace csgis::data::smoothers
