#include "data/smoothers/rtv.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/smoothers/sparse_laplacian.h"
#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {

// Separable Gaussian of size odd(round(5 sigma)), zero padding ('same'), one channel plane.
std::vector<double> gaussian_same(const std::vector<double>& in, int W, int H, double sigma) {
  const int ksize = int(std::lround(5 * sigma)) | 1, r = ksize / 2;
  std::vector<double> k(static_cast<size_t>(ksize));
  double sum = 0;
  for (int i = 0; i < ksize; ++i) sum += k[size_t(i)] = std::exp(-double((i - r) * (i - r)) / (2 * sigma * sigma));
  for (double& v : k) v /= sum;
  std::vector<double> tmp(in.size(), 0.0), out(in.size(), 0.0);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double a = 0;
      for (int i = -r; i <= r; ++i)
        if (x + i >= 0 && x + i < W) a += k[size_t(i + r)] * in[size_t(y) * W + x + i];
      tmp[size_t(y) * W + x] = a;
    }
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double a = 0;
      for (int i = -r; i <= r; ++i)
        if (y + i >= 0 && y + i < H) a += k[size_t(i + r)] * tmp[size_t(y + i) * W + x];
      out[size_t(y) * W + x] = a;
    }
  return out;
}

}  // namespace

void RtvParams::validate() const {
  CSGIS_CHECK(lambda > 0 && std::isfinite(lambda), "RTV: lambda must be > 0, got ", lambda);
  CSGIS_CHECK(sigma > 0 && std::isfinite(sigma), "RTV: sigma must be > 0, got ", sigma);
  CSGIS_CHECK(sharpness > 0 && std::isfinite(sharpness), "RTV: sharpness must be > 0, got ", sharpness);
  CSGIS_CHECK(iterations >= 1, "RTV: iterations must be >= 1, got ", iterations);
}

Image rtv_smoothing(const Image& img, const RtvParams& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "RTV: 1 or 3 channels expected, got ", img.channels);
  const int W = img.width, H = img.height, C = img.channels;
  CSGIS_CHECK(W >= 2 && H >= 2, "RTV: image must be at least 2x2, got ", W, "x", H);
  const size_t N = size_t(W) * H;
  std::vector<std::vector<double>> I(static_cast<size_t>(C), std::vector<double>(N)), x;
  for (int c = 0; c < C; ++c)
    for (size_t i = 0; i < N; ++i) I[size_t(c)][i] = img.pixels[i * C + c];
  x = I;
  const double lambda = p.lambda / 2;  // as tsmooth.m
  double sigma = p.sigma;
  std::vector<double> wx(N), wy(N);
  for (int it = 0; it < p.iterations; ++it) {
    // Texture weights from the current estimate.
    std::vector<double> grad_mag(N, 0.0), gx(N, 0.0), gy(N, 0.0);
    for (int c = 0; c < C; ++c) {
      const std::vector<double>& f = x[size_t(c)];
      const std::vector<double> fb = gaussian_same(f, W, H, sigma);
      for (int y = 0; y < H; ++y)
        for (int xx = 0; xx < W; ++xx) {
          const size_t i = size_t(y) * W + xx;
          const double dx = xx + 1 < W ? f[i + 1] - f[i] : 0.0, dy = y + 1 < H ? f[i + W] - f[i] : 0.0;
          grad_mag[i] += std::sqrt(dx * dx + dy * dy) / C;
          gx[i] += std::fabs(xx + 1 < W ? fb[i + 1] - fb[i] : 0.0) / C;
          gy[i] += std::fabs(y + 1 < H ? fb[i + W] - fb[i] : 0.0) / C;
        }
    }
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        const size_t i = size_t(y) * W + xx;
        const double wto = 1.0 / std::max(grad_mag[i], p.sharpness);
        wx[i] = xx + 1 < W ? wto / std::max(gx[i], 1e-3) : 0.0;
        wy[i] = y + 1 < H ? wto / std::max(gy[i], 1e-3) : 0.0;
      }
    // (1 + lambda L_w) x = I, links in pixel order (right, then down), the previous x as the guess.
    std::vector<PixelLink> links;
    links.reserve(2 * N);
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        const size_t i = size_t(y) * W + xx;
        if (wx[i] > 0) links.push_back({int32_t(i), int32_t(i + 1), lambda * wx[i]});
        if (wy[i] > 0) links.push_back({int32_t(i), int32_t(i + W), lambda * wy[i]});
      }
    LaplacianSolveOptions solve;
    solve.who = "RTV";
    solve.threaded = false;
    x = solve_screened_laplacian(N, {}, links, I, x, solve);
    sigma = std::max(sigma / 2, 0.5);
  }
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(x[size_t(c)][i]);
  return out;
}

}  // namespace csgis::data::smoothers
