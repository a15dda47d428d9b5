#include "kernels/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace csgis::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 14;
// inner > 1: each task takes up to kChunk neighbouring columns and walks d in the outer loop, so
// the inner loops read contiguous memory; per-column statistics stay in stack arrays.
constexpr int64_t kChunk = 256;

// Max of a line; NaN is skipped here but reaches the result through exp(NaN - m).
template <typename T>
inline T line_max(const T* p, int64_t dim, int64_t stride) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t d = 0; d < dim; ++d) m = p[d * stride] > m ? p[d * stride] : m;
  return m;
}
}  // namespace

template <typename T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (inner == 1) {
#pragma omp parallel for if (outer * dim > kParallelMin)
    for (int64_t o = 0; o < outer; ++o) {
      const T* xr = x + o * dim;
      T* yr = y + o * dim;
      const T m = line_max(xr, dim, 1);
      double s = 0;
      for (int64_t d = 0; d < dim; ++d) s += std::exp(double(xr[d] - m));
      const T lse = m + T(std::log(s));
      for (int64_t d = 0; d < dim; ++d) yr[d] = log ? xr[d] - lse : T(std::exp(xr[d] - lse));
    }
    return;
  }
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
#pragma omp parallel for if (outer * dim * inner > kParallelMin)
  for (int64_t task = 0; task < outer * chunks; ++task) {
    const int64_t o = task / chunks, i0 = (task % chunks) * kChunk;
    const int64_t w = std::min(kChunk, inner - i0);
    const T* xb = x + o * dim * inner + i0;
    T* yb = y + o * dim * inner + i0;
    T m[kChunk];
    double s[kChunk];
    std::fill(m, m + w, -std::numeric_limits<T>::infinity());
    std::fill(s, s + w, 0.0);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) m[i] = xb[d * inner + i] > m[i] ? xb[d * inner + i] : m[i];
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) s[i] += std::exp(double(xb[d * inner + i] - m[i]));
    T lse[kChunk];
    for (int64_t i = 0; i < w; ++i) lse[i] = m[i] + T(std::log(s[i]));
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) {
        const T v = xb[d * inner + i] - lse[i];
        yb[d * inner + i] = log ? v : T(std::exp(v));
      }
  }
}

template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t outer, int64_t dim, int64_t inner, bool log) {
  // Both forms need one reduction per line: r = sum_d dy (log) or sum_d dy * y (softmax).
  auto term = [log](T yv, T g) { return log ? double(g) : double(g) * double(yv); };
  auto grad = [log](T yv, T g, double r) {
    return log ? T(g - std::exp(yv) * T(r)) : T(yv * (g - T(r)));
  };
  if (inner == 1) {
#pragma omp parallel for if (outer * dim > kParallelMin)
    for (int64_t o = 0; o < outer; ++o) {
      const T *yr = y + o * dim, *gr = dy + o * dim;
      double r = 0;
      for (int64_t d = 0; d < dim; ++d) r += term(yr[d], gr[d]);
      for (int64_t d = 0; d < dim; ++d) dx[o * dim + d] = grad(yr[d], gr[d], r);
    }
    return;
  }
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
#pragma omp parallel for if (outer * dim * inner > kParallelMin)
  for (int64_t task = 0; task < outer * chunks; ++task) {
    const int64_t o = task / chunks, i0 = (task % chunks) * kChunk;
    const int64_t w = std::min(kChunk, inner - i0);
    const int64_t base = o * dim * inner + i0;
    double r[kChunk];
    std::fill(r, r + w, 0.0);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) r[i] += term(y[base + d * inner + i], dy[base + d * inner + i]);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) {
        const int64_t k = base + d * inner + i;
        dx[k] = grad(y[k], dy[k], r[i]);
      }
  }
}

template void softmax_forward<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_forward<double>(const double*, double*, int64_t, int64_t, int64_t, bool);
template void softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t, int64_t,
                                       bool);

}  // namespace csgis::cpu
