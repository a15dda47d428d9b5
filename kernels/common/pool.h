// 2-d pooling: the window geometry shared by the CPU kernels (kernels/cpu/pool.h) and the CUDA
// launchers (kernels/cuda/pool.h).
#pragma once
#include <cstdint>

#include "kernels/common/layout.h"  // CSGIS_HD

namespace csgis {

// Window geometry (a plain struct: the CUDA launchers in kernels/cuda/pool.h take it too).
// Output (oh, ow) covers rows [oh*sh - ph, oh*sh - ph + kh) and columns likewise, clipped to the
// input; the engine computes OH/OW with PyTorch's rule (engine/ops/pool.cpp).
struct Pool2dGeom {
  int64_t planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
};

// Window of output `o` along one axis for average pooling: [lo, hi) clipped to the input, and
// `padded` = its size clipped to the padded input instead (the count_include_pad divisor).
CSGIS_HD inline void avg_pool_window(int64_t o, int k, int s, int p, int64_t in, int64_t& lo, int64_t& hi,
                                     int64_t& padded) {
  const int64_t start = o * s - p;
  int64_t end = start + k;
  if (end > in + p) end = in + p;
  padded = end - start;
  lo = start < 0 ? 0 : start;
  hi = end > in ? in : end;
}

// Adaptive pooling window of output i along an axis of `in` elements pooled to `out`.
CSGIS_HD inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
CSGIS_HD inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace csgis
