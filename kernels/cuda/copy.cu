// Strided copy and fill kernels (float32).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/copy.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;


// dst[dst_layout(i)] = src[src_layout(i)]
__global__ void strided_copy_kernel(const float* __restrict__ src, StridedLayout sl,
                                    float* __restrict__ dst, StridedLayout dl, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[dl.offset_of(i)] = src[sl.offset_of(i)];
}

// dst[i] = value
__global__ void fill_kernel(float* __restrict__ dst, int64_t n, float value) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = value;
}
}  // namespace

void strided_copy(const float* src, const StridedLayout& sl, float* dst, const StridedLayout& dl,
                  cudaStream_t stream) {
  const int64_t n = sl.numel();
  if (n == 0) return;
  CSGIS_LAUNCH(strided_copy_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, src, sl, dst, dl, n);
  CSGIS_CHECK_LAUNCH("strided_copy_kernel");
}

void fill(float* dst, int64_t n, float value, cudaStream_t stream) {
  if (n == 0) return;
  CSGIS_LAUNCH(fill_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, dst, n, value);
  CSGIS_CHECK_LAUNCH("fill_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
