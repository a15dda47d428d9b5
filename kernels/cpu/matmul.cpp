#include "kernels/cpu/matmul.h"

#include <cblas.h>

namespace csgis::cpu {

namespace {
// One gemm per precision: OpenBLAS spreads each call over its own threads, so the batch loop stays
// sequential here (an OpenMP loop around threaded BLAS calls would oversubscribe the cores).
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float* A, int lda,
                 const float* B, int ldb, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const double* A, int lda,
                 const double* B, int ldb, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc);
}
}  // namespace

template <typename T>
void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
                  const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b,
                  T* C, int64_t ldc, int64_t stride_c) {
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  for (int64_t b = 0; b < batch; ++b)
    gemm(ta, tb, int(M), int(N), int(K), A + b * stride_a, int(lda), B + b * stride_b, int(ldb),
         C + b * stride_c, int(ldc));
}

template void gemm_batched<float>(bool, bool, int64_t, int64_t, int64_t, int64_t, const float*, int64_t,
                                  int64_t, const float*, int64_t, int64_t, float*, int64_t, int64_t);
template void gemm_batched<double>(bool, bool, int64_t, int64_t, int64_t, int64_t, const double*, int64_t,
                                   int64_t, const double*, int64_t, int64_t, double*, int64_t, int64_t);

}  // namespace csgis::cpu
