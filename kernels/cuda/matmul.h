// Matrix product launchers (float32): the hand-written tiled SGEMM of kernels/cuda/matmul.cu, the
// only matmul the SIMT device has and a cuBLAS-free path on a real GPU. Same contract as
// cpu::gemm_batched (kernels/cpu/matmul.h). No include guard: see kernels/gpu.h.
#include <cstdint>
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// C_b[M,N] = op(A_b) * op(B_b) for b < batch, row-major, C overwritten; M, N, K >= 1.
void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
                  const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                  int64_t stride_b, float* C, int64_t ldc, int64_t stride_c, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
