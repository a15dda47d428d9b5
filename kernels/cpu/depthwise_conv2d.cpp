// Direct depthwise convolution: each output plane is a small stencil over one input plane, so
// no GEMM; the valid tap range of every output row and column is computed once, so the inner
// loop has no bounds checks.
#include "kernels/cpu/depthwise_conv2d.h"

#include <algorithm>
#include <cstdint>

namespace csgis::cpu {

namespace {

// Output indices o in [0, out) with 0 <= o*stride - pad + tap*dil < in: [lo, hi).
void valid_outputs(int64_t tap, int64_t stride, int64_t pad, int64_t dil, int64_t in, int64_t out, int64_t& lo,
                   int64_t& hi) {
  const int64_t off = tap * dil - pad;  // input index = o*stride + off
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = in - off <= 0 ? 0 : (in - off - 1) / stride + 1;
  lo = std::min(lo, out);
  hi = std::min(hi, out);
  if (hi < lo) hi = lo;
}

}  // namespace

template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int64_t m = s.K / s.C, planes = s.N * s.K, PQ = s.P * s.Q;
#pragma omp parallel for schedule(static)
  for (int64_t nk = 0; nk < planes; ++nk) {
    const int64_t n = nk / s.K, k = nk % s.K;
    const T* xp = x + (n * s.C + k / m) * s.H * s.W;
    const T* wk = w + k * s.R * s.S;
    T* yp = y + nk * PQ;
    std::fill(yp, yp + PQ, bias ? bias[k] : T(0));
    // Tap by tap over the whole plane: the inner loop walks one output row with a fixed input stride.
    for (int64_t r = 0; r < s.R; ++r) {
      int64_t p0, p1;
      valid_outputs(r, s.stride_h, s.pad_h, s.dil_h, s.H, s.P, p0, p1);
      for (int64_t c = 0; c < s.S; ++c) {
        int64_t q0, q1;
        valid_outputs(c, s.stride_w, s.pad_w, s.dil_w, s.W, s.Q, q0, q1);
        if (q0 == q1) continue;
        const T wv = wk[r * s.S + c];
        for (int64_t p = p0; p < p1; ++p) {
          // From the first valid column: every pointer formed points into the plane.
          const T* xrow = xp + (p * s.stride_h - s.pad_h + r * s.dil_h) * s.W + (q0 * s.stride_w + c * s.dil_w - s.pad_w);
          T* yrow = yp + p * s.Q;
          for (int64_t q = q0; q < q1; ++q) yrow[q] += wv * xrow[(q - q0) * s.stride_w];
        }
      }
    }
  }
}

template <typename T>
void depthwise_conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  const int64_t m = s.K / s.C, planes = s.N * s.C, HW = s.H * s.W;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < planes; ++nc) {
    const int64_t n = nc / s.C, c = nc % s.C;
    T* dxp = dx + nc * HW;
    std::fill(dxp, dxp + HW, T(0));
    // The adjoint of the forward's tap loop, scattered within this one input plane only (no
    // other thread writes it), in a fixed order.
    for (int64_t j = 0; j < m; ++j) {
      const int64_t k = c * m + j;
      const T* dyp = dy + (n * s.K + k) * s.P * s.Q;
      const T* wk = w + k * s.R * s.S;
      for (int64_t r = 0; r < s.R; ++r) {
        int64_t p0, p1;
        valid_outputs(r, s.stride_h, s.pad_h, s.dil_h, s.H, s.P, p0, p1);
        for (int64_t cc = 0; cc < s.S; ++cc) {
          int64_t q0, q1;
          valid_outputs(cc, s.stride_w, s.pad_w, s.dil_w, s.W, s.Q, q0, q1);
          if (q0 == q1) continue;
          const T wv = wk[r * s.S + cc];
          for (int64_t p = p0; p < p1; ++p) {
            T* dxrow = dxp + (p * s.stride_h - s.pad_h + r * s.dil_h) * s.W + (q0 * s.stride_w + cc * s.dil_w - s.pad_w);
            const T* dyrow = dyp + p * s.Q;
            for (int64_t q = q0; q < q1; ++q) dxrow[(q - q0) * s.stride_w] += wv * dyrow[q];
          }
        }
      }
    }
  }
}

template <typename T>
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw) {
  const int64_t m = s.K / s.C, taps = s.R * s.S;
#pragma omp parallel for schedule(static)
  for (int64_t kt = 0; kt < s.K * taps; ++kt) {
    const int64_t k = kt / taps, r = (kt % taps) / s.S, c = kt % s.S;
    int64_t p0, p1, q0, q1;
    valid_outputs(r, s.stride_h, s.pad_h, s.dil_h, s.H, s.P, p0, p1);
    valid_outputs(c, s.stride_w, s.pad_w, s.dil_w, s.W, s.Q, q0, q1);
    T acc = 0;
    for (int64_t n = 0; n < s.N && q0 < q1; ++n) {
      const T* xp = x + (n * s.C + k / m) * s.H * s.W;
      const T* dyp = dy + (n * s.K + k) * s.P * s.Q;
      for (int64_t p = p0; p < p1; ++p) {
        const T* xrow = xp + (p * s.stride_h - s.pad_h + r * s.dil_h) * s.W + (q0 * s.stride_w + c * s.dil_w - s.pad_w);
        const T* dyrow = dyp + p * s.Q;
        for (int64_t q = q0; q < q1; ++q) acc += dyrow[q] * xrow[(q - q0) * s.stride_w];
      }
    }
    dw[kt] = acc;
  }
}

#define CSGIS_INSTANTIATE(T)                                                                          \
  template void depthwise_conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*); \
  template void depthwise_conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*);     \
  template void depthwise_conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*);
CSGIS_INSTANTIATE(float)
CSGIS_INSTANTIATE(double)
#undef CSGIS_INSTANTIATE

}  // namespace csgis::cpu
