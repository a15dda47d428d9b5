// Host bilinear kernels: OpenMP over planes; the taps of every output row/column are computed once
// per call (they depend only on the axis), and the backward scatter stays inside one plane, so it
// is race-free and deterministic.
#include "kernels/cpu/upsample.h"

#include <algorithm>
#include <vector>

namespace csgis::cpu {

namespace {
template <typename T> struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
  Taps(int64_t in, int64_t out, bool ac) : i0(size_t(out)), i1(size_t(out)), l0(size_t(out)), l1(size_t(out)) {
    const T scale = bilinear_scale<T>(in, out, ac);
    for (int64_t o = 0; o < out; ++o) bilinear_taps<T>(scale, o, in, ac, i0[o], i1[o], l0[o], l1[o]);
  }
};

inline bool parallel(int64_t planes, int64_t work) { return planes > 1 && work > (1 << 14); }
}  // namespace

template <typename T>
void upsample_bilinear2d_forward(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW,
                                 bool align_corners) {
  const Taps<T> th(H, OH, align_corners), tw(W, OW, align_corners);
#pragma omp parallel for if (parallel(planes, planes * OH * OW))
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const T* r0 = xp + th.i0[oh] * W;
      const T* r1 = xp + th.i1[oh] * W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t a = tw.i0[ow], b = tw.i1[ow];
        yp[oh * OW + ow] = th.l0[oh] * (tw.l0[ow] * r0[a] + tw.l1[ow] * r0[b]) +
                           th.l1[oh] * (tw.l0[ow] * r1[a] + tw.l1[ow] * r1[b]);
      }
    }
  }
}

template <typename T>
void upsample_bilinear2d_backward(const T* dy, T* dx, int64_t planes, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW, bool align_corners) {
  const Taps<T> th(H, OH, align_corners), tw(W, OW, align_corners);
#pragma omp parallel for if (parallel(planes, planes * OH * OW))
  for (int64_t p = 0; p < planes; ++p) {
    T* dxp = dx + p * H * W;
    const T* dyp = dy + p * OH * OW;
    std::fill(dxp, dxp + H * W, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      T* r0 = dxp + th.i0[oh] * W;
      T* r1 = dxp + th.i1[oh] * W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const T g = dyp[oh * OW + ow];
        const int64_t a = tw.i0[ow], b = tw.i1[ow];
        r0[a] += th.l0[oh] * tw.l0[ow] * g;
        r0[b] += th.l0[oh] * tw.l1[ow] * g;
        r1[a] += th.l1[oh] * tw.l0[ow] * g;
        r1[b] += th.l1[oh] * tw.l1[ow] * g;
      }
    }
  }
}

template void upsample_bilinear2d_forward<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t,
                                                 int64_t, bool);
template void upsample_bilinear2d_forward<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                                  int64_t, bool);
template void upsample_bilinear2d_backward<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t,
                                                  int64_t, bool);
template void upsample_bilinear2d_backward<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                                   int64_t, bool);

}  // namespace csgis::cpu
