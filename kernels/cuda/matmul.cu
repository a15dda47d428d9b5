// Tiled SGEMM. A block of 16x16 threads computes a 64x64 tile of C: each thread owns a 4x4
// register block (rows ty+16i, cols tx+16j, so neighbouring threads touch neighbouring columns and
// the shared-memory reads of a warp are broadcasts or conflict-free). The K dimension is walked in
// slices of 16: the block stages op(A)[64x16] and op(B)[16x64] in shared memory (k-major, padded by
// one column against bank conflicts on the transposed stores), syncs, and accumulates.
// Row tiles run along blockIdx.x, column tiles along blockIdx.y.
// Transposes are template parameters so each variant's loads read consecutive addresses across
// consecutive threads; the batch is blockIdx.z (grid-stride over z for very large batches).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/matmul.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kTile = 64;    // C tile edge
constexpr int kSlice = 16;   // K slice
constexpr int kThreads = 16; // threads per block edge
constexpr int kReg = kTile / kThreads;  // 4x4 outputs per thread
constexpr int kMaxGridZ = 65535;

// C[b][m][n] = sum_k op(A)[b][m][k] * op(B)[b][k][n]
template <bool TA, bool TB>
__global__ void sgemm_tiled_kernel(int M, int N, int K, int64_t batch, const float* __restrict__ A,
                                   int64_t lda, int64_t stride_a, const float* __restrict__ B,
                                   int64_t ldb, int64_t stride_b, float* __restrict__ C, int64_t ldc,
                                   int64_t stride_c) {
  CSGIS_STATIC_SHARED(float, As, [kSlice][kTile + 1]);  // As[k][m] = op(A)[m0+m][k0+k]
  CSGIS_STATIC_SHARED(float, Bs, [kSlice][kTile + 1]);  // Bs[k][n] = op(B)[k0+k][n0+n]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * kThreads + tx;
  const int m0 = blockIdx.x * kTile, n0 = blockIdx.y * kTile;

  for (int64_t b = blockIdx.z; b < batch; b += gridDim.z) {
    const float* Ab = A + b * stride_a;
    const float* Bb = B + b * stride_b;
    float acc[kReg][kReg];
    for (int i = 0; i < kReg; ++i)
      for (int j = 0; j < kReg; ++j) acc[i][j] = 0.f;

    for (int k0 = 0; k0 < K; k0 += kSlice) {
      // 1024 elements per tile, 4 per thread. Untransposed A ([M,K] rows) is read along k,
      // transposed A ([K,M] rows) along m; the same for B with n.
      for (int l = tid; l < kTile * kSlice; l += kThreads * kThreads) {
        const int m = TA ? l % kTile : l / kSlice;
        const int k = TA ? l / kTile : l % kSlice;
        const int gm = m0 + m, gk = k0 + k;
        float v = 0.f;
        if (gm < M && gk < K) v = TA ? Ab[int64_t(gk) * lda + gm] : Ab[int64_t(gm) * lda + gk];
        As[k][m] = v;
      }
      for (int l = tid; l < kTile * kSlice; l += kThreads * kThreads) {
        const int n = TB ? l / kSlice : l % kTile;
        const int k = TB ? l % kSlice : l / kTile;
        const int gn = n0 + n, gk = k0 + k;
        float v = 0.f;
        if (gn < N && gk < K) v = TB ? Bb[int64_t(gn) * ldb + gk] : Bb[int64_t(gk) * ldb + gn];
        Bs[k][n] = v;
      }
      __syncthreads();
      for (int k = 0; k < kSlice; ++k) {
        float a[kReg], bv[kReg];
        for (int i = 0; i < kReg; ++i) a[i] = As[k][ty + kThreads * i];
        for (int j = 0; j < kReg; ++j) bv[j] = Bs[k][tx + kThreads * j];
        for (int i = 0; i < kReg; ++i)
          for (int j = 0; j < kReg; ++j) acc[i][j] = fmaf(a[i], bv[j], acc[i][j]);
      }
      __syncthreads();  // the next slice overwrites the tiles
    }

    float* Cb = C + b * stride_c;
    for (int i = 0; i < kReg; ++i) {
      const int gm = m0 + ty + kThreads * i;
      if (gm >= M) continue;
      for (int j = 0; j < kReg; ++j) {
        const int gn = n0 + tx + kThreads * j;
        if (gn < N) Cb[int64_t(gm) * ldc + gn] = acc[i][j];
      }
    }
  }
}
}  // namespace

void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
                  const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                  int64_t stride_b, float* C, int64_t ldc, int64_t stride_c, cudaStream_t stream) {
  if (batch == 0 || M == 0 || N == 0) return;
  // Row tiles on x (limit 2^31-1): M is the long side in the engine's uses (pixels x channels).
  const dim3 grid(unsigned((M + kTile - 1) / kTile), unsigned((N + kTile - 1) / kTile),
                  unsigned(batch < kMaxGridZ ? batch : kMaxGridZ));
  const dim3 block(kThreads, kThreads);
  void (*k)(int, int, int, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*,
            int64_t, int64_t) = nullptr;
  if (trans_a)
    k = trans_b ? sgemm_tiled_kernel<true, true> : sgemm_tiled_kernel<true, false>;
  else
    k = trans_b ? sgemm_tiled_kernel<false, true> : sgemm_tiled_kernel<false, false>;
  CSGIS_LAUNCH(k, grid, block, 0, stream, int(M), int(N), int(K), batch, A, lda, stride_a, B, ldb, stride_b,
               C, ldc, stride_c);
  CSGIS_CHECK_LAUNCH("sgemm_tiled_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
