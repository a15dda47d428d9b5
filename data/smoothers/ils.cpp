#include "data/smoothers/ils.h"

#include <cmath>
#include <complex>
#include <vector>

#include "data/smoothers/fft2d.h"
#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {

using cplx = std::complex<double>;
constexpr double kC = kIlsWelschC;

// One channel plane (W x H, row-major), in place.
void ils_channel(std::vector<double>& u, int W, int H, const IlsParams& p, const std::vector<double>& otf2) {
  const size_t N = size_t(W) * H;
  const double half_lambda = p.lambda / 2, inv_two_gamma2 = 1.0 / (2 * p.gamma * p.gamma);
  std::vector<cplx> data(N), rhs(N);
  for (size_t i = 0; i < N; ++i) data[i] = u[i];
  fft2(data, W, H, false);
  std::vector<double> mx(N), my(N);
  for (int it = 0; it < p.iterations; ++it) {
    // m = c x - phi'(x) on the circular forward differences of u.
#pragma omp parallel for schedule(static) if (N > 16384)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const size_t i = size_t(y) * W + x;
        const double gx = u[size_t(y) * W + (x + 1) % W] - u[i], gy = u[size_t((y + 1) % H) * W + x] - u[i];
        mx[i] = kC * gx - 2 * gx * std::exp(-gx * gx * inv_two_gamma2);
        my[i] = kC * gy - 2 * gy * std::exp(-gy * gy * inv_two_gamma2);
      }
    // dx^T m (p) = m(p - 1) - m(p), circular (and along y).
#pragma omp parallel for schedule(static) if (N > 16384)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const size_t i = size_t(y) * W + x;
        rhs[i] = mx[size_t(y) * W + (x + W - 1) % W] - mx[i] + my[size_t((y + H - 1) % H) * W + x] - my[i];
      }
    fft2(rhs, W, H, false);
    for (size_t i = 0; i < N; ++i) rhs[i] = (data[i] + half_lambda * rhs[i]) / (1.0 + half_lambda * kC * otf2[i]);
    if (p.accumulate) data = rhs;
    fft2(rhs, W, H, true);
    for (size_t i = 0; i < N; ++i) u[i] = rhs[i].real();
  }
}

}  // namespace

void IlsParams::validate() const {
  CSGIS_CHECK(lambda > 0 && std::isfinite(lambda), "ILS: lambda must be > 0, got ", lambda);
  CSGIS_CHECK(gamma > 0 && std::isfinite(gamma), "ILS: gamma must be > 0, got ", gamma);
  CSGIS_CHECK(iterations >= 1, "ILS: iterations must be >= 1, got ", iterations);
}

Image ils_smoothing(const Image& img, const IlsParams& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "ILS: 1 or 3 channels expected, got ", img.channels);
  const int W = img.width, H = img.height, C = img.channels;
  CSGIS_CHECK(W >= 2 && H >= 2, "ILS: image must be at least 2x2, got ", W, "x", H);
  const size_t N = size_t(W) * H;
  const std::vector<double> otf2 = gradient_energy_spectrum(W, H);
  std::vector<std::vector<double>> planes(static_cast<size_t>(C), std::vector<double>(N));
  for (int c = 0; c < C; ++c)
    for (size_t i = 0; i < N; ++i) planes[size_t(c)][i] = img.pixels[i * C + c];
  for (int c = 0; c < C; ++c) ils_channel(planes[size_t(c)], W, H, p, otf2);
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(planes[size_t(c)][i]);
  return out;
}

}  // namespace csgis::data::smoothers
