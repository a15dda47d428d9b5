// Bilinear resizing on host memory, contiguous NCHW; `planes` = N*C planes of H x W -> OH x OW.
// Shared with the CUDA kernels: kernels/common/upsample.h.
#pragma once
#include <cstdint>

#include "kernels/common/upsample.h"

namespace csgis {

namespace cpu {

// y[p, oh, ow] = sum of the 2x2 taps of (oh, ow) weighted by lh * lw.
template <typename T>
void upsample_bilinear2d_forward(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW,
                                 bool align_corners);
// dx = the adjoint: every dy[p, oh, ow] is spread over its taps with the same weights. dx is overwritten.
template <typename T>
void upsample_bilinear2d_backward(const T* dy, T* dx, int64_t planes, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW, bool align_corners);

}  // namespace cpu
}  // namespace csgis
