// Shape kernels on host memory: 2-D padding (kernels/common/pad2d.h) of contiguous [planes, h, w] data.
// (concat and stack need no kernel: the engine copies into slice views with the strided copy.)
#pragma once
#include <cstdint>

#include "kernels/common/pad2d.h"

namespace csgis::cpu {

// y[p, oh, ow] = x[p, src(oh - top), src(ow - left)] or `value` in a constant border;
// y is [planes, h + top + bottom, w + left + right]
template <typename T>
void pad2d_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad, T value);
// dx[p, i, j] = sum of dy over the output elements that read x[p, i, j]
template <typename T>
void pad2d_backward(const T* dy, T* dx, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad);

}  // namespace csgis::cpu
