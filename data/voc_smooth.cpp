#include "data/voc_smooth.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/filters.h"
#include "data/smoothers/l0_smoothing.h"
#include "data/smoothers/rolling_guidance.h"
#include "data/smoothers/rtv.h"
#include "data/smoothers/sd_filter.h"
#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::data {

namespace {

Image grey_image(const Image& img) {
  Image g(img.width, img.height, 1);
  g.pixels = to_gray(img);
  return g;
}

float at_clamped(const Image& g, int x, int y) {
  return g.at(std::clamp(x, 0, g.width - 1), std::clamp(y, 0, g.height - 1), 0);
}

Image clipped(Image img) {
  for (float& v : img.pixels) v = std::clamp(v, 0.f, 1.f);
  return img;
}

// Sobel edges of a grey image (see sobel_edges).
LabelMap grey_sobel_edges(const Image& g, float threshold) {
  LabelMap edges(g.width, g.height, 0);
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x) {
      auto v = [&](int dx, int dy) { return at_clamped(g, x + dx, y + dy); };
      const float gx = (v(1, -1) + 2 * v(1, 0) + v(1, 1) - v(-1, -1) - 2 * v(-1, 0) - v(-1, 1)) / 4.f;
      const float gy = (v(-1, 1) + 2 * v(0, 1) + v(1, 1) - v(-1, -1) - 2 * v(0, -1) - v(1, -1)) / 4.f;
      edges.at(x, y) = std::sqrt(gx * gx + gy * gy) > threshold;
    }
  return edges;
}

}  // namespace

LabelMap sobel_edges(const Image& img, float threshold) { return grey_sobel_edges(grey_image(img), threshold); }

SmoothnessScore smoothness(const Image& candidate, const SmoothnessTest& t) {
  CSGIS_CHECK(t.window >= 3 && t.stride >= 1, "smoothness: window must be >= 3 and stride >= 1");
  CSGIS_CHECK(t.min_coverage >= 0 && t.min_coverage <= 1, "smoothness: min_coverage must be in [0, 1], got ",
              t.min_coverage);
  const Image g = grey_image(candidate);
  const LabelMap edges = grey_sobel_edges(g, t.edge_threshold);
  const int W = g.width, H = g.height;
  std::vector<float> lap(size_t(W) * H);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      lap[size_t(y) * W + x] = std::fabs(at_clamped(g, x - 1, y) + at_clamped(g, x + 1, y) + at_clamped(g, x, y - 1) +
                                         at_clamped(g, x, y + 1) - 4 * g.at(x, y, 0));
  SmoothnessScore s;
  double total = 0;
  for (int y0 = 0; y0 + t.window <= H; y0 += t.stride)
    for (int x0 = 0; x0 + t.window <= W; x0 += t.stride) {
      ++s.total_windows;
      bool has_edge = false;
      double sum = 0, sq = 0, lsum = 0;
      for (int y = y0; y < y0 + t.window && !has_edge; ++y)
        for (int x = x0; x < x0 + t.window; ++x) {
          if (edges.at(x, y)) {
            has_edge = true;
            break;
          }
          const double v = g.at(x, y, 0);
          sum += v;
          sq += v * v;
          lsum += lap[size_t(y) * W + x];
        }
      if (has_edge) continue;
      const double n = double(t.window) * t.window, mean = sum / n;
      const double value = std::sqrt(std::max(0.0, sq / n - mean * mean)) + lsum / n;
      total += value;
      s.value = std::max(s.value, value);
      ++s.windows;
    }
  if (s.windows == 0) s.value = std::numeric_limits<double>::infinity();
  s.mean = s.windows > 0 ? total / s.windows : s.value;
  s.pass = s.value < t.threshold && s.windows >= t.min_coverage * s.total_windows;
  return s;
}

std::vector<CandidateOperator> default_candidate_operators() {
  const smoothers::L0Params l0;
  const smoothers::RollingGuidanceParams rgf;
  const smoothers::RtvParams rtv;
  std::vector<CandidateOperator> ops = {
      {"bf", [](const Image& im) { return bilateral_filter(im, 5, 0.1f, 3.f); },
       {{"radius", 5}, {"sigma_color", 0.1}, {"sigma_space", 3.0}}},
      {"l0", [l0](const Image& im) { return smoothers::l0_smoothing(im, l0); },
       {{"lambda", l0.lambda}, {"kappa", l0.kappa}, {"beta_max", l0.beta_max}}},
      {"rgf", [rgf](const Image& im) { return smoothers::rolling_guidance_filter(im, rgf); },
       {{"sigma_s", rgf.sigma_s}, {"sigma_r", rgf.sigma_r}, {"iterations", rgf.iterations}}},
      {"rtv", [rtv](const Image& im) { return smoothers::rtv_smoothing(im, rtv); },
       {{"lambda", rtv.lambda}, {"sigma", rtv.sigma}, {"sharpness", rtv.sharpness}, {"iterations", rtv.iterations}}},
  };
  // SDF [HCP17], the paper's fifth candidate, with the authors' defaults (sd_filter.h says why
  // lambda is 30 on our normalised distances).
  const smoothers::SdFilterParams sdf;
  ops.push_back({"sdf", [sdf](const Image& im) { return smoothers::sd_filter(im, sdf); },
                 {{"lambda", sdf.lambda}, {"mu", sdf.mu}, {"nu", sdf.nu}, {"steps", sdf.steps}}});
  return ops;
}

GroundTruthChoice choose_ground_truth(const Image& original, const std::vector<CandidateOperator>& ops,
                                      const SmoothnessTest& test) {
  CSGIS_CHECK(original.channels == 3, "choose_ground_truth: an RGB image is expected");
  CSGIS_CHECK(original.width >= 11 && original.height >= 11,
              "choose_ground_truth: the image must be at least 11x11 (the SSIM window), got ", original.width, "x",
              original.height);
  autograd::NoGradGuard no_grad;
  const Tensor ref = image_to_tensor(grey_image(original));
  GroundTruthChoice choice;
  for (const CandidateOperator& op : ops) {
    CandidateResult r;
    r.op = op.name;
    r.image = clipped(op.apply(original));
    r.smooth = smoothness(r.image, test);
    r.ssim = ssim(image_to_tensor(grey_image(r.image)), ref, SsimMode::Metric).item();
    choice.candidates.push_back(std::move(r));
  }
  for (size_t i = 0; i < choice.candidates.size(); ++i) {
    const CandidateResult& c = choice.candidates[i];
    if (c.smooth.pass && (choice.chosen < 0 || c.ssim > choice.candidates[size_t(choice.chosen)].ssim))
      choice.chosen = int(i);
  }
  return choice;
}

}  // namespace csgis::data
