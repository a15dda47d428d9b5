// Masked total variation with wrap-around differences (the reference's GDLoss core): the geometry
// shared by the CPU kernels (kernels/cpu/tv.h) and the CUDA launchers (kernels/cuda/tv.h).
#pragma once
#include <cstdint>

namespace csgis {

// x is a contiguous [N, C, H, W] tensor. The mask plane of (n, c) starts at mask + n * mask_sn +
// c * mask_sc and is a contiguous H x W plane: strides 0 broadcast a [1 or N, 1 or C, H, W] mask.
// A null mask means all ones.
struct TvGeom {
  int64_t N = 0, C = 0, H = 0, W = 0;
  int64_t mask_sn = 0, mask_sc = 0;
  double wh = 1, ww = 1;  // weights of the vertical and horizontal terms
};

// Blocks (and partial sums) of the CUDA forward reduction: enough to fill a GPU, few enough that one
// block can sum the partials. 256 threads per block.
inline int64_t masked_tv_partials(const TvGeom& g) {
  const int64_t n = g.N * g.C * g.H * g.W, b = (n + 255) / 256;
  return b < 1 ? 1 : b > 1024 ? 1024 : b;
}

}  // namespace csgis
