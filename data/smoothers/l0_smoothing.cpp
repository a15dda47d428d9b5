#include "data/smoothers/l0_smoothing.h"

#include <cmath>
#include <complex>
#include <vector>

#include "data/smoothers/fft2d.h"
#include "engine/error.h"

namespace csgis::data::smoothers {

using cplx = std::complex<double>;

void L0Params::validate() const {
  CSGIS_CHECK(lambda > 0 && std::isfinite(lambda), "L0 smoothing: lambda must be > 0, got ", lambda);
  CSGIS_CHECK(kappa > 1 && std::isfinite(kappa), "L0 smoothing: kappa must be > 1, got ", kappa);
  CSGIS_CHECK(beta_max > 0 && std::isfinite(beta_max), "L0 smoothing: beta_max must be > 0, got ", beta_max);
}

Image l0_smoothing(const Image& img, const L0Params& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "L0 smoothing: 1 or 3 channels expected, got ", img.channels);
  const int W = img.width, H = img.height, C = img.channels;
  CSGIS_CHECK(W >= 2 && H >= 2, "L0 smoothing: image must be at least 2x2, got ", W, "x", H);
  const size_t N = size_t(W) * H;
  // All spectra are half spectra (real planes): kx in [0, W/2], (W/2 + 1) x H.
  const int Wh = W / 2 + 1;
  const size_t NS = size_t(Wh) * H;
  const bool threaded = N > 16384;

  // |F(dx)|^2 + |F(dy)|^2 = 4 sin^2(pi kx / W) + 4 sin^2(pi ky / H) (circular forward differences).
  const std::vector<double> otf2 = half_gradient_energy_spectrum(W, H);

  std::vector<std::vector<double>> S(static_cast<size_t>(C), std::vector<double>(N));
  std::vector<std::vector<cplx>> FI(static_cast<size_t>(C), std::vector<cplx>(NS)),
      spec(static_cast<size_t>(C), std::vector<cplx>(NS));
  std::vector<std::vector<double>> h(static_cast<size_t>(C), std::vector<double>(N)),
      v(static_cast<size_t>(C), std::vector<double>(N));
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) S[size_t(c)][i] = img.pixels[i * C + c];
  const int blocks = (Wh + PlaneFft::kColumnBlock - 1) / PlaneFft::kColumnBlock;

  // One parallel region for the whole solve: each phase below is an `omp for` over rows or over
  // (channel, block of columns), so an iteration has four barriers; dynamically scheduled, so a thread
  // descheduled on a shared machine does not hold the others up. Every row and column is
  // transformed by the same code whichever thread takes it: the bits do not depend on the count.
#pragma omp parallel if (threaded)
  {
    PlaneFft fft;
    std::vector<double> div(static_cast<size_t>(W));
#pragma omp for schedule(dynamic, 8)
    for (int y = 0; y < H; ++y)
      for (int c = 0; c < C; ++c) fft.row_forward(&S[size_t(c)][size_t(y) * W], &FI[size_t(c)][size_t(y) * Wh], W);
#pragma omp for schedule(dynamic, 8)
    for (int job = 0; job < C * blocks; ++job)
      fft.column_block(FI[size_t(job / blocks)].data(), Wh, H, (job % blocks) * PlaneFft::kColumnBlock);

    for (double beta = 2 * p.lambda; beta < p.beta_max; beta *= p.kappa) {
      // (h, v): the gradient where it is worth its lambda / beta, else 0 (all channels together).
      const double threshold = p.lambda / beta;
#pragma omp for schedule(dynamic, 8)
      for (int y = 0; y < H; ++y) {
        const size_t row = size_t(y) * W, below = size_t((y + 1) % H) * W;
        for (int x = 0; x < W; ++x) {
          const size_t i = row + x, ix = row + (x + 1) % W, iy = below + x;
          double mag = 0;
          for (int c = 0; c < C; ++c) {
            const std::vector<double>& sc = S[size_t(c)];
            const double gx = sc[ix] - sc[i], gy = sc[iy] - sc[i];
            h[size_t(c)][i] = gx;
            v[size_t(c)][i] = gy;
            mag += gx * gx + gy * gy;
          }
          if (mag < threshold)
            for (int c = 0; c < C; ++c) h[size_t(c)][i] = v[size_t(c)][i] = 0;
        }
      }
      // F(dx)* F(h) + F(dy)* F(v) is the spectrum of dx^T h + dy^T v, (dx^T h)(x) = h(x-1) - h(x):
      // one transform of that divergence instead of two of h and v. Rows first...
#pragma omp for schedule(dynamic, 8)
      for (int y = 0; y < H; ++y) {
        const size_t row = size_t(y) * W, above = size_t((y + H - 1) % H) * W;
        for (int c = 0; c < C; ++c) {
          const std::vector<double>&hc = h[size_t(c)], &vc = v[size_t(c)];
          for (int x = 0; x < W; ++x)
            div[size_t(x)] = (hc[row + (x + W - 1) % W] - hc[row + x]) + (vc[above + x] - vc[row + x]);
          fft.row_forward(div.data(), &spec[size_t(c)][size_t(y) * Wh], W);
        }
      }
      // ...then columns forward, the solve in the frequency domain, columns back...
#pragma omp for schedule(dynamic, 8)
      for (int job = 0; job < C * blocks; ++job) {
        const int c = job / blocks;
        const std::vector<cplx>& fi = FI[size_t(c)];
        fft.column_block(spec[size_t(c)].data(), Wh, H, (job % blocks) * PlaneFft::kColumnBlock,
                         [&](int x, cplx* column) {
                           for (int y = 0; y < H; ++y) {
                             const size_t i = size_t(y) * Wh + x;
                             column[y] = (fi[i] + beta * column[y]) / (1.0 + beta * otf2[i]);
                           }
                         });
      }
      // ...and rows back to the new S.
#pragma omp for schedule(dynamic, 8)
      for (int y = 0; y < H; ++y)
        for (int c = 0; c < C; ++c) fft.row_inverse(&spec[size_t(c)][size_t(y) * Wh], &S[size_t(c)][size_t(y) * W], W);
    }
  }
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(S[size_t(c)][i]);
  return out;
}

}  // namespace csgis::data::smoothers
