// The micro-kernels of the CPU conv2d (kernels/cpu/conv2d.cpp, which describes the gathered
// layout G they read): a forward tile and a weight-gradient tile, each as portable loops (double,
// and float without AVX2), as AVX2/FMA float code and as AVX-512F float code, with the run-time
// dispatch between them. The library is compiled for x86-64-v3; the AVX-512 functions carry their
// own target attribute and run only where the CPU has AVX-512F (conv2d.cpp checks once).
// Internal: included by conv2d.cpp only.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/scratch.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CSGIS_X86 1
#define CSGIS_AVX2 __attribute__((target("avx2,fma")))
#define CSGIS_AVX512 __attribute__((target("avx512f,avx2,fma")))
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
// AVX-512 has 32 registers of 16 floats: wider tiles, same channel blocking (same packed weights).
constexpr int kNV16 = 4;  // forward: 16-wide pixel vectors per tile: 4 x 64 = 16 accumulators
constexpr int kNT16 = 6;  // weight gradient: taps per tile: 4 x 6 = 24 accumulators
constexpr int kNV8 = 3;   // forward, 8-channel AVX-512 tile: 16-wide pixel vectors: 8 x 48 = 24 accumulators

// Which micro-kernels a call uses: Conv2dCpuOptions::isa, lowered to what the CPU has (conv2d.cpp).
using TileIsa = ConvIsa;
// Output pixels of one forward tile and taps of one weight-gradient tile, per path.
constexpr int fwd_tile_pixels(TileIsa isa) { return isa == TileIsa::Avx512 ? 16 * kNV16 : 8 * kNV; }
constexpr int dw_tile_taps(TileIsa isa) { return isa == TileIsa::Avx512 ? kNT16 : kNT; }

// ---- portable micro-kernels (double, and float without AVX2) ----------------------------------
// y[i][q] = bias[i] + sum_j wp[j][i] * base[off[j] + q],  i < mr, q < nq; with `relu`, max(0, y) as it
// is stored (NaN stays NaN, as the network's non-finite checks need).
template <typename T>
void fwd_tile_ref(const T* base, const int32_t* off, int64_t J, const T* wp, const T* bias,
                  T* y, int64_t ldy, int mr, int nq, bool relu) {
  T acc[kMR][16 * kNV16];  // sized for the widest path's nq
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
  T acc[kWMR][kNT16] = {};  // sized for the widest path's nt
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

// ---- AVX-512F micro-kernels (float) -------------------------------------------------------------
CSGIS_AVX512 inline __mmask16 lanes16(int n) { return __mmask16((1u << n) - 1u); }  // lanes [0, n), n <= 16

// Forward micro-tile, ROWS channels x NV*16 pixels: the AVX2 tile's sum in the same order (one FMA
// per j), so both paths give the same bits. Channels i < kMR take their weights from the packed
// block wp0, the next kMR (ROWS = 8) from wp1. The last vector is loaded and stored under a mask: G
// is padded to 16 pixels per segment, but a tap's shifted load could still leave the buffer.
//  - ROWS <= 4, NV = 4: 16 accumulators + 4 pixel vectors + 1 broadcast of the 32 zmm.
//  - ROWS = 8, NV = 3 (two adjacent packed blocks): 24 + 3 + 1. It loads one pixel vector per 8
//    FMAs instead of per 4; most of those loads are unaligned and split a cache line.
template <int ROWS, int NV>
CSGIS_AVX512 void fwd_rows_avx512(const float* base, const int32_t* off, int64_t J, const float* wp0,
                                  const float* wp1, const float* bias, float* y, int64_t ldy, int nq,
                                  bool relu) {
  const __mmask16 tail = lanes16(nq - 16 * (NV - 1));
  __m512 acc[ROWS][NV];
  CSGIS_UNROLL for (int i = 0; i < ROWS; ++i)
    CSGIS_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = bias ? _mm512_set1_ps(bias[i]) : _mm512_setzero_ps();
  for (int64_t j = 0; j < J; ++j) {
    const float* b = base + off[j];
    __m512 bv[NV];
    CSGIS_UNROLL for (int v = 0; v < NV - 1; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
    bv[NV - 1] = _mm512_maskz_loadu_ps(tail, b + 16 * (NV - 1));
    CSGIS_UNROLL for (int i = 0; i < ROWS; ++i) {
      const __m512 a = _mm512_set1_ps(i < kMR ? wp0[j * kMR + i] : wp1[j * kMR + i - kMR]);
      CSGIS_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(a, bv[v], acc[i][v]);
    }
  }
  if (relu) {  // 0 where acc < 0 (false for NaN, which stays): the AVX2 tile's max(0, acc), bit for bit
    CSGIS_UNROLL for (int i = 0; i < ROWS; ++i)
      CSGIS_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_mask_mov_ps(
          acc[i][v], _mm512_cmp_ps_mask(acc[i][v], _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_ps());
  }
  CSGIS_UNROLL for (int i = 0; i < ROWS; ++i) {
    CSGIS_UNROLL for (int v = 0; v < NV - 1; ++v) _mm512_storeu_ps(y + i * ldy + 16 * v, acc[i][v]);
    _mm512_mask_storeu_ps(y + i * ldy + 16 * (NV - 1), tail, acc[i][NV - 1]);
  }
}
template <int MR, int NV>
CSGIS_AVX512 void fwd_tile_avx512(const float* base, const int32_t* off, int64_t J, const float* wp,
                                  const float* bias, float* y, int64_t ldy, int nq, bool relu) {
  fwd_rows_avx512<MR, NV>(base, off, J, wp, nullptr, bias, y, ldy, nq, relu);
}
template <int NV>
CSGIS_AVX512 void fwd_tile8_avx512(const float* base, const int32_t* off, int64_t J, const float* wp0,
                                   const float* wp1, const float* bias, float* y, int64_t ldy, int nq,
                                   bool relu) {
  fwd_rows_avx512<2 * kMR, NV>(base, off, J, wp0, wp1, bias, y, ldy, nq, relu);
}

// One 16-pixel step of the weight-gradient tile (as dw_step: tap vectors held, dy rows streamed).
// The tail step masks the G loads too, for the same reason as the forward tile.
template <int MR, int NT, bool Masked>
CSGIS_AVX512 __attribute__((always_inline)) inline void dw_step16(__m512 (&acc)[kWMR][NT], const float* d,
                                                                const float* g, const int32_t* off,
                                                                int64_t dy_ld, int64_t q, __mmask16 m) {
  __m512 xv[NT];
  CSGIS_UNROLL for (int t = 0; t < NT; ++t)
    xv[t] = Masked ? _mm512_maskz_loadu_ps(m, g + off[t] + q) : _mm512_loadu_ps(g + off[t] + q);
  CSGIS_UNROLL for (int i = 0; i < MR; ++i) {
    const __m512 dv = Masked ? _mm512_maskz_loadu_ps(m, d + i * dy_ld + q) : _mm512_loadu_ps(d + i * dy_ld + q);
    CSGIS_UNROLL for (int t = 0; t < NT; ++t) acc[i][t] = _mm512_fmadd_ps(dv, xv[t], acc[i][t]);
  }
}

// The totals of 16 accumulators at once, each a fixed tree over its 16 lanes (halves, quarters,
// pairs, then lanes, added across accumulators by shuffles): lane l of the result holds the total
// of v[(l % 4) * 4 + l / 4]. One store instead of 16, and 15 vector adds instead of 240 scalar
// ones: the per-accumulator scalar tree was about 15 % of the weight gradient on a Zen 4 core.
// (The masked form of the 128-bit shuffle, all lanes selected: GCC 12's plain one warns of an
// uninitialised operand inside its own header.)
#define CSGIS_SHUF128(a, b, imm) _mm512_mask_shuffle_f32x4((a), __mmask16(0xFFFF), (a), (b), (imm))
CSGIS_AVX512 __attribute__((always_inline)) inline __m512 lane_totals16(const __m512* v) {
  __m512 t[8], u[4], w[2];
  CSGIS_UNROLL for (int i = 0; i < 8; ++i)
    t[i] = _mm512_add_ps(CSGIS_SHUF128(v[2 * i], v[2 * i + 1], 0x44), CSGIS_SHUF128(v[2 * i], v[2 * i + 1], 0xEE));
  CSGIS_UNROLL for (int i = 0; i < 4; ++i)
    u[i] = _mm512_add_ps(CSGIS_SHUF128(t[2 * i], t[2 * i + 1], 0x88), CSGIS_SHUF128(t[2 * i], t[2 * i + 1], 0xDD));
  CSGIS_UNROLL for (int i = 0; i < 2; ++i)
    w[i] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * i], u[2 * i + 1], 0x44), _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], 0x88), _mm512_shuffle_ps(w[0], w[1], 0xDD));
}
#undef CSGIS_SHUF128

// Accumulator a of an [kWMR][NT] tile, or zero past the K used ones; compile-time indices only, so
// the tile's accumulators stay in registers.
template <int NT, int A, int K>
CSGIS_AVX512 __attribute__((always_inline)) inline __m512 acc_or_zero(const __m512 (&acc)[kWMR][NT]) {
  if constexpr (A < K) return acc[A / NT][A % NT];
  else return _mm512_setzero_ps();
}
template <int NT, int K, int G0, int... A>
CSGIS_AVX512 __attribute__((always_inline)) inline __m512 group_totals(const __m512 (&acc)[kWMR][NT],
                                                                      std::integer_sequence<int, A...>) {
  const __m512 v[16] = {acc_or_zero<NT, G0 + A, K>(acc)...};
  return lane_totals16(v);
}

// Weight-gradient micro-tile, MR channels x NT taps (as dw_tile_avx2, 16 partial sums per
// accumulator, reduced once per row block).
template <int MR, int NT>
CSGIS_AVX512 void dw_tile_avx512(const float* const* dy_rows, const float* const* g_rows,
                                 int64_t nrows, int64_t dy_ld, const int32_t* off, int64_t Q,
                                 float* part, int64_t ld) {
  __m512 acc[kWMR][NT];
  CSGIS_UNROLL for (int i = 0; i < kWMR; ++i)
    CSGIS_UNROLL for (int t = 0; t < NT; ++t) acc[i][t] = _mm512_setzero_ps();
  const int64_t qfull = Q / 16 * 16;
  const __mmask16 tail = lanes16(int(Q - qfull));
  for (int64_t r = 0; r < nrows; ++r) {
    for (int64_t q = 0; q < qfull; q += 16)
      dw_step16<MR, NT, false>(acc, dy_rows[r], g_rows[r], off, dy_ld, q, tail);
    if (qfull < Q) dw_step16<MR, NT, true>(acc, dy_rows[r], g_rows[r], off, dy_ld, qfull, tail);
  }
  // Accumulator a = i * NT + t, totals 16 at a time (lane_totals16; the last group padded with
  // zeros, which add nothing to the other lanes).
  constexpr int kAcc = MR * NT;
  alignas(64) float totals[32];
  _mm512_store_ps(totals, group_totals<NT, kAcc, 0>(acc, std::make_integer_sequence<int, 16>{}));
  if constexpr (kAcc > 16)
    _mm512_store_ps(totals + 16, group_totals<NT, kAcc, 16>(acc, std::make_integer_sequence<int, 16>{}));
  CSGIS_UNROLL for (int i = 0; i < MR; ++i)
    CSGIS_UNROLL for (int t = 0; t < NT; ++t) {
      const int a = i * NT + t, r = a % 16;
      part[i * ld + t] += totals[a - r + (r % 4) * 4 + r / 4];
    }
}

using FwdFn = void (*)(const float*, const int32_t*, int64_t, const float*, const float*, float*, int64_t, int,
                       bool);
using DwFn = void (*)(const float* const*, const float* const*, int64_t, int64_t, const int32_t*, int64_t, float*,
                      int64_t);
template <template <int, int> class Tile, typename Fn, int A, size_t B, int... Bs>
void fill_row(std::array<Fn, B>& row, std::integer_sequence<int, Bs...>) {
  ((row[size_t(Bs)] = Tile<A, Bs + 1>::f), ...);
}

// Run-time (mr, nv|nt) -> compile-time micro-tile, mr <= 4 and b <= B (B = 3 for AVX2, 4 or 6 for
// AVX-512).
template <template <int, int> class Tile, typename Fn, int B>
Fn pick(int a, int b) {
  static const auto table = [] {
    std::array<std::array<Fn, B>, 4> t{};
    fill_row<Tile, Fn, 1>(t[0], std::make_integer_sequence<int, B>{});
    fill_row<Tile, Fn, 2>(t[1], std::make_integer_sequence<int, B>{});
    fill_row<Tile, Fn, 3>(t[2], std::make_integer_sequence<int, B>{});
    fill_row<Tile, Fn, 4>(t[3], std::make_integer_sequence<int, B>{});
    return t;
  }();
  return table[size_t(a - 1)][size_t(b - 1)];
}
template <int A, int B> struct FwdTile { static constexpr FwdFn f = fwd_tile_avx2<A, B>; };
template <int A, int B> struct DwTile { static constexpr DwFn f = dw_tile_avx2<A, B>; };
template <int A, int B> struct FwdTile16 { static constexpr FwdFn f = fwd_tile_avx512<A, B>; };
template <int A, int B> struct DwTile16 { static constexpr DwFn f = dw_tile_avx512<A, B>; };
#endif  // CSGIS_X86

// Micro-tile dispatch: the vector tiles for float on the path asked for, the portable loops otherwise.
// nq is at most fwd_tile_pixels(isa), nt at most dw_tile_taps(isa).
template <typename T>
void fwd_tile(TileIsa isa, const T* base, const int32_t* off, int64_t J, const T* wp, const T* bias,
              T* y, int64_t ldy, int mr, int nq, bool relu = false) {
#if CSGIS_X86
  if constexpr (std::is_same_v<T, float>) {
    if (isa == TileIsa::Avx512)
      return pick<FwdTile16, FwdFn, kNV16>(mr, (nq + 15) / 16)(base, off, J, wp, bias, y, ldy, nq, relu);
    if (isa == TileIsa::Avx2)
      return pick<FwdTile, FwdFn, kNV>(mr, (nq + 7) / 8)(base, off, J, wp, bias, y, ldy, nq, relu);
  }
#endif
  fwd_tile_ref(base, off, J, wp, bias, y, ldy, mr, nq, relu);
}
// The 8-channel forward tile (AVX-512, float only; nq <= 16 * kNV8). Callers check the ISA.
template <typename T>
void fwd_tile8(const T* base, const int32_t* off, int64_t J, const T* wp0, const T* wp1, const T* bias, T* y,
               int64_t ldy, int nq, bool relu) {
#if CSGIS_X86
  if constexpr (std::is_same_v<T, float>) {
    using Fn = void (*)(const float*, const int32_t*, int64_t, const float*, const float*, const float*, float*,
                        int64_t, int, bool);
    static constexpr Fn by_nv[kNV8] = {fwd_tile8_avx512<1>, fwd_tile8_avx512<2>, fwd_tile8_avx512<3>};
    return by_nv[(nq + 15) / 16 - 1](base, off, J, wp0, wp1, bias, y, ldy, nq, relu);
  }
#endif
  (void)base, (void)off, (void)J, (void)wp0, (void)wp1, (void)bias, (void)y, (void)ldy, (void)nq, (void)relu;
  throw std::logic_error("fwd_tile8: AVX-512 float only");
}

template <typename T>
void dw_tile(TileIsa isa, const T* const* dy_rows, const T* const* g_rows, int64_t nrows, int64_t dy_ld,
             const int32_t* off, int64_t Q, int mr, int nt, T* part, int64_t ld) {
#if CSGIS_X86
  if constexpr (std::is_same_v<T, float>) {
    if (isa == TileIsa::Avx512)
      return pick<DwTile16, DwFn, kNT16>(mr, nt)(dy_rows, g_rows, nrows, dy_ld, off, Q, part, ld);
    if (isa == TileIsa::Avx2) return pick<DwTile, DwFn, kNT>(mr, nt)(dy_rows, g_rows, nrows, dy_ld, off, Q, part, ld);
  }
#endif
  dw_tile_ref(dy_rows, g_rows, nrows, dy_ld, off, Q, mr, nt, part, ld);
}

}  // namespace csgis::cpu::conv_tiles
