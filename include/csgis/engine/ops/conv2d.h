// 2-D convolution (NCHW input, [K, C / groups, R, S] weight) with stride, padding, dilation and
// groups. groups = 1: kernels/cpu/conv2d (GEMM-based, OpenMP) and kernels/cuda/conv2d (hand-written
// implicit GEMM) or cuDNN when the current Context's use_cudnn switch is on. Depthwise (groups =
// C, K a multiple of C): kernels/*/depthwise_conv2d (direct stencils). Other groups: one groups = 1
// convolution per group on its channel slice, joined along the channels.
#pragma once
#include <cstdint>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dil_h = 1, dil_w = 1;
  // Input and output channels split into `groups` independent convolutions (PyTorch's groups):
  // both channel counts must be multiples of it.
  int64_t groups = 1;

  static Conv2dParams same(int64_t kernel, int64_t dilation = 1) {
    // "same" output size for odd kernels at stride 1: pad = dilation * (kernel - 1) / 2
    const int64_t p = dilation * (kernel - 1) / 2;
    return {1, 1, p, p, dilation, dilation};
  }
};

// y = conv(x, weight) + bias; `bias` may be an undefined Tensor (no bias).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

// relu(conv2d(x, weight, bias, p)). On the CPU without autograd (inference) in one pass: the ReLU is
// applied as the convolution writes its output (NaN stays NaN). Otherwise exactly the two ops.
Tensor conv2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

}  // namespace csgis
#pragma GCC visibility pop
