// Host SSIM: one plane per OpenMP task; inside a plane the 11x11 Gaussian runs as two 1-D passes
// (rows, then columns) over whole planes, so every inner loop walks contiguous memory. The backward
// pass recomputes the statistics instead of saving five planes per input from the forward pass.
#include "kernels/cpu/ssim.h"

#include <algorithm>
#include <vector>

namespace csgis::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 14;

// dst = window (x) window correlated with src, zero outside the image; tmp is H*W scratch.
// Taps falling outside the image are skipped, which equals adding the zero-padding terms.
template <typename T>
void gauss_same(const T* src, T* tmp, T* dst, int64_t H, int64_t W, const T* w) {
  const int64_t R = kSsimRadius;
  for (int64_t i = 0; i < H; ++i)
    for (int64_t j = 0; j < W; ++j) {
      const int64_t k0 = std::max<int64_t>(0, R - j), k1 = std::min<int64_t>(kSsimTaps, W - j + R);
      T acc = 0;
      for (int64_t k = k0; k < k1; ++k) acc += w[k] * src[i * W + j + k - R];
      tmp[i * W + j] = acc;
    }
  for (int64_t i = 0; i < H; ++i) {
    T* out = dst + i * W;
    std::fill(out, out + W, T(0));
    const int64_t k0 = std::max<int64_t>(0, R - i), k1 = std::min<int64_t>(kSsimTaps, H - i + R);
    for (int64_t k = k0; k < k1; ++k) {
      const T* in = tmp + (i + k - R) * W;
      for (int64_t j = 0; j < W; ++j) out[j] += w[k] * in[j];
    }
  }
}

template <typename T>
struct Window {
  T w[kSsimTaps];
  Window() {
    double d[kSsimTaps];
    ssim_gaussian_window(d);
    for (int k = 0; k < kSsimTaps; ++k) w[k] = T(d[k]);
  }
};

// The five filtered moments of one plane: mu_x, mu_y, E[x^2], E[y^2], E[xy], each H*W.
template <typename T>
void plane_moments(const T* x, const T* y, int64_t H, int64_t W, const T* w, std::vector<T>& src,
                   std::vector<T>& tmp, std::vector<T>* m) {
  const int64_t n = H * W;
  for (int c = 0; c < 5; ++c) {
    for (int64_t k = 0; k < n; ++k) {
      const T a = x[k], b = y[k];
      src[k] = c == 0 ? a : c == 1 ? b : c == 2 ? a * a : c == 3 ? b * b : a * b;
    }
    m[c].resize(n);
    gauss_same(src.data(), tmp.data(), m[c].data(), H, W, w);
  }
}
}  // namespace

template <typename T>
void ssim_forward(const SsimGeom& g, const T* x, const T* y, T* map) {
  const Window<T> win;
  const int64_t H = g.H, W = g.W, n = H * W;
#pragma omp parallel for schedule(dynamic) if (g.planes * n > kParallelMin)
  for (int64_t p = 0; p < g.planes; ++p) {
    std::vector<T> src(n), tmp(n), m[5];
    plane_moments(x + p * n, y + p * n, H, W, win.w, src, tmp, m);
    T* out = map + p * g.OH * g.OW;
    for (int64_t i = 0; i < g.OH; ++i)
      for (int64_t j = 0; j < g.OW; ++j) {
        const int64_t k = (g.oy0 + i) * W + g.ox0 + j;
        out[i * g.OW + j] = ssim_point<T>(m[0][k], m[1][k], m[2][k], m[3][k], m[4][k], T(g.c1), T(g.c2),
                                          nullptr, nullptr, nullptr, nullptr);
      }
  }
}

// map = f(G*x, G*y, G*x^2, G*y^2, G*xy) and the filter is self-adjoint (symmetric window, zero
// padding), so with the per-position coefficients a = g ds/dmx, b = g ds/dmy, v = g ds/dexx,
// c = g ds/dexy (zero outside the map region):
//   dx = G*a + 2 x G*v + y G*c,   dy = G*b + 2 y G*v + x G*c
template <typename T>
void ssim_backward(const SsimGeom& g, const T* x, const T* y, const T* gmap, T* dx, T* dy) {
  const Window<T> win;
  const int64_t H = g.H, W = g.W, n = H * W;
#pragma omp parallel for schedule(dynamic) if (g.planes * n > kParallelMin)
  for (int64_t p = 0; p < g.planes; ++p) {
    const T *xp = x + p * n, *yp = y + p * n;
    std::vector<T> src(n), tmp(n), m[5];
    plane_moments(xp, yp, H, W, win.w, src, tmp, m);
    std::vector<T> coef[4];
    for (auto& c : coef) c.assign(n, T(0));
    const T* gp = gmap + p * g.OH * g.OW;
    for (int64_t i = 0; i < g.OH; ++i)
      for (int64_t j = 0; j < g.OW; ++j) {
        const int64_t k = (g.oy0 + i) * W + g.ox0 + j;
        T d[4];
        ssim_point<T>(m[0][k], m[1][k], m[2][k], m[3][k], m[4][k], T(g.c1), T(g.c2), &d[0], &d[1], &d[2],
                      &d[3]);
        const T gv = gp[i * g.OW + j];
        for (int c = 0; c < 4; ++c) coef[c][k] = gv * d[c];
      }
    // The moments are no longer needed: filter the coefficients into their storage.
    for (int c = 0; c < 4; ++c) gauss_same(coef[c].data(), tmp.data(), m[c].data(), H, W, win.w);
    T* dxp = dx + p * n;
    for (int64_t k = 0; k < n; ++k) dxp[k] = m[0][k] + T(2) * xp[k] * m[2][k] + yp[k] * m[3][k];
    if (dy) {
      T* dyp = dy + p * n;
      for (int64_t k = 0; k < n; ++k) dyp[k] = m[1][k] + T(2) * yp[k] * m[2][k] + xp[k] * m[3][k];
    }
  }
}

template void ssim_forward<float>(const SsimGeom&, const float*, const float*, float*);
template void ssim_forward<double>(const SsimGeom&, const double*, const double*, double*);
template void ssim_backward<float>(const SsimGeom&, const float*, const float*, const float*, float*, float*);
template void ssim_backward<double>(const SsimGeom&, const double*, const double*, const double*, double*,
                                    double*);

}  // namespace csgis::cpu
