// 2-d pooling over NCHW tensors with PyTorch's semantics: max_pool2d, avg_pool2d and
// adaptive_avg_pool2d (the global/image pooling of DeepLabv3+'s ASPP).
#pragma once
#include <cstdint>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// A (height, width) pair for kernel / stride / padding; a single number means both.
struct Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t v) : h(v), w(v) {}  // NOLINT: implicit on purpose, max_pool2d(x, 3, 2, 1)
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};

// Output size along one axis (PyTorch's rule, dilation 1):
//   out = floor_or_ceil((in + 2*pad - kernel) / stride) + 1, and with ceil_mode the last window must
//   start inside the input or the left padding: out -= 1 when (out - 1) * stride >= in + pad.
// Throws when the kernel is larger than the padded input.
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode);

// Max over each window; padding counts as -inf (never selected). padding <= kernel / 2.
// `indices` (optional) receives the int64 argmax of every output as h * W + w within its plane.
// NaN inputs propagate as in PyTorch.
Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding = 0, bool ceil_mode = false,
                  Tensor* indices = nullptr);

// Mean over each window. count_include_pad: divide by the window size clipped to the padded input
// (PyTorch's default), else by the number of real input pixels in the window.
Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding = 0, bool ceil_mode = false,
                  bool count_include_pad = true);

// Output (i, j) averages rows [floor(i*H/out_h), ceil((i+1)*H/out_h)) and the columns likewise;
// out sizes may also exceed the input's (windows then overlap / repeat).
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace csgis
#pragma GCC visibility pop
