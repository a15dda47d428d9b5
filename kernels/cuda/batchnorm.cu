// Batch normalisation kernels (float32). The per-channel reductions run in two launches: many
// blocks per channel each sum a contiguous piece of it (kernels/common/batchnorm_partials.h), then
// one thread per channel adds the pieces in a fixed order (deterministic, no atomics). The
// elementwise passes run over (plane, position) grids, a plane being one (n, c) row of S values,
// so the channel and the per-channel scale come once per block rather than by a division per
// element. On an H200 the one-block-per-channel version took 20% of a training step (docs/perf.md).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/batchnorm.h"
#include "kernels/common/batchnorm_partials.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kWarps = kBatchnormReduceThreads / 32;
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

// The piece [begin, end) of channel c's M = N*S values that block (blockIdx.x = piece, blockIdx.y =
// channel) sums, walked by each thread from `begin + threadIdx.x` in steps of blockDim.x: one
// division to find its first (n, s), then carries instead of a division per value.
struct PieceWalk {
  int64_t i, end, n, s;
  __device__ PieceWalk(int64_t M, int64_t S, int64_t pieces) {
    const int64_t chunk = (M + pieces - 1) / pieces;
    const int64_t begin = int64_t(blockIdx.x) * chunk;
    end = begin + chunk < M ? begin + chunk : M;
    i = begin + threadIdx.x;
    n = i / S;
    s = i - n * S;
  }
  __device__ bool more() const { return i < end; }
  __device__ int64_t offset(int64_t c, int64_t C, int64_t S) const { return (n * C + c) * S + s; }
  __device__ void next(int64_t S) {
    i += blockDim.x;
    s += blockDim.x;
    while (s >= S) {
      s -= S;
      ++n;
    }
  }
};

// Channel c's two partial sums over its pieces, in piece order, in double (the finishing passes).
__device__ void sum_pieces(const float* ws, int64_t c, int64_t pieces, double& a, double& b) {
  a = 0;
  b = 0;
  for (int64_t p = 0; p < pieces; ++p) {
    a += double(ws[2 * (c * pieces + p)]);
    b += double(ws[2 * (c * pieces + p) + 1]);
  }
}

// Partial sums of channel c's values shifted by its first value K = x[n=0, c, s=0]:
// ws[2 (c P + p)] = sum (x - K), ws[2 (c P + p) + 1] = sum (x - K)^2. The shift keeps the one-pass
// variance free of the cancellation E[x^2] - E[x]^2 suffers for large means.
__global__ void bn_stats_partial_kernel(const float* __restrict__ x, int64_t N, int64_t C, int64_t S,
                                        int64_t pieces, float* __restrict__ ws) {
  CSGIS_STATIC_SHARED(float, scratch, [kWarps]);
  const int64_t c = blockIdx.y;
  const float K = x[c * S];
  float s1 = 0.f, s2 = 0.f;
  for (PieceWalk w(N * S, S, pieces); w.more(); w.next(S)) {
    const float d = x[w.offset(c, C, S)] - K;
    s1 += d;
    s2 += d * d;
  }
  s1 = block_sum(s1, scratch);
  s2 = block_sum(s2, scratch);
  if (threadIdx.x == 0) {
    float* out = ws + 2 * (c * pieces + blockIdx.x);
    out[0] = s1;
    out[1] = s2;
  }
}

// mean, invstd and the running statistics (unbiased variance for running_var) from the partial
// sums, added in piece order in double; one thread per channel.
__global__ void bn_stats_finish_kernel(const float* __restrict__ x, const float* __restrict__ ws, int64_t N,
                                       int64_t C, int64_t S, int64_t pieces, float eps, float momentum,
                                       float* __restrict__ mean, float* __restrict__ invstd,
                                       float* __restrict__ running_mean, float* __restrict__ running_var) {
  const int64_t M = N * S;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    double s1, s2;
    sum_pieces(ws, c, pieces, s1, s2);
    const double shift = s1 / double(M);
    double var = s2 / double(M) - shift * shift;
    if (var < 0) var = 0;
    const float mu = float(double(x[c * S]) + shift);
    mean[c] = mu;
    invstd[c] = float(1.0 / sqrt(var + double(eps)));
    if (running_mean) running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mu;
    if (running_var) {
      const float unbiased = float(M > 1 ? var * double(M) / double(M - 1) : var);
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

// y = (x - mean[c]) * invstd[c] * w[c] + b[c]   (w = 1, b = 0 when null); blockIdx.y strides over
// the N*C planes, blockIdx.x and the threads over a plane's S values.
__global__ void bn_apply_kernel(const float* __restrict__ x, const float* __restrict__ mean,
                                const float* __restrict__ invstd, const float* __restrict__ weight,
                                const float* __restrict__ bias, float* __restrict__ y, int64_t planes,
                                int64_t C, int64_t S) {
  for (int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const int64_t c = plane % C;
    const float scale = invstd[c] * (weight ? weight[c] : 1.f);
    const float shift = (bias ? bias[c] : 0.f) - mean[c] * scale;
    const float* xp = x + plane * S;
    float* yp = y + plane * S;
    for (int64_t s = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; s < S; s += int64_t(gridDim.x) * blockDim.x)
      yp[s] = xp[s] * scale + shift;
  }
}

// Partial sums of channel c's dy and dy (x - mean[c]) over one piece (as bn_stats_partial_kernel).
__global__ void bn_backward_partial_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                           const float* __restrict__ mean, int64_t N, int64_t C, int64_t S,
                                           int64_t pieces, float* __restrict__ ws) {
  CSGIS_STATIC_SHARED(float, scratch, [kWarps]);
  const int64_t c = blockIdx.y;
  const float mu = mean[c];
  float sd = 0.f, sdx = 0.f;
  for (PieceWalk w(N * S, S, pieces); w.more(); w.next(S)) {
    const int64_t o = w.offset(c, C, S);
    sd += dy[o];
    sdx += dy[o] * (x[o] - mu);
  }
  sd = block_sum(sd, scratch);
  sdx = block_sum(sdx, scratch);
  if (threadIdx.x == 0) {
    float* out = ws + 2 * (c * pieces + blockIdx.x);
    out[0] = sd;
    out[1] = sdx;
  }
}

// sum_dy[c] = sum dy, sum_dy_xhat[c] = invstd[c] * sum dy (x - mean[c]), from the pieces in order.
__global__ void bn_backward_finish_kernel(const float* __restrict__ ws, const float* __restrict__ invstd,
                                          int64_t C, int64_t pieces, float* __restrict__ sum_dy,
                                          float* __restrict__ sum_dy_xhat) {
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    double sd, sdx;
    sum_pieces(ws, c, pieces, sd, sdx);
    sum_dy[c] = float(sd);
    sum_dy_xhat[c] = float(sdx * double(invstd[c]));
  }
}

// training: dx = w invstd (dy - sum_dy/M - xhat sum_dy_xhat/M); eval: dx = w invstd dy. Planes as
// bn_apply_kernel.
__global__ void bn_backward_input_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                         const float* __restrict__ mean, const float* __restrict__ invstd,
                                         const float* __restrict__ weight, const float* __restrict__ sum_dy,
                                         const float* __restrict__ sum_dy_xhat, float* __restrict__ dx,
                                         int64_t planes, int64_t C, int64_t S, float inv_m, bool training) {
  for (int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const int64_t c = plane % C;
    const float k = invstd[c] * (weight ? weight[c] : 1.f);
    const float mean_dy = training ? sum_dy[c] * inv_m : 0.f;
    const float proj = training ? sum_dy_xhat[c] * inv_m * invstd[c] : 0.f;
    const float mu = mean[c];
    const int64_t base = plane * S;
    for (int64_t s = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; s < S; s += int64_t(gridDim.x) * blockDim.x) {
      const int64_t i = base + s;
      dx[i] = training ? k * (dy[i] - mean_dy - (x[i] - mu) * proj) : k * dy[i];
    }
  }
}

// The (plane, position) grid of the elementwise passes: about 4 values per thread along a plane,
// planes over blockIdx.y up to the hardware's 65,535 (the loop covers the rest).
dim3 plane_grid(int64_t planes, int64_t S) {
  int64_t bx = (S + kElementwiseThreads * 4 - 1) / (kElementwiseThreads * 4);
  if (bx > 64) bx = 64;
  const int64_t by = planes < 65535 ? planes : 65535;
  return dim3(unsigned(bx), unsigned(by));
}

// One block per (piece, channel) for the partial reductions; the finishing pass, one thread per channel.
dim3 piece_grid(int64_t C, int64_t pieces) { return dim3(unsigned(pieces), unsigned(C)); }
unsigned finish_blocks(int64_t C) { return grid_stride_blocks(C, 128); }

void check_channels(int64_t C, const char* what) {
  if (C > 65535) throw std::invalid_argument(std::string(what) + ": at most 65,535 channels, got " + std::to_string(C));
}
}  // namespace

void batchnorm_stats(const float* x, int64_t N, int64_t C, int64_t S, double eps, double momentum,
                     float* mean, float* invstd, float* running_mean, float* running_var, float* workspace,
                     cudaStream_t stream) {
  if (C == 0 || N * S == 0) return;
  check_channels(C, "batchnorm_stats");
  const int64_t pieces = batchnorm_partials(N, S);
  CSGIS_LAUNCH(bn_stats_partial_kernel, piece_grid(C, pieces), dim3(kBatchnormReduceThreads), 0, stream, x, N, C,
               S, pieces, workspace);
  CSGIS_CHECK_LAUNCH("bn_stats_partial_kernel");
  CSGIS_LAUNCH(bn_stats_finish_kernel, dim3(finish_blocks(C)), dim3(128), 0, stream, x, workspace, N, C, S, pieces,
               float(eps), float(momentum), mean, invstd, running_mean, running_var);
  CSGIS_CHECK_LAUNCH("bn_stats_finish_kernel");
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
  if (N * C * S == 0) return;
  CSGIS_LAUNCH(bn_apply_kernel, plane_grid(N * C, S), dim3(kElementwiseThreads), 0, stream, x, mean, invstd, weight,
               bias, y, N * C, C, S);
  CSGIS_CHECK_LAUNCH("bn_apply_kernel");
}

void batchnorm_backward_reduce(const float* dy, const float* x, const float* mean, const float* invstd,
                               float* sum_dy, float* sum_dy_xhat, int64_t N, int64_t C, int64_t S,
                               float* workspace, cudaStream_t stream) {
  if (C == 0) return;
  check_channels(C, "batchnorm_backward_reduce");
  if (N * S == 0) {  // empty channels: the sums are zero
    CSGIS_CUDA_CHECK(cudaMemsetAsync(sum_dy, 0, size_t(C) * sizeof(float), stream));
    CSGIS_CUDA_CHECK(cudaMemsetAsync(sum_dy_xhat, 0, size_t(C) * sizeof(float), stream));
    return;
  }
  const int64_t pieces = batchnorm_partials(N, S);
  CSGIS_LAUNCH(bn_backward_partial_kernel, piece_grid(C, pieces), dim3(kBatchnormReduceThreads), 0, stream, dy, x,
               mean, N, C, S, pieces, workspace);
  CSGIS_CHECK_LAUNCH("bn_backward_partial_kernel");
  CSGIS_LAUNCH(bn_backward_finish_kernel, dim3(finish_blocks(C)), dim3(128), 0, stream, workspace, invstd, C, pieces,
               sum_dy, sum_dy_xhat);
  CSGIS_CHECK_LAUNCH("bn_backward_finish_kernel");
}

void batchnorm_backward_input(const float* dy, const float* x, const float* mean, const float* invstd,
                              const float* weight, const float* sum_dy, const float* sum_dy_xhat,
                              float* dx, int64_t N, int64_t C, int64_t S, bool training,
                              cudaStream_t stream) {
  if (N * C * S == 0) return;
  const float inv_m = 1.f / float(N * S);
  CSGIS_LAUNCH(bn_backward_input_kernel, plane_grid(N * C, S), dim3(kElementwiseThreads), 0, stream, dy, x, mean,
               invstd, weight, sum_dy, sum_dy_xhat, dx, N * C, C, S, inv_m, training);
  CSGIS_CHECK_LAUNCH("bn_backward_input_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
