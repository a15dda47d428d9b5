// Bilinear resizing: the source-index arithmetic shared by the CPU kernels (kernels/cpu/upsample.h)
// and kernels/cuda/upsample.cu, so both devices pick the same taps (PyTorch's rules, sizes given,
// no scale factor).
#pragma once
#include <cstdint>

#include "kernels/common/layout.h"  // CSGIS_HD

namespace csgis {

// Source pixels per destination pixel along one axis.
template <typename T> CSGIS_HD inline T bilinear_scale(int64_t in, int64_t out, bool align_corners) {
  if (align_corners) return out > 1 ? T(in - 1) / T(out - 1) : T(0);
  return T(in) / T(out);
}

// Taps of destination index `dst` along one axis: value = l0 * x[i0] + l1 * x[i1].
//   align_corners:  src = dst * scale
//   otherwise:      src = max((dst + 0.5) * scale - 0.5, 0)
// i0 = floor(src), i1 = i0 + 1 except at the last input index (then i1 = i0), l1 = src - i0.
template <typename T>
CSGIS_HD inline void bilinear_taps(T scale, int64_t dst, int64_t in, bool align_corners, int64_t& i0,
                                   int64_t& i1, T& l0, T& l1) {
  T src = align_corners ? scale * T(dst) : scale * (T(dst) + T(0.5)) - T(0.5);
  if (src < T(0)) src = T(0);
  i0 = int64_t(src);
  if (i0 > in - 1) i0 = in - 1;  // only float rounding at the far edge can get here
  i1 = i0 < in - 1 ? i0 + 1 : i0;
  l1 = src - T(i0);
  l0 = T(1) - l1;
}

}  // namespace csgis
