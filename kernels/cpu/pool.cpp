// Host pooling kernels: OpenMP over planes (each plane's output and input gradient are written by
// one thread only, so the scatter-style backward passes are race-free and deterministic).
#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace csgis::cpu {

namespace {
inline bool parallel(const Pool2dGeom& g) { return g.planes > 1 && g.planes * g.H * g.W > (1 << 14); }
}  // namespace

template <typename T> void max_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, int64_t* idx) {
#pragma omp parallel for if (parallel(g))
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t hs = oh * g.sh - g.ph, h0 = std::max<int64_t>(hs, 0), h1 = std::min<int64_t>(hs + g.kh, g.H);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t ws = ow * g.sw - g.pw, w0 = std::max<int64_t>(ws, 0), w1 = std::min<int64_t>(ws + g.kw, g.W);
        T best = -std::numeric_limits<T>::infinity();
        int64_t bi = h0 * g.W + w0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const T v = xp[h * g.W + w];
            if (v > best || std::isnan(v)) {
              best = v;
              bi = h * g.W + w;
            }
          }
        const int64_t o = (p * g.OH + oh) * g.OW + ow;
        y[o] = best;
        idx[o] = bi;
      }
    }
  }
}

template <typename T> void max_pool2d_backward(const Pool2dGeom& g, const T* dy, const int64_t* idx, T* dx) {
#pragma omp parallel for if (parallel(g))
  for (int64_t p = 0; p < g.planes; ++p) {
    T* dxp = dx + p * g.H * g.W;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    const int64_t base = p * g.OH * g.OW;
    for (int64_t o = 0; o < g.OH * g.OW; ++o) dxp[idx[base + o]] += dy[base + o];
  }
}

template <typename T> void avg_pool2d_forward(const Pool2dGeom& g, bool count_include_pad, const T* x, T* y) {
#pragma omp parallel for if (parallel(g))
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0, h1, hp;
      avg_pool_window(oh, g.kh, g.sh, g.ph, g.H, h0, h1, hp);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0, w1, wp;
        avg_pool_window(ow, g.kw, g.sw, g.pw, g.W, w0, w1, wp);
        T s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += xp[h * g.W + w];
        const int64_t divisor = count_include_pad ? hp * wp : (h1 - h0) * (w1 - w0);
        y[(p * g.OH + oh) * g.OW + ow] = s / T(divisor);
      }
    }
  }
}

template <typename T>
void avg_pool2d_backward(const Pool2dGeom& g, bool count_include_pad, const T* dy, T* dx) {
#pragma omp parallel for if (parallel(g))
  for (int64_t p = 0; p < g.planes; ++p) {
    T* dxp = dx + p * g.H * g.W;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0, h1, hp;
      avg_pool_window(oh, g.kh, g.sh, g.ph, g.H, h0, h1, hp);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0, w1, wp;
        avg_pool_window(ow, g.kw, g.sw, g.pw, g.W, w0, w1, wp);
        const int64_t divisor = count_include_pad ? hp * wp : (h1 - h0) * (w1 - w0);
        const T v = dy[(p * g.OH + oh) * g.OW + ow] / T(divisor);
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) dxp[h * g.W + w] += v;
      }
    }
  }
}

template <typename T> void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y) {
#pragma omp parallel for if (parallel(g))
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
        T s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += xp[h * g.W + w];
        y[(p * g.OH + oh) * g.OW + ow] = s / T((h1 - h0) * (w1 - w0));
      }
    }
  }
}

template <typename T> void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx) {
#pragma omp parallel for if (parallel(g))
  for (int64_t p = 0; p < g.planes; ++p) {
    T* dxp = dx + p * g.H * g.W;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
        const T v = dy[(p * g.OH + oh) * g.OW + ow] / T((h1 - h0) * (w1 - w0));
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) dxp[h * g.W + w] += v;
      }
    }
  }
}

#define CSGIS_POOL_INSTANTIATE(T)                                                                  \
  template void max_pool2d_forward<T>(const Pool2dGeom&, const T*, T*, int64_t*);                  \
  template void max_pool2d_backward<T>(const Pool2dGeom&, const T*, const int64_t*, T*);           \
  template void avg_pool2d_forward<T>(const Pool2dGeom&, bool, const T*, T*);                      \
  template void avg_pool2d_backward<T>(const Pool2dGeom&, bool, const T*, T*);                     \
  template void adaptive_avg_pool2d_forward<T>(const Pool2dGeom&, const T*, T*);                   \
  template void adaptive_avg_pool2d_backward<T>(const Pool2dGeom&, const T*, T*);
CSGIS_POOL_INSTANTIATE(float)
CSGIS_POOL_INSTANTIATE(double)
#undef CSGIS_POOL_INSTANTIATE

}  // namespace csgis::cpu
