// Gram matrices of feature maps on host memory (OpenBLAS syrk / gemm).
// Shared with the CUDA kernels: kernels/common/gram.h.
#pragma once
#include <cstdint>

#include "kernels/common/gram.h"

namespace csgis {

namespace cpu {

// g[n] = scale * f[n] f[n]^T
template <typename T>
void gram_forward(int64_t N, int64_t C, int64_t K, T scale, const T* f, T* g);

// df[n] = scale * (dg[n] + dg[n]^T) f[n]
template <typename T>
void gram_backward(int64_t N, int64_t C, int64_t K, T scale, const T* f, const T* dg, T* df);

}  // namespace cpu
}  // namespace csgis
