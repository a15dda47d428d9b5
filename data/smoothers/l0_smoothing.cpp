#include "data/smoothers/l0_smoothing.h"

#include <cmath>
#include <complex>
#include <vector>

#include <unsupported/Eigen/FFT>

#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {

using cplx = std::complex<double>;

// In-place 2-D DFT of a W x H row-major plane: every row, then every column.
void fft2(std::vector<cplx>& a, int W, int H, bool inverse) {
  Eigen::FFT<double> fft;
  std::vector<cplx> in, out;
  in.resize(size_t(W));
  for (int y = 0; y < H; ++y) {
    std::copy(a.begin() + size_t(y) * W, a.begin() + size_t(y + 1) * W, in.begin());
    inverse ? fft.inv(out, in) : fft.fwd(out, in);
    std::copy(out.begin(), out.end(), a.begin() + size_t(y) * W);
  }
  in.resize(size_t(H));
  for (int x = 0; x < W; ++x) {
    for (int y = 0; y < H; ++y) in[size_t(y)] = a[size_t(y) * W + x];
    inverse ? fft.inv(out, in) : fft.fwd(out, in);
    for (int y = 0; y < H; ++y) a[size_t(y) * W + x] = out[size_t(y)];
  }
}

}  // namespace

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

  // |F(dx)|^2 + |F(dy)|^2 of the circular forward differences: 4 sin^2(pi k / n) per axis.
  std::vector<double> otf2(N);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const double sx = std::sin(M_PI * x / W), sy = std::sin(M_PI * y / H);
      otf2[size_t(y) * W + x] = 4.0 * (sx * sx + sy * sy);
    }
  // Spectra of dx and dy: F(dx)[k] = exp(2 pi i k / W) - 1 (S(x+1) - S(x), circular).
  std::vector<cplx> fdx(static_cast<size_t>(W)), fdy(static_cast<size_t>(H));
  for (int x = 0; x < W; ++x) fdx[size_t(x)] = std::polar(1.0, 2 * M_PI * x / W) - 1.0;
  for (int y = 0; y < H; ++y) fdy[size_t(y)] = std::polar(1.0, 2 * M_PI * y / H) - 1.0;

  std::vector<std::vector<cplx>> FI(static_cast<size_t>(C), std::vector<cplx>(N));
  std::vector<std::vector<double>> S(static_cast<size_t>(C), std::vector<double>(N));
  for (int c = 0; c < C; ++c) {
    for (size_t i = 0; i < N; ++i) {
      S[size_t(c)][i] = img.pixels[i * C + c];
      FI[size_t(c)][i] = S[size_t(c)][i];
    }
    fft2(FI[size_t(c)], W, H, false);
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
      fft2(fh, W, H, false);
      fft2(fv, W, H, false);
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const size_t i = size_t(y) * W + x;
          rhs[i] = (FI[size_t(c)][i] + beta * (std::conj(fdx[size_t(x)]) * fh[i] + std::conj(fdy[size_t(y)]) * fv[i])) /
                   (1.0 + beta * otf2[i]);
        }
      fft2(rhs, W, H, true);
      for (size_t i = 0; i < N; ++i) S[size_t(c)][i] = rhs[i].real();
    }
  }
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(S[size_t(c)][i]);
  return out;
}

}  // namespace csgis::data::smoothers
