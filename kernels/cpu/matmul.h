// Matrix products on host memory through OpenBLAS (cblas_sgemm / cblas_dgemm).
#pragma once
#include <cstdint>

namespace csgis::cpu {

// For every b < batch, row-major:  C_b[M,N] = op(A_b) * op(B_b)
//   op(A_b) is [M,K]: A_b = A + b*stride_a is stored [M,K] (lda >= K), or [K,M] (lda >= M) when
//   trans_a; likewise op(B_b) is [K,N] from B_b stored [K,N] (ldb >= N) or [N,K] when trans_b.
//   C_b = C + b*stride_c is [M,N] with ldc >= N and is overwritten. M, N, K >= 1.
// Batch strides may be 0 for A and B (one matrix shared by the whole batch).
template <typename T>
void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
                  const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b,
                  T* C, int64_t ldc, int64_t stride_c);

}  // namespace csgis::cpu
