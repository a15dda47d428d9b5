// The micro-kernels of the CPU conv2d (kernels/cpu/conv2d.cpp, which describes the gathered
// layout G they read): a forward tile and a weight-gradient tile, each as portable loops (double,
// and float without AVX2) and as AVX2/FMA float code, with the run-time dispatch between them.
// Internal: included by conv2d.cpp only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "kernels/cpu/scratch.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CSGIS_X86 1
#define CSGIS_AVX2 __attribute__((target("avx2,fma")))
// Full unrolling keeps the micro-tile accumulator arrays in registers even at -O2.
#define CSGIS_UNROLL _Pragma("GCC unroll 8")
#endif

namespace csgis::cpu::conv_tiles {

// Scratch comes from the caller's ScratchArena (kernels/cpu/scratch.h). Slots: conv2d.cpp uses
// 0-4 (its backward-input keeps slot 2, the flipped weights, alive while Winograd runs), Winograd
// 5-7. Slots 0-3 are the calling thread's (row 0), 4-7 one per OpenMP thread.

constexpr int kMR = 4;   // forward: output channels per micro-tile (broadcast operand)
constexpr int kNV = 3;   // forward: 8-wide pixel vectors per micro-tile: 4x24 = 12 accumulators
constexpr int kWMR = 4;  // weight gradient: output channels per micro-tile (hsum assumes 4)
constexpr int kNT = 3;   // weight gradient: taps per micro-tile: 4x3 = 12 vector accumulators

// ---- portable micro-kernels (double, and float without AVX2) ----------------------------------
// y[i][q] = bias[i] + sum_j wp[j][i] * base[off[j] + q],  i < mr, q < nq; with `relu`, max(0, y) as it
// is stored (NaN stays NaN, as the network's non-finite checks need).
template <typename T>
void fwd_tile_ref(const T* base, const int32_t* off, int64_t J, const T* wp, const T* bias,
                  T* y, int64_t ldy, int mr, int nq, bool relu) {
  T acc[kMR][8 * kNV];
  for (int i = 0; i < mr; ++i) for (int q = 0; q < nq; ++q) acc[i][q] = bias ? bias[i] : T(0);
  for (int64_t j = 0; j < J; ++j) {
    const T* b = base + off[j];
    for (int i = 0; i < mr; ++i) {
      const T a = wp[j * kMR + i];
      for (int q = 0; q < nq; ++q) acc[i][q] += a * b[q];
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int q = 0; q < nq; ++q) y[i * ldy + q] = relu && acc[i][q] < T(0) ? T(0) : acc[i][q];
}

// part[i][t] += sum_rows sum_q dy_row_i[q] * G_row[off[t] + q],  i < mr, t < nt
template <typename T>
void dw_tile_ref(const T* const* dy_rows, const T* const* g_rows, int64_t nrows, int64_t dy_ld,
                 const int32_t* off, int64_t Q, int mr, int nt, T* part, int64_t ld) {
  T acc[kWMR][kNT] = {};
  for (int64_t r = 0; r < nrows; ++r)
    for (int i = 0; i < mr; ++i) {
      const T* d = dy_rows[r] + i * dy_ld;
      for (int t = 0; t < nt; ++t) {
        const T* x = g_rows[r] + off[t];
        T s = 0;
        for (int64_t q = 0; q < Q; ++q) s += d[q] * x[q];
        acc[i][t] += s;
      }
    }
  for (int i = 0; i < mr; ++i) for (int t = 0; t < nt; ++t) part[i * ld + t] += acc[i][t];
}

#if CSGIS_X86
// ---- AVX2/FMA micro-kernels (float) ------------------------------------------------------------
CSGIS_AVX2 inline __m256i tail_mask(int n) {  // lanes [0, n) set
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Forward micro-tile, MR channels x NV*8 pixels of one output row:
// y[i][q] = bias[i] + sum_j wp[j][i] * base[off[j] + q]. 12 accumulators + 3 pixel vectors +
// 1 broadcast = 16 ymm registers; per j: NV loads, MR broadcasts, MR*NV FMAs.
template <int MR, int NV>
CSGIS_AVX2 void fwd_tile_avx2(const float* base, const int32_t* off, int64_t J, const float* wp,
                              const float* bias, float* y, int64_t ldy, int nq, bool relu) {
  __m256 acc[MR][NV];
  CSGIS_UNROLL for (int i = 0; i < MR; ++i)
    CSGIS_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = bias ? _mm256_set1_ps(bias[i]) : _mm256_setzero_ps();
  for (int64_t j = 0; j < J; ++j) {
    const float* b = base + off[j];
    __m256 bv[NV];
    CSGIS_UNROLL for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
    CSGIS_UNROLL for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(wp + j * kMR + i);
      CSGIS_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(a, bv[v], acc[i][v]);
    }
  }
  if (relu) {  // max(0, acc): the second operand is returned for NaN, so NaN survives
    CSGIS_UNROLL for (int i = 0; i < MR; ++i)
      CSGIS_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_max_ps(_mm256_setzero_ps(), acc[i][v]);
  }
  const __m256i m = tail_mask(nq - 8 * (NV - 1));
  CSGIS_UNROLL for (int i = 0; i < MR; ++i) {
    CSGIS_UNROLL for (int v = 0; v < NV - 1; ++v) _mm256_storeu_ps(y + i * ldy + 8 * v, acc[i][v]);
    _mm256_maskstore_ps(y + i * ldy + 8 * (NV - 1), m, acc[i][NV - 1]);
  }
}

// One 8-pixel step of the weight-gradient tile: the NT tap vectors stay in registers while the MR
// dy rows stream through one: 12 accumulators + 3 + 1 = 16 ymm (holding the 4 dy vectors instead
// would need 17 and spill). Masked only for the last partial vector (dy is unpadded; G is padded).
template <int MR, int NT, bool Masked>
CSGIS_AVX2 __attribute__((always_inline)) inline void dw_step(__m256 (&acc)[kWMR][NT], const float* d,
                                                            const float* g, const int32_t* off,
                                                            int64_t dy_ld, int64_t q, int rem) {
  __m256 xv[NT];
  CSGIS_UNROLL for (int t = 0; t < NT; ++t) xv[t] = _mm256_loadu_ps(g + off[t] + q);
  CSGIS_UNROLL for (int i = 0; i < MR; ++i) {
    const __m256 dv = Masked ? _mm256_maskload_ps(d + i * dy_ld + q, tail_mask(rem))
                             : _mm256_loadu_ps(d + i * dy_ld + q);
    CSGIS_UNROLL for (int t = 0; t < NT; ++t) acc[i][t] = _mm256_fmadd_ps(dv, xv[t], acc[i][t]);
  }
}

// Weight-gradient micro-tile, MR channels x NT taps, reduced over rows and pixels:
// part[i][t] += sum_rows sum_q dy_i[q] * G[off[t] + q]. The 12 accumulators hold 8 partial sums
// each and are reduced horizontally once per row block (hence kRowsPerChunk).
template <int MR, int NT>
CSGIS_AVX2 void dw_tile_avx2(const float* const* dy_rows, const float* const* g_rows,
                             int64_t nrows, int64_t dy_ld, const int32_t* off, int64_t Q,
                             float* part, int64_t ld) {
  __m256 acc[kWMR][NT];
  CSGIS_UNROLL for (int i = 0; i < kWMR; ++i)
    CSGIS_UNROLL for (int t = 0; t < NT; ++t) acc[i][t] = _mm256_setzero_ps();
  const int64_t qfull = Q / 8 * 8;
  for (int64_t r = 0; r < nrows; ++r) {
    for (int64_t q = 0; q < qfull; q += 8) dw_step<MR, NT, false>(acc, dy_rows[r], g_rows[r], off, dy_ld, q, 8);
    if (qfull < Q) dw_step<MR, NT, true>(acc, dy_rows[r], g_rows[r], off, dy_ld, qfull, int(Q - qfull));
  }
  // Horizontal sums of the 4 channel accumulators of each tap in one go (3 hadds + 1 add).
  CSGIS_UNROLL for (int t = 0; t < NT; ++t) {
    const __m256 h01 = _mm256_hadd_ps(acc[0][t], acc[1][t]);
    const __m256 h23 = _mm256_hadd_ps(acc[2][t], acc[3][t]);
    const __m256 h = _mm256_hadd_ps(h01, h23);
    float s[4];
    _mm_storeu_ps(s, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
    for (int i = 0; i < MR; ++i) part[i * ld + t] += s[i];
  }
}

using FwdFn = void (*)(const float*, const int32_t*, int64_t, const float*, const float*, float*, int64_t, int,
                       bool);
using DwFn = void (*)(const float* const*, const float* const*, int64_t, int64_t, const int32_t*, int64_t, float*,
                      int64_t);
// Run-time (mr, nv|nt) -> compile-time micro-tile (kMR = kWMR = 4, kNV = kNT = 3).
template <template <int, int> class Tile, typename Fn>
Fn pick(int a, int b) {
  static const Fn table[4][3] = {{Tile<1, 1>::f, Tile<1, 2>::f, Tile<1, 3>::f},
                                 {Tile<2, 1>::f, Tile<2, 2>::f, Tile<2, 3>::f},
                                 {Tile<3, 1>::f, Tile<3, 2>::f, Tile<3, 3>::f},
                                 {Tile<4, 1>::f, Tile<4, 2>::f, Tile<4, 3>::f}};
  return table[a - 1][b - 1];
}
template <int A, int B> struct FwdTile { static constexpr FwdFn f = fwd_tile_avx2<A, B>; };
template <int A, int B> struct DwTile { static constexpr DwFn f = dw_tile_avx2<A, B>; };
#endif  // CSGIS_X86

// Micro-tile dispatch: AVX2 for float when available, the portable loops otherwise.
template <typename T>
void fwd_tile(bool simd, const T* base, const int32_t* off, int64_t J, const T* wp, const T* bias,
              T* y, int64_t ldy, int mr, int nq, bool relu = false) {
#if CSGIS_X86
  if constexpr (std::is_same_v<T, float>)
    if (simd) return pick<FwdTile, FwdFn>(mr, (nq + 7) / 8)(base, off, J, wp, bias, y, ldy, nq, relu);
#endif
  fwd_tile_ref(base, off, J, wp, bias, y, ldy, mr, nq, relu);
}
template <typename T>
void dw_tile(bool simd, const T* const* dy_rows, const T* const* g_rows, int64_t nrows, int64_t dy_ld,
             const int32_t* off, int64_t Q, int mr, int nt, T* part, int64_t ld) {
#if CSGIS_X86
  if constexpr (std::is_same_v<T, float>)
    if (simd) return pick<DwTile, DwFn>(mr, nt)(dy_rows, g_rows, nrows, dy_ld, off, Q, part, ld);
#endif
  dw_tile_ref(dy_rows, g_rows, nrows, dy_ld, off, Q, mr, nt, part, ld);
}

}  // namespace csgis::cpu::conv_tiles
