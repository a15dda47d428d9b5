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
  // The transforms stay on this thread (fft2's threaded = false): the VOC-smooth builder calls this
  // from its own worker threads.

  // |F(dx)|^2 + |F(dy)|^2 and the spectra of dx and dy (circular forward differences).
  const std::vector<double> otf2 = gradient_energy_spectrum(W, H);
  const std::vector<cplx> fdx = forward_difference_spectrum(W), fdy = forward_difference_spectrum(H);

  std::vector<std::vector<cplx>> FI(static_cast<size_t>(C), std::vector<cplx>(N));
  std::vector<std::vector<double>> S(static_cast<size_t>(C), std::vector<double>(N));
  for (int c = 0; c < C; ++c) {
    for (size_t i = 0; i < N; ++i) {
      S[size_t(c)][i] = img.pixels[i * C + c];
      FI[size_t(c)][i] = S[size_t(c)][i];
    }
    fft2(FI[size_t(c)], W, H, false, false);
  }

  std::vector<double> h(N * C), v(N * C);
  std::vector<cplx> rhs(N);
  for (double beta = 2 * p.lambda; beta < p.beta_max; beta *= p.kappa) {
    // (h, v): the gradient where it is worth its lambda / beta, else 0 (all channels together).
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const size_t i = size_t(y) * W + x, ix = size_t(y) * W + (x + 1) % W, iy = size_t((y + 1) % H) * W + x;
        double mag = 0;
        for (int c = 0; c < C; ++c) {
          const double gx = S[size_t(c)][ix] - S[size_t(c)][i], gy = S[size_t(c)][iy] - S[size_t(c)][i];
          h[i * C + c] = gx;
          v[i * C + c] = gy;
          mag += gx * gx + gy * gy;
        }
        if (mag < p.lambda / beta)
          for (int c = 0; c < C; ++c) h[i * C + c] = v[i * C + c] = 0;
      }
    for (int c = 0; c < C; ++c) {
      // F(dx)* F(h) + F(dy)* F(v), computed as one transform of the two transforms' sum.
      std::vector<cplx> fh(N), fv(N);
      for (size_t i = 0; i < N; ++i) {
        fh[i] = h[i * C + c];
        fv[i] = v[i * C + c];
      }
      fft2(fh, W, H, false, false);
      fft2(fv, W, H, false, false);
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const size_t i = size_t(y) * W + x;
          rhs[i] = (FI[size_t(c)][i] + beta * (std::conj(fdx[size_t(x)]) * fh[i] + std::conj(fdy[size_t(y)]) * fv[i])) /
                   (1.0 + beta * otf2[i]);
        }
      fft2(rhs, W, H, true, false);
      for (size_t i = 0; i < N; ++i) S[size_t(c)][i] = rhs[i].real();
    }
  }
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(S[size_t(c)][i]);
  return out;
}

}  // namespace csgis::data::smoothers
