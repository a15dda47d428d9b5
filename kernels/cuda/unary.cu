// Unary elementwise kernels (float32). One grid-stride kernel per direction; the op is a launch
// argument: it is the same for every thread, so the switch never diverges and these memory-bound
// loops lose nothing to it.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/unary.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;


// y[i] = f(x[i])
__global__ void unary_kernel(UnaryOp op, const float* __restrict__ x, float* __restrict__ y, int64_t n,
                             float a, float b) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = apply_unary(op, x[i], a, b);
}

// dx[i] = f'(v[i]) * dy[i], v = x or y as unary_saved(op) says
__global__ void unary_backward_kernel(UnaryOp op, const float* __restrict__ v, const float* __restrict__ dy,
                                      float* __restrict__ dx, int64_t n, float a, float b) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = unary_derivative(op, v[i], a, b) * dy[i];
}
}  // namespace

void unary(UnaryOp op, const float* x, float* y, int64_t n, float a, float b, cudaStream_t stream) {
  if (n == 0) return;
  CSGIS_LAUNCH(unary_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, op, x, y, n, a, b);
  CSGIS_CHECK_LAUNCH("unary_kernel");
}

void unary_backward(UnaryOp op, const float* saved, const float* dy, float* dx, int64_t n, float a,
                    float b, cudaStream_t stream) {
  if (n == 0) return;
  // Ops whose derivative needs no saved tensor read dy in its place: any valid pointer will do.
  const float* v = unary_saved(op) == UnarySaved::None ? dy : saved;
  CSGIS_LAUNCH(unary_backward_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, op, v, dy, dx, n, a, b);
  CSGIS_CHECK_LAUNCH("unary_backward_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
