// Softmax / log-softmax kernels. inner == 1 (the normalised axis is the last one): one warp per
// row, lanes stride over the row and combine with xor-shuffles, so every lane holds the row's
// statistic without shared memory or block barriers. inner > 1: one thread per (outer, inner)
// column walking d with stride `inner`: neighbouring threads read neighbouring addresses.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/softmax.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 128;
constexpr int kWarpsPerBlock = kThreads / 32;


__device__ inline float warp_max(float v) {
  for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

__device__ inline float warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// y[r, c] = x[r, c] - lse_r (log) or exp(x[r, c] - lse_r), lse_r = m + log(sum_c exp(x[r, c] - m))
__global__ void softmax_rows_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows,
                                    int64_t dim, bool log) {
  const int lane = threadIdx.x % 32;
  const int64_t step = int64_t(gridDim.x) * kWarpsPerBlock;
  // r is the same for the 32 lanes of a warp, so the whole warp runs (and shuffles) together.
  for (int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; r < rows; r += step) {
    const float* xr = x + r * dim;
    float m = -INFINITY;  // fmaxf skips NaN; it still reaches y through expf(NaN - m)
    for (int64_t c = lane; c < dim; c += 32) m = fmaxf(m, xr[c]);
    m = warp_max(m);
    float s = 0.f;
    for (int64_t c = lane; c < dim; c += 32) s += expf(xr[c] - m);
    const float lse = m + logf(warp_sum(s));
    for (int64_t c = lane; c < dim; c += 32) y[r * dim + c] = log ? xr[c] - lse : expf(xr[c] - lse);
  }
}

// dx[r, c] = dy - exp(y) * sum_c dy (log) or y * (dy - sum_c dy * y) (softmax)
__global__ void softmax_rows_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                             float* __restrict__ dx, int64_t rows, int64_t dim, bool log) {
  const int lane = threadIdx.x % 32;
  const int64_t step = int64_t(gridDim.x) * kWarpsPerBlock;
  for (int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; r < rows; r += step) {
    const float *yr = y + r * dim, *gr = dy + r * dim;
    float s = 0.f;
    for (int64_t c = lane; c < dim; c += 32) s += log ? gr[c] : gr[c] * yr[c];
    s = warp_sum(s);
    for (int64_t c = lane; c < dim; c += 32)
      dx[r * dim + c] = log ? gr[c] - expf(yr[c]) * s : yr[c] * (gr[c] - s);
  }
}

// Same as softmax_rows_kernel along column (o, i) of the [outer, dim, inner] layout.
__global__ void softmax_cols_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t outer,
                                    int64_t dim, int64_t inner, bool log) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (t / inner) * dim * inner + t % inner;
    float m = -INFINITY;
    for (int64_t d = 0; d < dim; ++d) m = fmaxf(m, x[base + d * inner]);
    float s = 0.f;
    for (int64_t d = 0; d < dim; ++d) s += expf(x[base + d * inner] - m);
    const float lse = m + logf(s);
    for (int64_t d = 0; d < dim; ++d) {
      const float v = x[base + d * inner] - lse;
      y[base + d * inner] = log ? v : expf(v);
    }
  }
}

// Same as softmax_rows_backward_kernel along column (o, i).
__global__ void softmax_cols_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                             float* __restrict__ dx, int64_t outer, int64_t dim,
                                             int64_t inner, bool log) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (t / inner) * dim * inner + t % inner;
    float s = 0.f;
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t k = base + d * inner;
      s += log ? dy[k] : dy[k] * y[k];
    }
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t k = base + d * inner;
      dx[k] = log ? dy[k] - expf(y[k]) * s : y[k] * (dy[k] - s);
    }
  }
}
}  // namespace

void softmax_forward(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log,
                     cudaStream_t stream) {
  if (outer * dim * inner == 0) return;
  if (inner == 1) {
    CSGIS_LAUNCH(softmax_rows_kernel, dim3(grid_stride_blocks(outer, kWarpsPerBlock)), dim3(kThreads), 0, stream,
                 x, y, outer, dim, log);
    CSGIS_CHECK_LAUNCH("softmax_rows_kernel");
  } else {
    CSGIS_LAUNCH(softmax_cols_kernel, dim3(grid_stride_blocks(outer * inner, kThreads)), dim3(kThreads), 0, stream,
                 x, y, outer, dim, inner, log);
    CSGIS_CHECK_LAUNCH("softmax_cols_kernel");
  }
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim, int64_t inner,
                      bool log, cudaStream_t stream) {
  if (outer * dim * inner == 0) return;
  if (inner == 1) {
    CSGIS_LAUNCH(softmax_rows_backward_kernel, dim3(grid_stride_blocks(outer, kWarpsPerBlock)), dim3(kThreads), 0,
                 stream, y, dy, dx, outer, dim, log);
    CSGIS_CHECK_LAUNCH("softmax_rows_backward_kernel");
  } else {
    CSGIS_LAUNCH(softmax_cols_backward_kernel, dim3(grid_stride_blocks(outer * inner, kThreads)), dim3(kThreads), 0,
                 stream, y, dy, dx, outer, dim, inner, log);
    CSGIS_CHECK_LAUNCH("softmax_cols_backward_kernel");
  }
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
