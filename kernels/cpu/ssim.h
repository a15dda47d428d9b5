// Fused SSIM on host memory: the five Gaussian-filtered statistics (mu_x, mu_y, E[x^2], E[y^2],
// E[xy]) and the SSIM map in one pass per plane, and the gradient of sum(g * map) with respect to
// x and y.
// Shared with the CUDA kernels: kernels/common/ssim.h.
#pragma once
#include <cstdint>

#include "kernels/common/ssim.h"

namespace csgis {

namespace cpu {

// map[p, i, j] = SSIM at image position (oy0 + i, ox0 + j) of plane p; x, y are [planes, H, W].
template <typename T>
void ssim_forward(const SsimGeom& g, const T* x, const T* y, T* map);

// Given gmap = dL/dmap ([planes, OH, OW]), writes dL/dx and (when dy is not null) dL/dy, [planes, H, W].
template <typename T>
void ssim_backward(const SsimGeom& g, const T* x, const T* y, const T* gmap, T* dx, T* dy);

}  // namespace cpu
}  // namespace csgis
