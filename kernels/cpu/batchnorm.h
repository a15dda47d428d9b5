// Batch normalisation on host memory. The input is read as [N, C, S] contiguous (S = H*W, or the
// product of all dims after the channel one); every per-channel quantity is an array of C values.
// Reductions run over the N*S elements of a channel (OpenMP over channels, accumulated in double).
#pragma once
#include <cstdint>

namespace csgis::cpu {

// Training statistics: mean[c] and invstd[c] = 1/sqrt(var[c] + eps) with the biased variance.
// When running_mean/running_var are non-null they are updated in place:
//   running = (1 - momentum) * running + momentum * batch, using the unbiased variance.
template <typename T>
void batchnorm_stats(const T* x, int64_t N, int64_t C, int64_t S, double eps, double momentum, T* mean,
                     T* invstd, T* running_mean, T* running_var);

// Evaluation statistics: mean[c] = running_mean[c], invstd[c] = 1/sqrt(running_var[c] + eps).
template <typename T>
void batchnorm_eval_stats(const T* running_mean, const T* running_var, int64_t C, double eps, T* mean,
                          T* invstd);

// y = (x - mean[c]) * invstd[c] * weight[c] + bias[c]; weight/bias may be null (1 and 0).
template <typename T>
void batchnorm_apply(const T* x, const T* mean, const T* invstd, const T* weight, const T* bias, T* y,
                     int64_t N, int64_t C, int64_t S);

// sum_dy[c] = sum dy, sum_dy_xhat[c] = sum dy * (x - mean[c]) * invstd[c] over the channel.
template <typename T>
void batchnorm_backward_reduce(const T* dy, const T* x, const T* mean, const T* invstd, T* sum_dy,
                               T* sum_dy_xhat, int64_t N, int64_t C, int64_t S);

// Input gradient, with M = N*S and xhat = (x - mean) * invstd:
//   training: dx = weight * invstd * (dy - sum_dy / M - xhat * sum_dy_xhat / M)
//   eval:     dx = weight * invstd * dy          (sum_dy / sum_dy_xhat unused, may be null)
// weight may be null (1).
template <typename T>
void batchnorm_backward_input(const T* dy, const T* x, const T* mean, const T* invstd, const T* weight,
                              const T* sum_dy, const T* sum_dy_xhat, T* dx, int64_t N, int64_t C,
                              int64_t S, bool training);

}  // namespace csgis::cpu
