// Fused SSIM: the geometry, the Gaussian window and the per-position formula shared by the CPU
// kernels (kernels/cpu/ssim.h) and the CUDA launchers (kernels/cuda/ssim.h).
//
// Filtering is the separable 11x11 Gaussian (sigma 1.5, weights normalised to sum 1) evaluated at
// every image position with zero padding outside the image ("same" correlation). The map covers
// the region [oy0, oy0 + OH) x [ox0, ox0 + OW) of each plane:
//   loss SSIM:   the whole image (oy0 = ox0 = 0, OH = H, OW = W), zero padding matters at borders;
//   metric SSIM: the "valid" region (oy0 = ox0 = 5, OH = H - 10, OW = W - 10), where no window
//                reaches outside the image, so the padding never enters.
#pragma once
#include <cmath>
#include <cstdint>

namespace csgis {

constexpr int kSsimRadius = 5;                  // 11-tap window
constexpr int kSsimTaps = 2 * kSsimRadius + 1;  // scikit-image: int(3.5 * 1.5 + 0.5) = 5 each side
constexpr double kSsimSigma = 1.5;

struct SsimGeom {
  int64_t planes = 0;                  // N * C
  int64_t H = 0, W = 0;                // image size
  int64_t oy0 = 0, ox0 = 0, OH = 0, OW = 0;  // map region inside the image
  double c1 = 1e-4, c2 = 9e-4;         // (0.01 * L)^2, (0.03 * L)^2 with data range L = 1
};

// w[k] = exp(-(k - 5)^2 / (2 sigma^2)) / sum_j exp(-(j - 5)^2 / (2 sigma^2)), k = 0..10
inline void ssim_gaussian_window(double w[kSsimTaps]) {
  double s = 0;
  for (int k = 0; k < kSsimTaps; ++k) {
    const double d = k - kSsimRadius;
    w[k] = std::exp(-d * d / (2 * kSsimSigma * kSsimSigma));
    s += w[k];
  }
  for (int k = 0; k < kSsimTaps; ++k) w[k] /= s;
}

// Scratch the CUDA backward needs: four coefficient planes per map plane.
inline int64_t ssim_coef_elems(const SsimGeom& g) { return 4 * g.planes * g.OH * g.OW; }

#if defined(__CUDACC__)
#define CSGIS_SSIM_HD __host__ __device__
#else
#define CSGIS_SSIM_HD
#endif

// SSIM at one position from the raw filtered moments, and its partial derivatives with respect to
// them (shared by the CPU and CUDA kernels so both evaluate the same expression):
//   vx = exx - mx^2, vy = eyy - my^2, cxy = exy - mx*my
//   s  = (2 mx my + c1)(2 cxy + c2) / ((mx^2 + my^2 + c1)(vx + vy + c2)) = a1 a2 / (b1 b2)
//   ds/dmx = 2 my (a2 - a1) / (b1 b2) + 2 mx s (1/b2 - 1/b1)   (and mx <-> my for ds/dmy)
//   ds/dexx = ds/deyy = -s / b2,   ds/dexy = 2 a1 / (b1 b2)
template <typename T>
CSGIS_SSIM_HD inline T ssim_point(T mx, T my, T exx, T eyy, T exy, T c1, T c2, T* d_mx, T* d_my, T* d_var,
                                  T* d_cov) {
  const T a1 = T(2) * mx * my + c1;
  const T a2 = T(2) * (exy - mx * my) + c2;
  const T b1 = mx * mx + my * my + c1;
  const T b2 = (exx - mx * mx) + (eyy - my * my) + c2;
  const T inv = T(1) / (b1 * b2);
  const T s = a1 * a2 * inv;
  if (d_mx) {
    const T t = T(2) * (a2 - a1) * inv;
    const T u = T(2) * s * (T(1) / b2 - T(1) / b1);
    *d_mx = my * t + mx * u;
    *d_my = mx * t + my * u;
    *d_var = -s / b2;
    *d_cov = T(2) * a1 * inv;
  }
  return s;
}

}  // namespace csgis
