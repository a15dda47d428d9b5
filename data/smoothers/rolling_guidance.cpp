#include "data/smoothers/rolling_guidance.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/smoothers/bilateral_simd.h"

#include "engine/error.h"

namespace csgis::data::smoothers {

void RollingGuidanceParams::validate() const {
  CSGIS_CHECK(sigma_s > 0 && std::isfinite(sigma_s), "rolling guidance: sigma_s must be > 0, got ", sigma_s);
  CSGIS_CHECK(sigma_r > 0 && std::isfinite(sigma_r), "rolling guidance: sigma_r must be > 0, got ", sigma_r);
  CSGIS_CHECK(iterations >= 1, "rolling guidance: iterations must be >= 1, got ", iterations);
}

Image joint_bilateral_filter(const Image& src, const Image& guide, double sigma_s, double sigma_r) {
  CSGIS_CHECK(src.width == guide.width && src.height == guide.height, "joint bilateral: source ", src.width, "x",
              src.height, " and guide ", guide.width, "x", guide.height, " differ in size");
  CSGIS_CHECK((src.channels == 1 || src.channels == 3) && (guide.channels == 1 || guide.channels == 3),
              "joint bilateral: 1 or 3 channels expected, got ", src.channels, " and ", guide.channels);
  CSGIS_CHECK(sigma_s > 0 && sigma_r > 0, "joint bilateral: sigmas must be > 0");
  const int R = int(std::ceil(3.0 * sigma_s));
  // The whole square window, row-major; w = exp(-(|p-q|^2 / (2 sigma_s^2) + |J(p)-J(q)|^2 / (2 sigma_r^2))).
  JointBilateralSpec spec;
  for (int dy = -R; dy <= R; ++dy)
    for (int dx = -R; dx <= R; ++dx)
      spec.taps.push_back({dx, dy, float((dx * dx + dy * dy) / (2.0 * sigma_s * sigma_s))});
  spec.range_coefficient = float(1.0 / (2.0 * sigma_r * sigma_r));
  spec.distance = RangeDistance::EuclideanSquared;
  spec.border = BilateralBorder::Clip;
  return joint_bilateral_simd(src, guide, spec);
}

namespace {

// The first pass: with a constant guide every range weight is 1, and the weights of the window cut
// at the border, exp(-dx^2 / 2s^2) exp(-dy^2 / 2s^2) over a rectangle, are separable, numerator and
// normalisation alike: a row pass and a column pass in double, O(R) per pixel instead of O(R^2).
Image clipped_gaussian(const Image& img, double sigma_s) {
  const int W = img.width, H = img.height, C = img.channels;
  const int R = int(std::ceil(3.0 * sigma_s));
  std::vector<double> g(size_t(2 * R + 1));
  for (int d = -R; d <= R; ++d) g[size_t(d + R)] = std::exp(-(d * d) / (2.0 * sigma_s * sigma_s));
  // Row pass: unnormalised sums; norms of the cut windows along x and along y.
  std::vector<double> rows(size_t(W) * H * C), norm_x(static_cast<size_t>(W)), norm_y(static_cast<size_t>(H));
  for (int x = 0; x < W; ++x)
    for (int d = std::max(-R, -x); d <= std::min(R, W - 1 - x); ++d) norm_x[size_t(x)] += g[size_t(d + R)];
  for (int y = 0; y < H; ++y)
    for (int d = std::max(-R, -y); d <= std::min(R, H - 1 - y); ++d) norm_y[size_t(y)] += g[size_t(d + R)];
#pragma omp parallel for schedule(dynamic, 8)
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double acc[3] = {0, 0, 0};
      for (int d = std::max(-R, -x); d <= std::min(R, W - 1 - x); ++d) {
        const float* s = &img.pixels[(size_t(y) * W + x + d) * C];
        for (int c = 0; c < C; ++c) acc[c] += g[size_t(d + R)] * s[c];
      }
      for (int c = 0; c < C; ++c) rows[(size_t(y) * W + x) * C + c] = acc[c];
    }
  Image out(W, H, C);
#pragma omp parallel
  {
    std::vector<double> acc(size_t(W) * C);
#pragma omp for schedule(dynamic, 8)
    for (int y = 0; y < H; ++y) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int d = std::max(-R, -y); d <= std::min(R, H - 1 - y); ++d) {
        const double* r = &rows[size_t(y + d) * W * C];
        for (size_t i = 0; i < acc.size(); ++i) acc[i] += g[size_t(d + R)] * r[i];
      }
      for (int x = 0; x < W; ++x)
        for (int c = 0; c < C; ++c)
          out.pixels[(size_t(y) * W + x) * C + c] =
              float(acc[size_t(x) * C + c] / (norm_x[size_t(x)] * norm_y[size_t(y)]));
    }
  }
  return out;
}

}  // namespace

Image rolling_guidance_filter(const Image& img, const RollingGuidanceParams& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "rolling guidance: 1 or 3 channels expected, got ",
              img.channels);
  Image guide = clipped_gaussian(img, p.sigma_s);
  for (int t = 1; t < p.iterations; ++t) guide = joint_bilateral_filter(img, guide, p.sigma_s, p.sigma_r);
  return guide;
}

}  // namespace csgis::data::smoothers
