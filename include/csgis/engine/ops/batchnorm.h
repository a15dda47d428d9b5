// Batch normalisation (engine/ops/batchnorm.cpp; kernels in kernels/{cpu,cuda}/batchnorm).
#pragma once
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// PyTorch's F.batch_norm for x of shape [N, C, ...] (NCHW for 2-D), per channel c:
//   y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
// training: mean/var are the batch mean and biased variance over (N, H, W); running_mean and
//   running_var (when defined) are updated in place, outside autograd:
//   running = (1 - momentum) * running + momentum * batch, with the unbiased variance for running_var.
// eval: mean/var are running_mean/running_var (the batch statistics when those are undefined).
// weight/bias may be undefined (affine = false). Differentiable in x, weight and bias; running
// stats must be [C] tensors of x's dtype and device.
Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace csgis
#pragma GCC visibility pop
