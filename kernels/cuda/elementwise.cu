// Binary elementwise kernels with broadcasting (float32).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/elementwise.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;

// out[i] = op(a[i], b[i]) when both inputs are contiguous with the output's shape.
template <int OP>
__global__ void binary_same_shape_kernel(const float* __restrict__ a, const float* __restrict__ b,
                                         float* __restrict__ out, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = apply_binary(BinaryOp(OP), a[i], b[i]);
}

// out[i] = op(a[la(i)], b[lb(i)]): general broadcasting through strides.
__global__ void binary_broadcast_kernel(BinaryOp op, BroadcastLayout l, const float* __restrict__ a,
                                        const float* __restrict__ b, float* __restrict__ out, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t oa, ob;
    l.offsets_of(i, oa, ob);
    out[i] = apply_binary(op, a[oa], b[ob]);
  }
}

bool dense(const BroadcastLayout& l, const int64_t* strides) {
  int64_t expected = 1;
  for (int d = l.ndim - 1; d >= 0; --d) {
    if (l.sizes[d] != 1 && strides[d] != expected) return false;
    expected *= l.sizes[d];
  }
  return true;
}
}  // namespace

void binary(BinaryOp op, const BroadcastLayout& l, const float* a, const float* b, float* out,
            cudaStream_t stream) {
  const int64_t n = l.numel();
  if (n == 0) return;
  const dim3 grid(grid_stride_blocks(n, kThreads)), block(kThreads);
  if (dense(l, l.stride_a) && dense(l, l.stride_b)) {
    void (*k)(const float*, const float*, float*, int64_t) = nullptr;
    switch (op) {
      case BinaryOp::Add: k = binary_same_shape_kernel<0>; break;
      case BinaryOp::Sub: k = binary_same_shape_kernel<1>; break;
      case BinaryOp::Mul: k = binary_same_shape_kernel<2>; break;
      case BinaryOp::Div: k = binary_same_shape_kernel<3>; break;
    }
    CSGIS_LAUNCH(k, grid, block, 0, stream, a, b, out, n);
    CSGIS_CHECK_LAUNCH("binary_same_shape_kernel");
  } else {
    CSGIS_LAUNCH(binary_broadcast_kernel, grid, block, 0, stream, op, l, a, b, out, n);
    CSGIS_CHECK_LAUNCH("binary_broadcast_kernel");
  }
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
