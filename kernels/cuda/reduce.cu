// Row reductions. Short rows (<= kShortRow) get one thread each: no barrier, coalescing is poor but
// such rows are tiny. Long rows get one block each: every thread strides over the row, then a
// warp-shuffle reduction and a shared-memory pass across warps.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/reduce.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kShortRow = 64;
constexpr int kBlock = 256;
constexpr int kWarps = kBlock / 32;

// out[r] = sum_c x[r, c], one thread per row
__global__ void sum_short_rows_kernel(const float* __restrict__ x, float* __restrict__ out,
                                      int64_t rows, int64_t cols) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x) {
    float s = 0.f;
    for (int64_t c = 0; c < cols; ++c) s += x[r * cols + c];
    out[r] = s;
  }
}

// out[r] = sum_c x[r, c], one block per row
__global__ void sum_long_rows_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t cols) {
  CSGIS_STATIC_SHARED(float, warp_sums, [kWarps]);
  const float* row = x + int64_t(blockIdx.x) * cols;
  float s = 0.f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) s += row[c];
  for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(0xffffffffu, s, off);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_sums[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < kWarps ? warp_sums[lane] : 0.f;
    for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(0xffffffffu, s, off);
    if (lane == 0) out[blockIdx.x] = s;
  }
}

// (out[r], index[r]) = (max_c x[r, c], first argmax), one thread per row; NaN wins as in PyTorch.
__global__ void max_rows_kernel(const float* __restrict__ x, float* __restrict__ out,
                                int64_t* __restrict__ index, int64_t rows, int64_t cols) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x) {
    const float* p = x + r * cols;
    float best = p[0];
    int64_t bi = 0;
    for (int64_t c = 1; c < cols && best == best; ++c) {
      const float v = p[c];
      if (v > best || v != v) {
        best = v;
        bi = c;
      }
    }
    out[r] = best;
    if (index) index[r] = bi;
  }
}

}  // namespace

void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows == 0) return;
  if (cols <= kShortRow) {
    CSGIS_LAUNCH(sum_short_rows_kernel, dim3(grid_stride_blocks(rows, 128)), dim3(128), 0, stream, x, out, rows, cols);
    CSGIS_CHECK_LAUNCH("sum_short_rows_kernel");
  } else {
    CSGIS_LAUNCH(sum_long_rows_kernel, dim3(unsigned(rows)), dim3(kBlock), 0, stream, x, out, cols);
    CSGIS_CHECK_LAUNCH("sum_long_rows_kernel");
  }
}

void max_rows(const float* x, float* out, int64_t* index, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows == 0) return;
  CSGIS_LAUNCH(max_rows_kernel, dim3(grid_stride_blocks(rows, 128)), dim3(128), 0, stream, x, out, index, rows, cols);
  CSGIS_CHECK_LAUNCH("max_rows_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
