// Batch normalisation (engine/ops/batchnorm.cpp; kernels in kernels/{cpu,cuda}/batchnorm).
#pragma once
#include <functional>
#include <vector>

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

// Synchronised BatchNorm for data-parallel training: gathers one vector of doubles from every rank
// (the same length on each) and returns all of them concatenated in rank order, on every rank.
using BatchNormAllGather = std::function<std::vector<double>(const std::vector<double>&)>;

// batch_norm2d in training mode over the global batch, the union of every rank's x: the mean and
// biased variance are those of all ranks' values (each rank's mean and variance combined in rank
// order, in double, so every rank gets the same numbers), and the running statistics are updated
// with them (unbiased with the global count). Backward gathers each rank's per-channel sums of dy
// and dy * xhat, so dx is the gradient through the global statistics; dweight and dbias stay this
// rank's own sums (a data-parallel trainer averages them with the other gradients). Every rank
// must call it with the same C, in the same order: `gather` is a collective.
Tensor sync_batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                         Tensor& running_var, const BatchNormAllGather& gather, double momentum = 0.1,
                         double eps = 1e-5);

}  // namespace csgis
#pragma GCC visibility pop
