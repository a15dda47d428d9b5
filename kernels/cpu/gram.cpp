// Host Gram matrices through OpenBLAS: syrk computes one triangle of f f^T (half the work of a
// gemm), which is then mirrored; the backward symmetrises dG once and runs one gemm per image.
// The batch loop stays sequential: OpenBLAS threads each call itself.
#include "kernels/cpu/gram.h"

#include <cblas.h>

#include <vector>

namespace csgis::cpu {

namespace {
inline void syrk(int C, int K, float alpha, const float* A, float* G) {
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, C, K, alpha, A, K, 0.0f, G, C);
}
inline void syrk(int C, int K, double alpha, const double* A, double* G) {
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, C, K, alpha, A, K, 0.0, G, C);
}
inline void gemm(int M, int N, int K, float alpha, const float* A, const float* B, float* Cm) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, alpha, A, K, B, N, 0.0f, Cm, N);
}
inline void gemm(int M, int N, int K, double alpha, const double* A, const double* B, double* Cm) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, alpha, A, K, B, N, 0.0, Cm, N);
}
}  // namespace

template <typename T>
void gram_forward(int64_t N, int64_t C, int64_t K, T scale, const T* f, T* g) {
  for (int64_t n = 0; n < N; ++n) {
    T* gn = g + n * C * C;
    if (K == 0) {
      for (int64_t e = 0; e < C * C; ++e) gn[e] = T(0);
      continue;
    }
    syrk(int(C), int(K), scale, f + n * C * K, gn);
    for (int64_t i = 0; i < C; ++i)
      for (int64_t j = 0; j < i; ++j) gn[i * C + j] = gn[j * C + i];  // lower <- upper
  }
}

template <typename T>
void gram_backward(int64_t N, int64_t C, int64_t K, T scale, const T* f, const T* dg, T* df) {
  if (K == 0 || C == 0) return;
  std::vector<T> s(size_t(C * C));
  for (int64_t n = 0; n < N; ++n) {
    const T* d = dg + n * C * C;
    for (int64_t i = 0; i < C; ++i)
      for (int64_t j = 0; j < C; ++j) s[i * C + j] = d[i * C + j] + d[j * C + i];
    gemm(int(C), int(K), int(C), scale, s.data(), f + n * C * K, df + n * C * K);
  }
}

template void gram_forward<float>(int64_t, int64_t, int64_t, float, const float*, float*);
template void gram_forward<double>(int64_t, int64_t, int64_t, double, const double*, double*);
template void gram_backward<float>(int64_t, int64_t, int64_t, float, const float*, const float*, float*);
template void gram_backward<double>(int64_t, int64_t, int64_t, double, const double*, const double*, double*);

}  // namespace csgis::cpu
