#include "data/smoothers/wls.h"

#include <algorithm>
#include <cmath>

#include "data/smoothers/sparse_laplacian.h"
#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {
constexpr double kLogOffset = 1e-4;     // L = log(luma + kLogOffset)
constexpr double kGradientFloor = 1e-4;  // wlsFilter.m's smallNum
}  // namespace

void WlsParams::validate() const {
  CSGIS_CHECK(lambda > 0 && std::isfinite(lambda), "WLS: lambda must be > 0, got ", lambda);
  CSGIS_CHECK(alpha > 0 && std::isfinite(alpha), "WLS: alpha must be > 0, got ", alpha);
}

void wls_weights(const Image& img, const WlsParams& p, std::vector<double>& ax, std::vector<double>& ay) {
  const int W = img.width, H = img.height;
  const size_t N = size_t(W) * H;
  const std::vector<float> luma = to_gray(img);
  std::vector<double> L(N);
  for (size_t i = 0; i < N; ++i) L[i] = std::log(std::max(0.0, double(luma[i])) + kLogOffset);
  ax.assign(N, 0.0);
  ay.assign(N, 0.0);
#pragma omp parallel for schedule(static) if (N > 16384)
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const size_t i = size_t(y) * W + x;
      if (x + 1 < W) ax[i] = p.lambda / (std::pow(std::fabs(L[i + 1] - L[i]), p.alpha) + kGradientFloor);
      if (y + 1 < H) ay[i] = p.lambda / (std::pow(std::fabs(L[i + W] - L[i]), p.alpha) + kGradientFloor);
    }
}

Image wls_filter(const Image& img, const WlsParams& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "WLS: 1 or 3 channels expected, got ", img.channels);
  const int W = img.width, H = img.height, C = img.channels;
  CSGIS_CHECK(W >= 1 && H >= 1 && img.pixels.size() == size_t(W) * H * C, "WLS: empty or inconsistent image ", W,
              "x", H);
  const size_t N = size_t(W) * H;
  std::vector<double> ax, ay;
  wls_weights(img, p, ax, ay);
  std::vector<PixelLink> links;
  links.reserve(2 * N);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const size_t i = size_t(y) * W + x;
      if (x + 1 < W) links.push_back({int32_t(i), int32_t(i + 1), ax[i]});
      if (y + 1 < H) links.push_back({int32_t(i), int32_t(i + W), ay[i]});
    }
  std::vector<std::vector<double>> g(static_cast<size_t>(C), std::vector<double>(N));
  for (int c = 0; c < C; ++c)
    for (size_t i = 0; i < N; ++i) g[size_t(c)][i] = img.pixels[i * C + c];
  LaplacianSolveOptions solve;
  solve.who = "WLS";
  solve.max_iterations = 20000;  // flat regions link with weight lambda / 1e-4: slow to converge
  const std::vector<std::vector<double>> u = solve_screened_laplacian(N, {}, links, g, g, solve);
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(u[size_t(c)][i]);
  return out;
}

}  // namespace csgis::data::smoothers
