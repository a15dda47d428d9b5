// Matrix products through cuBLAS (real CUDA builds only: matmul_cublas.cpp is compiled into the
// CUDA object library, and callers guard their use with `#if CSGIS_HAS_CUDA`).
#pragma once
#include <cstdint>

typedef struct CUstream_st* cudaStream_t;

namespace csgis::cuda {

// Same contract as cpu::gemm_batched (kernels/cpu/matmul.h), float32, on `handle` (a
// cublasHandle_t, e.g. Context::cublas_handle()), queued on `stream`. M, N, K >= 1; every size,
// leading dimension and batch stride must fit cuBLAS's int / long long arguments.
void gemm_batched_cublas(void* handle, bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N,
                         int64_t K, const float* A, int64_t lda, int64_t stride_a, const float* B,
                         int64_t ldb, int64_t stride_b, float* C, int64_t ldc, int64_t stride_c,
                         cudaStream_t stream);

}  // namespace csgis::cuda
