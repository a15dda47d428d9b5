// conv2d as implicit GEMM (no im2col buffer). One templated kernel serves the three passes; only
// how a tile element is fetched from global memory and where a result goes differ per Mode:
//   Fwd    C[m=(n,p,q)][k]        = sum_{j=(c,r,s)} x(n,c,p*sh-ph+r*dh,q*sw-pw+s*dw) * w[k][j]
//   BwdIn  C[m=(n,h,w)][c]        = sum_{j=(k,r,s)} dy(n,k,(h+ph-r*dh)/sh,(w+pw-s*dw)/sw) * w[k][c][r][s]
//                                   (a gather: only exact divisions inside the output count)
//   BwdW   C[k][j=(c,r,s)]        = sum_{m=(n,p,q)} dy[n][k][p][q] * x(n,c,p*sh-ph+r*dh,q*sw-pw+s*dw)
// Tiling: a 256-thread block computes a 64x64 tile of C; the reduction is walked in slices of 16,
// staged k-major in shared memory (As[16][64+4], Bs[16][64+4]: the +4 keeps rows 16-byte aligned
// for float4 reads). Thread (tm, tn) = (tid%16, tid/16) owns rows tm*4..+3 and columns tn*4..+3:
// per slice step two float4 shared loads feed 16 FMAs. The next slice's global loads are issued
// into registers before the current slice is computed, so their latency overlaps the FMAs.
// Global loads are mapped so consecutive threads read consecutive addresses (pixels along q for
// activations, the reduction index for weights/dy). Reduction indices (c,r,s) are advanced
// incrementally per slice instead of divided, since integer division would rival the FMA count.
// BwdW splits the long N*P*Q reduction over blockIdx.z into a scratch buffer and sums the splits
// in a fixed order (deterministic, no atomics).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/conv2d.h"

#include <algorithm>
#include <vector>

// Full unrolling of the 16x4x4 FMA nest: nvcc's pragma on the GPU, g++'s under the emulator.
#if defined(CSGIS_SIMT)
#define CSGIS_CONV_UNROLL _Pragma("GCC unroll 16")
#else
#define CSGIS_CONV_UNROLL _Pragma("unroll")
#endif

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kBM = 64, kBN = 64, kBK = 16, kThreads = 256, kPad = 4;
enum Mode { kFwd = 0, kBwdIn = 1, kBwdW = 2 };

struct Geo {
  int N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, P, Q;
  int Mg, Ng, Kg;                  // GEMM view of the launched pass
  int step_o, step_r, step_s;      // kBK expressed as (outer, r, s) carries for tap advance
  int red_per_split;               // BwdW: reduction length per blockIdx.z (multiple of kBK)
};

// A reduction index j = (o, r, s) with o = c (Fwd) or k (BwdIn), advanced by kBK per slice.
struct Tap {
  int o, r, s;
};
__device__ __forceinline__ Tap tap_of(int j, int R, int S) {
  Tap t;
  t.o = j / (R * S);
  const int rs = j - t.o * R * S;
  t.r = rs / S;
  t.s = rs - t.r * S;
  return t;
}
__device__ __forceinline__ void tap_advance(Tap& t, const Geo& g) {
  t.s += g.step_s;
  if (t.s >= g.S) { t.s -= g.S; ++t.r; }
  t.r += g.step_r;
  if (t.r >= g.R) { t.r -= g.R; ++t.o; }
  t.o += g.step_o;
}

// C = A^T B with A[Kg][Mg], B[Kg][Ng] fetched per Mode; see the file comment.
template <int M>
__global__ void __launch_bounds__(kThreads)
    conv2d_igemm_kernel(Geo g, const float* __restrict__ in0, const float* __restrict__ in1,
                        const float* __restrict__ bias, float* __restrict__ out) {
  CSGIS_STATIC_SHARED(float, As, [kBK][kBM + kPad]);
  CSGIS_STATIC_SHARED(float, Bs, [kBK][kBN + kPad]);
  const int tid = threadIdx.x, tm = tid % 16, tn = tid / 16;
  const int m0 = blockIdx.x * kBM, n0 = blockIdx.y * kBN;
  int red_begin = 0, red_end = g.Kg;
  if (M == kBwdW) {
    red_begin = blockIdx.z * g.red_per_split;
    red_end = min(g.Kg, red_begin + g.red_per_split);
  }
  const int64_t PQ = int64_t(g.P) * g.Q, HW = int64_t(g.H) * g.W;

  // ---- per-thread loader state (fixed coordinates decoded once) ----
  // Fwd/BwdIn A: column m = m0 + tid%64 fixed, rows tid/64 + 4i advance as taps.
  // Fwd/BwdIn B: row j = tid%16 (+slice), columns tid/16 + 16i fixed.
  // BwdW A (dy) and B (x): row = reduction index tid%16 (+slice), columns tid/16 + 16i fixed.
  const int la_m = tid % kBM, la_k = tid / kBM;  // Fwd/BwdIn A mapping
  const int lr = tid % kBK, lc = tid / kBK;      // the other three loaders
  int64_t a_base = 0;
  int a_h = 0, a_w = 0;
  bool a_ok = false;
  Tap a_tap[4], b_tap;
  int bw_c[4], bw_r[4], bw_s[4];  // BwdW B: taps of the 4 fixed columns (c < 0: out of range)
  if (M != kBwdW) {
    const int m = m0 + la_m;
    a_ok = m < g.Mg;
    if (a_ok) {
      const int hw = M == kFwd ? g.P * g.Q : g.H * g.W, wd = M == kFwd ? g.Q : g.W;
      const int n = m / hw, rem = m - n * hw, y = rem / wd, xw = rem - y * wd;
      a_base = int64_t(n) * (M == kFwd ? int64_t(g.C) * HW : int64_t(g.K) * PQ);
      a_h = M == kFwd ? y * g.sh - g.ph : y + g.ph;
      a_w = M == kFwd ? xw * g.sw - g.pw : xw + g.pw;
    }
    for (int i = 0; i < 4; ++i) a_tap[i] = tap_of(la_k + 4 * i, g.R, g.S);
    b_tap = tap_of(lr, g.R, g.S);
  } else {
    for (int i = 0; i < 4; ++i) {
      const int j = n0 + lc + 16 * i;
      const Tap t = tap_of(j, g.R, g.S);
      bw_c[i] = j < g.Ng ? t.o : -1;
      bw_r[i] = t.r * g.dh - g.ph;
      bw_s[i] = t.s * g.dw - g.pw;
    }
  }

  float ra[4], rb[4];
  // Fetches slice [k0, k0+kBK) of A and B into registers and advances the taps.
  auto fetch = [&](int k0) {
    if (M == kFwd || M == kBwdIn) {
      for (int i = 0; i < 4; ++i) {
        const Tap& t = a_tap[i];
        float v = 0.f;
        if (a_ok && k0 + la_k + 4 * i < g.Kg) {
          if (M == kFwd) {
            const int h = a_h + t.r * g.dh, w = a_w + t.s * g.dw;
            if (h >= 0 && h < g.H && w >= 0 && w < g.W)
              v = __ldg(in0 + a_base + (int64_t(t.o) * g.H + h) * g.W + w);
          } else {
            int p = a_h - t.r * g.dh, q = a_w - t.s * g.dw;
            bool ok = p >= 0 && q >= 0;
            if (ok && g.sh > 1) { ok = p % g.sh == 0; p /= g.sh; }
            if (ok && g.sw > 1) { ok = q % g.sw == 0; q /= g.sw; }
            if (ok && p < g.P && q < g.Q) v = __ldg(in0 + a_base + (int64_t(t.o) * g.P + p) * g.Q + q);
          }
        }
        ra[i] = v;
        tap_advance(a_tap[i], g);
      }
      const int j = k0 + lr;
      for (int i = 0; i < 4; ++i) {
        const int n = n0 + lc + 16 * i;
        float v = 0.f;
        if (j < g.Kg && n < g.Ng) {
          if (M == kFwd)  // w[k][j], j contiguous
            v = __ldg(in1 + int64_t(n) * g.Kg + j);
          else            // w[k][c][r][s] with j = (k, r, s), column n = c
            v = __ldg(in1 + (int64_t(b_tap.o) * g.C + n) * (g.R * g.S) + b_tap.r * g.S + b_tap.s);
        }
        rb[i] = v;
      }
      tap_advance(b_tap, g);
    } else {
      const int red = k0 + lr;
      const bool ok = red < red_end;
      const int n = ok ? red / int(PQ) : 0, pq = ok ? red - n * int(PQ) : 0;
      const int p = pq / g.Q, q = pq - p * g.Q;
      for (int i = 0; i < 4; ++i) {  // A = dy[n][k][pq], k = m0 + lc + 16i
        const int k = m0 + lc + 16 * i;
        ra[i] = ok && k < g.Mg ? __ldg(in0 + (int64_t(n) * g.K + k) * PQ + pq) : 0.f;
      }
      for (int i = 0; i < 4; ++i) {  // B = x(n, c, p*sh + r*dh - ph, q*sw + s*dw - pw)
        const int h = p * g.sh + bw_r[i], w = q * g.sw + bw_s[i];
        float v = 0.f;
        if (ok && bw_c[i] >= 0 && h >= 0 && h < g.H && w >= 0 && w < g.W)
          v = __ldg(in1 + (int64_t(n) * g.C + bw_c[i]) * HW + int64_t(h) * g.W + w);
        rb[i] = v;
      }
    }
  };
  auto stage = [&]() {
    for (int i = 0; i < 4; ++i) {
      if (M == kBwdW) As[lr][lc + 16 * i] = ra[i];
      else As[la_k + 4 * i][la_m] = ra[i];
      Bs[lr][lc + 16 * i] = rb[i];
    }
  };

  float acc[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;

  fetch(red_begin);
  for (int k0 = red_begin; k0 < red_end; k0 += kBK) {
    stage();
    __syncthreads();
    if (k0 + kBK < red_end) fetch(k0 + kBK);  // in flight while the FMAs below run
CSGIS_CONV_UNROLL
    for (int kk = 0; kk < kBK; ++kk) {
      const float4 a = *reinterpret_cast<const float4*>(&As[kk][tm * 4]);
      const float4 b = *reinterpret_cast<const float4*>(&Bs[kk][tn * 4]);
      const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
CSGIS_CONV_UNROLL
      for (int i = 0; i < 4; ++i)
CSGIS_CONV_UNROLL
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();  // the next stage() overwrites the tiles
  }

  // ---- epilogue: row m = m0 + tm*4 + i, column n = n0 + tn*4 + j ----
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + tm * 4 + i;
    if (m >= g.Mg) continue;
    if (M == kBwdW) {
      float* o = out + int64_t(blockIdx.z) * g.Mg * g.Ng + int64_t(m) * g.Ng;
      for (int j = 0; j < 4; ++j)
        if (n0 + tn * 4 + j < g.Ng) o[n0 + tn * 4 + j] = acc[i][j];
    } else {
      const int64_t plane = M == kFwd ? PQ : HW;  // output pixels per channel
      const int64_t n_img = m / plane, pix = m - n_img * plane;
      for (int j = 0; j < 4; ++j) {
        const int n = n0 + tn * 4 + j;
        if (n >= g.Ng) continue;
        const float b = (M == kFwd && bias) ? __ldg(bias + n) : 0.f;
        out[(n_img * g.Ng + n) * plane + pix] = acc[i][j] + b;
      }
    }
  }
}

// dw[e] = sum_{z < splits} part[z][e], in z order (deterministic).
__global__ void conv2d_sum_splits_kernel(const float* __restrict__ part, int splits, int64_t count,
                                         float* __restrict__ dw) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= count) return;
  float s = 0.f;
  for (int z = 0; z < splits; ++z) s += part[z * count + e];
  dw[e] = s;
}

// db[k] = sum_{n,pq} dy[n][k][pq]: one block per k, strided partial sums, then a shuffle tree.
__global__ void conv2d_bias_grad_kernel(const float* __restrict__ dy, int N, int K, int64_t PQ,
                                        float* __restrict__ db) {
  CSGIS_STATIC_SHARED(float, warp_sums, [kThreads / 32]);
  const int k = blockIdx.x;
  float s = 0.f;
  for (int n = 0; n < N; ++n) {
    const float* d = dy + (int64_t(n) * K + k) * PQ;
    for (int64_t i = threadIdx.x; i < PQ; i += blockDim.x) s += __ldg(d + i);
  }
  for (int off = 16; off > 0; off /= 2) s += __shfl_down_sync(0xffffffffu, s, off);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = s;
  __syncthreads();
  if (threadIdx.x < 32) {
    s = threadIdx.x < kThreads / 32 ? warp_sums[threadIdx.x] : 0.f;
    for (int off = 16; off > 0; off /= 2) s += __shfl_down_sync(0xffffffffu, s, off);
    if (threadIdx.x == 0) db[k] = s;
  }
}

Geo make_geo(const Conv2dShape& s, int64_t Mg, int64_t Ng, int64_t Kg) {
  if (Mg >= (int64_t(1) << 31) || Ng >= (int64_t(1) << 31) || Kg >= (int64_t(1) << 31))
    throw std::invalid_argument("conv2d (cuda): GEMM extent exceeds 32-bit indexing");
  Geo g{};
  g.N = int(s.N); g.C = int(s.C); g.H = int(s.H); g.W = int(s.W);
  g.K = int(s.K); g.R = int(s.R); g.S = int(s.S);
  g.sh = int(s.stride_h); g.sw = int(s.stride_w); g.ph = int(s.pad_h); g.pw = int(s.pad_w);
  g.dh = int(s.dil_h); g.dw = int(s.dil_w); g.P = int(s.P); g.Q = int(s.Q);
  g.Mg = int(Mg); g.Ng = int(Ng); g.Kg = int(Kg);
  const int RS = g.R * g.S;
  g.step_o = kBK / RS;
  g.step_r = (kBK % RS) / g.S;
  g.step_s = (kBK % RS) % g.S;
  g.red_per_split = g.Kg;
  return g;
}

unsigned blocks_for(int64_t n, int64_t tile) { return unsigned((n + tile - 1) / tile); }
}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                    cudaStream_t stream) {
  const Geo g = make_geo(s, s.N * s.P * s.Q, s.K, s.C * s.R * s.S);
  auto k = conv2d_igemm_kernel<kFwd>;
  CSGIS_LAUNCH(k, dim3(blocks_for(g.Mg, kBM), blocks_for(g.Ng, kBN)), dim3(kThreads), 0, stream, g, x,
               w, bias, y);
  CSGIS_CHECK_LAUNCH("conv2d_forward");
}

void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream) {
  const Geo g = make_geo(s, s.N * s.H * s.W, s.C, s.K * s.R * s.S);
  auto k = conv2d_igemm_kernel<kBwdIn>;
  CSGIS_LAUNCH(k, dim3(blocks_for(g.Mg, kBM), blocks_for(g.Ng, kBN)), dim3(kThreads), 0, stream, g, dy,
               w, static_cast<const float*>(nullptr), dx);
  CSGIS_CHECK_LAUNCH("conv2d_backward_input");
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            cudaStream_t stream) {
  Geo g = make_geo(s, s.K, s.C * s.R * s.S, s.N * s.P * s.Q);
  // Split the reduction until there are ~256 blocks (about two per SM on an H100), keeping at
  // least 8 slices per split so the split partials stay cheap to sum.
  const int64_t tiles = int64_t(blocks_for(g.Mg, kBM)) * blocks_for(g.Ng, kBN);
  const int64_t slices = (g.Kg + kBK - 1) / kBK;
  const int64_t want = std::max<int64_t>(1, std::min<int64_t>((256 + tiles - 1) / tiles, slices / 8));
  const int64_t per = (slices + want - 1) / want;
  g.red_per_split = int(per * kBK);
  const int splits = int((slices + per - 1) / per);
  const int64_t count = int64_t(g.Mg) * g.Ng;
  float* part = dw;
#if defined(CSGIS_SIMT)
  std::vector<float> scratch;  // emulated device memory is host memory; launches are synchronous
  if (splits > 1) { scratch.resize(size_t(splits * count)); part = scratch.data(); }
#else
  if (splits > 1)
    CSGIS_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&part), sizeof(float) * splits * count, stream));
#endif
  auto k = conv2d_igemm_kernel<kBwdW>;
  CSGIS_LAUNCH(k, dim3(blocks_for(g.Mg, kBM), blocks_for(g.Ng, kBN), unsigned(splits)), dim3(kThreads), 0,
               stream, g, dy, x, static_cast<const float*>(nullptr), part);
  CSGIS_CHECK_LAUNCH("conv2d_backward_weight");
  if (splits > 1) {
    auto r = conv2d_sum_splits_kernel;
    CSGIS_LAUNCH(r, dim3(blocks_for(count, kThreads)), dim3(kThreads), 0, stream, part, splits, count, dw);
    CSGIS_CHECK_LAUNCH("conv2d_backward_weight_sum_splits");
#if !defined(CSGIS_SIMT)
    CSGIS_CUDA_CHECK(cudaFreeAsync(part, stream));
#endif
  }
}

void conv2d_backward_bias(const Conv2dShape& s, const float* dy, float* db, cudaStream_t stream) {
  auto k = conv2d_bias_grad_kernel;
  CSGIS_LAUNCH(k, dim3(unsigned(s.K)), dim3(kThreads), 0, stream, dy, int(s.N), int(s.K), s.P * s.Q, db);
  CSGIS_CHECK_LAUNCH("conv2d_backward_bias");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
