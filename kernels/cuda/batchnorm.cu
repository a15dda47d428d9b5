// Batch normalisation kernels (float32). Per-channel reductions run one block per channel: every
// thread strides over the channel's N*S elements, then a warp-shuffle reduction and a pass across
// warps through shared memory. Elementwise passes are grid-stride loops over the whole tensor.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/batchnorm.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kMaxWarps = 16;
constexpr int kElementwiseThreads = 256;

// Sum of v over the whole block, returned to every thread. `scratch` holds one float per warp; the
// trailing barrier lets the caller reuse it at once. blockDim.x must be a multiple of 32.
__device__ float block_sum(float v, float* scratch) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  // Every warp folds the per-warp sums itself (xor butterfly): all lanes end with the total.
  v = lane < int(blockDim.x / 32) ? scratch[lane] : 0.f;
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  __syncthreads();
  return v;
}

// Offset of element i (0 <= i < N*S) of channel c in an [N, C, S] tensor.
__device__ __forceinline__ int64_t channel_offset(int64_t i, int64_t c, int64_t C, int64_t S) {
  const int64_t n = i / S;
  return (n * C + c) * S + (i - n * S);
}

// mean = sum x / M, invstd = 1/sqrt(sum (x-mean)^2 / M + eps), running <- (1-m) running + m batch
// (unbiased variance for running_var); one block per channel, M = N*S.
__global__ void bn_stats_kernel(const float* __restrict__ x, int64_t N, int64_t C, int64_t S, float eps,
                                float momentum, float* __restrict__ mean, float* __restrict__ invstd,
                                float* __restrict__ running_mean, float* __restrict__ running_var) {
  CSGIS_STATIC_SHARED(float, scratch, [kMaxWarps]);
  const int64_t c = blockIdx.x, M = N * S;
  float s = 0.f;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) s += x[channel_offset(i, c, C, S)];
  const float mu = block_sum(s, scratch) / float(M);
  // Second pass over squared deviations: avoids the cancellation of E[x^2] - E[x]^2.
  float q = 0.f;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    const float d = x[channel_offset(i, c, C, S)] - mu;
    q += d * d;
  }
  q = block_sum(q, scratch);
  if (threadIdx.x == 0) {
    const float var = q / float(M);
    mean[c] = mu;
    invstd[c] = 1.f / sqrtf(var + eps);
    if (running_mean) running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mu;
    if (running_var) {
      const float unbiased = M > 1 ? q / float(M - 1) : var;
      running_var[c] = (1.f - momentum) * running_var[c] + momentum * unbiased;
    }
  }
}

// mean[c] = running_mean[c], invstd[c] = 1/sqrt(running_var[c] + eps)
__global__ void bn_eval_stats_kernel(const float* __restrict__ running_mean,
                                     const float* __restrict__ running_var, int64_t C, float eps,
                                     float* __restrict__ mean, float* __restrict__ invstd) {
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    mean[c] = running_mean[c];
    invstd[c] = 1.f / sqrtf(running_var[c] + eps);
  }
}

// y = (x - mean[c]) * invstd[c] * w[c] + b[c]   (w = 1, b = 0 when null)
__global__ void bn_apply_kernel(const float* __restrict__ x, const float* __restrict__ mean,
                                const float* __restrict__ invstd, const float* __restrict__ weight,
                                const float* __restrict__ bias, float* __restrict__ y, int64_t total,
                                int64_t C, int64_t S) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / S) % C;
    const float scale = invstd[c] * (weight ? weight[c] : 1.f);
    const float shift = (bias ? bias[c] : 0.f) - mean[c] * scale;
    y[i] = x[i] * scale + shift;
  }
}

// sum_dy[c] = sum dy, sum_dy_xhat[c] = invstd[c] * sum dy * (x - mean[c]); one block per channel
__global__ void bn_backward_reduce_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                          const float* __restrict__ mean, const float* __restrict__ invstd,
                                          float* __restrict__ sum_dy, float* __restrict__ sum_dy_xhat,
                                          int64_t N, int64_t C, int64_t S) {
  CSGIS_STATIC_SHARED(float, scratch, [kMaxWarps]);
  const int64_t c = blockIdx.x, M = N * S;
  const float mu = mean[c];
  float sd = 0.f, sdx = 0.f;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    const int64_t o = channel_offset(i, c, C, S);
    sd += dy[o];
    sdx += dy[o] * (x[o] - mu);
  }
  sd = block_sum(sd, scratch);
  sdx = block_sum(sdx, scratch);
  if (threadIdx.x == 0) {
    sum_dy[c] = sd;
    sum_dy_xhat[c] = sdx * invstd[c];
  }
}

// training: dx = w invstd (dy - sum_dy/M - xhat sum_dy_xhat/M); eval: dx = w invstd dy
__global__ void bn_backward_input_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                         const float* __restrict__ mean, const float* __restrict__ invstd,
                                         const float* __restrict__ weight, const float* __restrict__ sum_dy,
                                         const float* __restrict__ sum_dy_xhat, float* __restrict__ dx,
                                         int64_t total, int64_t C, int64_t S, float inv_m, bool training) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / S) % C;
    const float k = invstd[c] * (weight ? weight[c] : 1.f);
    if (training) {
      const float proj = sum_dy_xhat[c] * inv_m * invstd[c];
      dx[i] = k * (dy[i] - sum_dy[c] * inv_m - (x[i] - mean[c]) * proj);
    } else {
      dx[i] = k * dy[i];
    }
  }
}


// Threads of a per-channel block: one warp per 256 elements up to kMaxWarps, so tiny channels do
// not pay for idle warps at the barriers.
unsigned channel_threads(int64_t M) {
  int64_t warps = (M + 255) / 256;
  if (warps < 1) warps = 1;
  if (warps > kMaxWarps) warps = kMaxWarps;
  return unsigned(warps * 32);
}
}  // namespace

void batchnorm_stats(const float* x, int64_t N, int64_t C, int64_t S, double eps, double momentum,
                     float* mean, float* invstd, float* running_mean, float* running_var,
                     cudaStream_t stream) {
  if (C == 0 || N * S == 0) return;
  CSGIS_LAUNCH(bn_stats_kernel, dim3(unsigned(C)), dim3(channel_threads(N * S)), 0, stream, x, N, C, S,
               float(eps), float(momentum), mean, invstd, running_mean, running_var);
  CSGIS_CHECK_LAUNCH("bn_stats_kernel");
}

void batchnorm_eval_stats(const float* running_mean, const float* running_var, int64_t C, double eps,
                          float* mean, float* invstd, cudaStream_t stream) {
  if (C == 0) return;
  CSGIS_LAUNCH(bn_eval_stats_kernel, dim3(grid_stride_blocks(C, 128)), dim3(128), 0, stream, running_mean,
               running_var, C, float(eps), mean, invstd);
  CSGIS_CHECK_LAUNCH("bn_eval_stats_kernel");
}

void batchnorm_apply(const float* x, const float* mean, const float* invstd, const float* weight,
                     const float* bias, float* y, int64_t N, int64_t C, int64_t S, cudaStream_t stream) {
  const int64_t total = N * C * S;
  if (total == 0) return;
  CSGIS_LAUNCH(bn_apply_kernel, dim3(grid_stride_blocks(total, kElementwiseThreads)), dim3(kElementwiseThreads), 0,
               stream, x, mean, invstd, weight, bias, y, total, C, S);
  CSGIS_CHECK_LAUNCH("bn_apply_kernel");
}

void batchnorm_backward_reduce(const float* dy, const float* x, const float* mean, const float* invstd,
                               float* sum_dy, float* sum_dy_xhat, int64_t N, int64_t C, int64_t S,
                               cudaStream_t stream) {
  if (C == 0) return;
  CSGIS_LAUNCH(bn_backward_reduce_kernel, dim3(unsigned(C)), dim3(channel_threads(N * S)), 0, stream, dy, x,
               mean, invstd, sum_dy, sum_dy_xhat, N, C, S);
  CSGIS_CHECK_LAUNCH("bn_backward_reduce_kernel");
}

void batchnorm_backward_input(const float* dy, const float* x, const float* mean, const float* invstd,
                              const float* weight, const float* sum_dy, const float* sum_dy_xhat,
                              float* dx, int64_t N, int64_t C, int64_t S, bool training,
                              cudaStream_t stream) {
  const int64_t total = N * C * S;
  if (total == 0) return;
  const float inv_m = 1.f / float(N * S);
  CSGIS_LAUNCH(bn_backward_input_kernel, dim3(grid_stride_blocks(total, kElementwiseThreads)),
               dim3(kElementwiseThreads), 0, stream, dy, x, mean, invstd, weight, sum_dy, sum_dy_xhat, dx,
               total, C, S, inv_m, training);
  CSGIS_CHECK_LAUNCH("bn_backward_input_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
