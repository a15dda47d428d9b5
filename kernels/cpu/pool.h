// 2-d pooling on host memory, contiguous NCHW; N*C "planes" of H x W are pooled independently.
// Shared with the CUDA kernels: kernels/common/pool.h.
#pragma once
#include <cstdint>

#include "kernels/common/pool.h"

namespace csgis {

namespace cpu {

// y = max over the window (padding never wins: -inf), idx = argmax as h*W + w within the plane
// (first one on ties; NaN wins as in PyTorch).
template <typename T> void max_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, int64_t* idx);
// dx[idx[o]] += dy[o]; dx is overwritten.
template <typename T> void max_pool2d_backward(const Pool2dGeom& g, const T* dy, const int64_t* idx, T* dx);

// y = sum over the clipped window / divisor, divisor = window size clipped to the padded input
// (count_include_pad) or to the input (otherwise), as in PyTorch.
template <typename T> void avg_pool2d_forward(const Pool2dGeom& g, bool count_include_pad, const T* x, T* y);
// dx[h,w] = sum over the windows containing (h,w) of dy / divisor; dx is overwritten.
template <typename T>
void avg_pool2d_backward(const Pool2dGeom& g, bool count_include_pad, const T* dy, T* dx);

// Adaptive average pooling (kh..pw unused): output i averages input rows
// [floor(i*H/OH), ceil((i+1)*H/OH)), and columns likewise.
template <typename T> void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y);
template <typename T> void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx);

}  // namespace cpu
}  // namespace csgis
