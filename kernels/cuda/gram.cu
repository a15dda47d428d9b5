// Gram matrix kernels: shared-memory tiled products with 32 x 32 output tiles and 256 threads
// (each thread owns 4 rows of one column of the tile, so a warp reads a row of the B tile across
// 32 banks, padded to 33 columns, while the A value is a broadcast).
//   forward:  G = f f^T is symmetric, so only tiles (ti <= tj) are computed, over K split into
//             chunks (GramPlan); a second kernel adds the chunks in order, mirrors the lower
//             triangle from the upper tiles and scales - deterministic, no atomics.
//   backward: dF = scale (dG + dG^T) f, the symmetrisation folded into the tile load.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/gram.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kT = 32;                    // tile edge
constexpr int kTx = 32, kTy = 8;          // threads
constexpr int kRows = kT / kTy;           // rows per thread

// part[s, n, i, j] = sum_{k in chunk s} f[n, i, k] f[n, j, k] for (i, j) in upper tile pair (ti <= tj)
__global__ void gram_partial_kernel(const float* __restrict__ f, float* __restrict__ part, int64_t N, int64_t C,
                                    int64_t K, int64_t chunk, int tiles) {
  CSGIS_STATIC_SHARED(float, As, [kT][kT + 1]);
  CSGIS_STATIC_SHARED(float, Bs, [kT][kT + 1]);
  int r = blockIdx.x, ti = 0;  // blockIdx.x enumerates the pairs ti <= tj row by row
  while (r >= tiles - ti) {
    r -= tiles - ti;
    ++ti;
  }
  const int tj = ti + r;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t n = blockIdx.z, s = blockIdx.y;
  const int64_t i0 = int64_t(ti) * kT, j0 = int64_t(tj) * kT;
  const int64_t kb = s * chunk, ke = kb + chunk < K ? kb + chunk : K;
  const float* fn = f + n * C * K;
  float acc[kRows] = {0.f, 0.f, 0.f, 0.f};
  for (int64_t k0 = kb; k0 < ke; k0 += kT) {
    const int64_t k = k0 + tx;
    for (int m = 0; m < kRows; ++m) {
      const int row = ty + kTy * m;
      As[row][tx] = (i0 + row < C && k < ke) ? fn[(i0 + row) * K + k] : 0.f;
      Bs[row][tx] = (j0 + row < C && k < ke) ? fn[(j0 + row) * K + k] : 0.f;
    }
    __syncthreads();
    for (int kk = 0; kk < kT; ++kk) {
      const float b = Bs[tx][kk];
      for (int m = 0; m < kRows; ++m) acc[m] += As[ty + kTy * m][kk] * b;
    }
    __syncthreads();
  }
  for (int m = 0; m < kRows; ++m) {
    const int64_t i = i0 + ty + kTy * m, j = j0 + tx;
    if (i < C && j < C) part[((s * N + n) * C + i) * C + j] = acc[m];
  }
}

// g[n, i, j] = scale * sum_s part[s, n, a, b] with (a, b) = (i, j) when tile(i) <= tile(j), else (j, i)
__global__ void gram_reduce_kernel(const float* __restrict__ part, float* __restrict__ g, int64_t N, int64_t C,
                                   int64_t splits, float scale) {
  const int64_t total = N * C * C;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = e % C, i = (e / C) % C, n = e / (C * C);
    const bool upper = i / kT <= j / kT;
    const int64_t src = n * C * C + (upper ? i * C + j : j * C + i);
    float acc = 0.f;
    for (int64_t s = 0; s < splits; ++s) acc += part[s * N * C * C + src];
    g[e] = scale * acc;
  }
}

// df[n, i, k] = scale * sum_j (dg[n, i, j] + dg[n, j, i]) f[n, j, k]
__global__ void gram_backward_kernel(const float* __restrict__ f, const float* __restrict__ dg,
                                     float* __restrict__ df, int64_t C, int64_t K, float scale) {
  CSGIS_STATIC_SHARED(float, Ss, [kT][kT + 1]);
  CSGIS_STATIC_SHARED(float, Fs, [kT][kT + 1]);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t n = blockIdx.z, i0 = int64_t(blockIdx.y) * kT, k0 = int64_t(blockIdx.x) * kT;
  const float* fn = f + n * C * K;
  const float* dn = dg + n * C * C;
  float acc[kRows] = {0.f, 0.f, 0.f, 0.f};
  for (int64_t j0 = 0; j0 < C; j0 += kT) {
    for (int m = 0; m < kRows; ++m) {
      const int row = ty + kTy * m;
      const int64_t i = i0 + row, j = j0 + tx;
      Ss[row][tx] = (i < C && j < C) ? dn[i * C + j] + dn[j * C + i] : 0.f;
      Fs[row][tx] = (j0 + row < C && k0 + tx < K) ? fn[(j0 + row) * K + k0 + tx] : 0.f;
    }
    __syncthreads();
    for (int jj = 0; jj < kT; ++jj) {
      const float b = Fs[jj][tx];
      for (int m = 0; m < kRows; ++m) acc[m] += Ss[ty + kTy * m][jj] * b;
    }
    __syncthreads();
  }
  for (int m = 0; m < kRows; ++m) {
    const int64_t i = i0 + ty + kTy * m, k = k0 + tx;
    if (i < C && k < K) df[n * C * K + i * K + k] = scale * acc[m];
  }
}
}  // namespace

void gram_forward(int64_t N, int64_t C, int64_t K, float scale, const float* f, float* partial, float* g,
                  cudaStream_t stream) {
  if (N * C == 0) return;
  if (N > 65535) throw std::runtime_error("gram_forward: batch " + std::to_string(N) + " exceeds 65535");
  const GramPlan p = gram_plan(K);
  const int tiles = int((C + kT - 1) / kT);
  if (K > 0) {
    CSGIS_LAUNCH(gram_partial_kernel, dim3(unsigned(tiles * (tiles + 1) / 2), unsigned(p.splits), unsigned(N)),
                 dim3(kTx, kTy), 0, stream, f, partial, N, C, K, p.chunk, tiles);
    CSGIS_CHECK_LAUNCH("gram_partial_kernel");
  }
  const int64_t total = N * C * C, blocks = (total + 255) / 256;
  CSGIS_LAUNCH(gram_reduce_kernel, dim3(unsigned(blocks < 65535 * 16 ? blocks : 65535 * 16)), dim3(256), 0, stream,
               partial, g, N, C, K > 0 ? p.splits : 0, scale);
  CSGIS_CHECK_LAUNCH("gram_reduce_kernel");
}

void gram_backward(int64_t N, int64_t C, int64_t K, float scale, const float* f, const float* dg, float* df,
                   cudaStream_t stream) {
  if (N * C * K == 0) return;
  if (N > 65535 || (C + kT - 1) / kT > 65535)
    throw std::runtime_error("gram_backward: batch or channel count beyond the grid limits");
  const dim3 grid(unsigned((K + kT - 1) / kT), unsigned((C + kT - 1) / kT), unsigned(N));
  CSGIS_LAUNCH(gram_backward_kernel, grid, dim3(kTx, kTy), 0, stream, f, dg, df, C, K, scale);
  CSGIS_CHECK_LAUNCH("gram_backward_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
