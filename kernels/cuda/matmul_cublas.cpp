// cuBLAS is column-major; a row-major matrix X[r,c] with leading dimension ld is, read column-major,
// X^T[c,r] with the same ld. So row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T:
// call gemm with the operands swapped (B first), sizes (N, M, K) and the transpose flags unchanged.
#include "kernels/cuda/matmul_cublas.h"

#include <cublas_v2.h>

#include <climits>
#include <stdexcept>
#include <string>

namespace csgis::cuda {

namespace {
const char* status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "cuBLAS error";
  }
}

// Kernels include nothing of the engine: errors are std::runtime_error, which the engine reports.
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(what) + " failed: " + status_name(s) + " (" + std::to_string(int(s)) + ")");
}
}  // namespace

void gemm_batched_cublas(void* handle, bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N,
                         int64_t K, const float* A, int64_t lda, int64_t stride_a, const float* B,
                         int64_t ldb, int64_t stride_b, float* C, int64_t ldc, int64_t stride_c,
                         cudaStream_t stream) {
  if (batch == 0 || M == 0 || N == 0) return;
  for (int64_t v : {M, N, K, lda, ldb, ldc, batch})
    if (v > INT_MAX)
      throw std::runtime_error("matmul: size " + std::to_string(v) + " exceeds cuBLAS's 32-bit int arguments");
  cublasHandle_t h = static_cast<cublasHandle_t>(handle);
  // The context may have switched streams since the handle was created: bind it to this one.
  check(cublasSetStream(h, stream), "cublasSetStream");
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const float one = 1.f, zero = 0.f;
  if (batch == 1) {
    check(cublasSgemm(h, op_b, op_a, int(N), int(M), int(K), &one, B, int(ldb), A, int(lda), &zero, C, int(ldc)),
          "cublasSgemm");
  } else {
    check(cublasSgemmStridedBatched(h, op_b, op_a, int(N), int(M), int(K), &one, B, int(ldb), stride_b, A,
                                    int(lda), stride_a, &zero, C, int(ldc), stride_c, int(batch)),
          "cublasSgemmStridedBatched");
  }
}

}  // namespace csgis::cuda
