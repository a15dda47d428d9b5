// CPU conv2d: im2col-free implicit GEMM over a "gathered" copy of the (virtually padded) input.
//
// Every pass is reduced to one building block, a stride-(sh,sw) conv over a virtual image V:
//   forward          V = zero-padded x,                    weights w
//   backward-input   V = dy with (stride-1) zeros inserted  weights w flipped and transposed
//                    and padded by (R-1)*dil - pad,         (KCRS -> CKRS, r -> R-1-r, s -> S-1-s)
//                    conv stride 1
//   backward-weight  V = zero-padded x, dot products against dy rows.
// V is materialised in a layout G where, for every output row and every reduction index
// j = (c, r, s), the 8-pixel vectors of one output row are contiguous and sit at a fixed offset
// off[j] from the row base. The micro-kernels therefore read pixels straight from G with unaligned
// vector loads: no im2col matrix (9x the input) is ever written. Forward and backward-input gather
// G band by band into per-thread scratch (a few rows, L2-sized at any image size); backward-weight
// gathers whole images, a group of them at a time.
//
// Threads: OpenMP only, no BLAS (so no nested pools). Forward/backward-input hand out bands of
// output rows dynamically (each band writes its own outputs, so the order is free; on a shared or
// virtual machine a static split waits for its slowest thread); backward-weight splits input rows and reduces per-thread partials in thread
// order (deterministic for a fixed thread count). Each output value is summed in the same order on
// every path, so results do not depend on the band size or the thread count.
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv2d_tiles.h"
#include "kernels/cpu/conv2d_winograd.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace csgis::cpu {
namespace {

using namespace conv_tiles;  // the micro-tiles and their sizes


constexpr int kRowsPerChunk = 16;  // weight-gradient row block: dy block (4 ch) stays in L1
constexpr int64_t kBandRows = 8;  // forward: output rows per work item (see conv_core)
// Backward-weight gathers images in groups of about this many bytes of G (at least one image):
// bounds the scratch memory for large batches and keeps a group's G within the L3 cache.
constexpr int64_t kGatherBytes = int64_t(8) << 20;

// The micro-kernels a float call takes: AVX-512 when asked for and the CPU has AVX-512F, else AVX2/FMA
// when the CPU has it, else (and always for double) the portable loops. The CPU is checked once.
template <typename T>
TileIsa tile_isa(const Conv2dCpuOptions& opt) {
#if CSGIS_X86
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f");
  if constexpr (std::is_same_v<T, float>) {
    if (opt.isa == ConvIsa::Portable || !avx2) return TileIsa::Portable;
    return opt.isa == ConvIsa::Avx512 && avx512 ? TileIsa::Avx512 : TileIsa::Avx2;
  }
#endif
  return TileIsa::Portable;
}

// Conv over virtual image V[c][h][w] = X[c][(h-plo_h)/up_h][(w-plo_w)/up_w] when the division is
// exact and in range, else 0; output P x Q with stride (sh, sw) and dilation (dh, dw).
struct Geo {
  int64_t N, C, Hs, Ws, K, R, S, sh, sw, dh, dw, plo_h, plo_w, up_h, up_w, P, Q;
};

// Layout G of one image: Hv rows of `row` elements. With sw == 1 a row holds one segment of Lw
// pixels per channel and tap s sits at +s*dw; with sw > 1 each (channel, tap) gets its own
// segment holding V[c][h][q*sw + s*dw], so output pixels are always unit-stride in G.
// Lw covers round_up(Q, 8) output pixels so the kernels never need masked loads.
struct Layout {
  int64_t Hv, Lw, G, row, img;
  std::vector<int32_t> off;  // off[j], j = (c*R + r)*S + s: tap offset from an output row base
};

Layout make_layout(const Geo& g) {
  Layout L;
  const int64_t q8 = (g.Q + 7) / 8 * 8;
  L.Hv = (g.P - 1) * g.sh + (g.R - 1) * g.dh + 1;
  L.G = g.sw == 1 ? 1 : g.S;
  L.Lw = g.sw == 1 ? q8 + (g.S - 1) * g.dw : q8;
  // Segments start on 64-byte lines: the untapped (s = 0) vector loads then never split a line.
  L.Lw = (L.Lw + 15) / 16 * 16;
  L.row = g.C * L.G * L.Lw;
  L.img = L.Hv * L.row;
  if (L.img >= (int64_t(1) << 31))
    throw std::invalid_argument("conv2d (cpu): per-image gathered input exceeds 32-bit offsets");
  L.off.resize(size_t(g.C * g.R * g.S));
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t r = 0; r < g.R; ++r)
      for (int64_t s = 0; s < g.S; ++s)
        L.off[size_t((c * g.R + r) * g.S + s)] = int32_t(
            r * g.dh * L.row + (L.G == 1 ? c * L.Lw + s * g.dw : (c * g.S + s) * L.Lw));
  return L;
}

// Gathers rows [h0, h1) of image n's virtual image V into dst (row h at dst + (h - h0) * L.row).
template <typename T>
void gather_rows(const Geo& g, const Layout& L, const T* X, int64_t n, int64_t h0, int64_t h1, T* dst_rows) {
  for (int64_t h = h0; h < h1; ++h) {
    T* dst = dst_rows + (h - h0) * L.row;
    const int64_t hs = h - g.plo_h;
    if (hs < 0 || hs % g.up_h != 0 || hs / g.up_h >= g.Hs) {  // a zero row of V
      std::memset(dst, 0, sizeof(T) * size_t(L.row));
      continue;
    }
    const T* src_rows = X + (n * g.C * g.Hs + hs / g.up_h) * g.Ws;  // channel stride Hs*Ws
    for (int64_t c = 0; c < g.C; ++c) {
      const T* src = src_rows + c * g.Hs * g.Ws;
      if (L.G == 1 && g.up_w == 1) {  // common case: shifted copy plus zero borders
        T* d = dst + c * L.Lw;
        const int64_t lo = std::max<int64_t>(0, g.plo_w);
        const int64_t hi = std::min<int64_t>(L.Lw, g.plo_w + g.Ws);
        std::memset(d, 0, sizeof(T) * size_t(L.Lw));
        if (hi > lo) std::memcpy(d + lo, src + (lo - g.plo_w), sizeof(T) * size_t(hi - lo));
        continue;
      }
      for (int64_t t = 0; t < L.G; ++t) {
        T* d = dst + (c * L.G + t) * L.Lw;
        for (int64_t i = 0; i < L.Lw; ++i) {
          const int64_t ws = (L.G == 1 ? i : i * g.sw + t * g.dw) - g.plo_w;
          const bool ok = ws >= 0 && ws % g.up_w == 0 && ws / g.up_w < g.Ws;
          d[i] = ok ? src[ws / g.up_w] : T(0);
        }
      }
    }
  }
}

// Gathers images [n0, n0 + nn) of X into G (image n at G + (n - n0) * L.img).
template <typename T>
void build_gather(const Geo& g, const Layout& L, const T* X, T* G, int64_t n0, int64_t nn) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = n0; n < n0 + nn; ++n)
    for (int64_t h = 0; h < L.Hv; ++h) gather_rows(g, L, X, n, h, h + 1, G + (n - n0) * L.img + h * L.row);
}

// Packs KCRS-ordered weights (K rows of J = C*R*S) as [K/kMR][J][kMR] (zero-filled tail) so the
// micro-kernel's broadcasts walk memory sequentially.
template <typename T>
void pack_weights(const T* w, int64_t K, int64_t J, T* wp) {
  const int64_t kb_count = (K + kMR - 1) / kMR;
  for (int64_t kb = 0; kb < kb_count; ++kb)
    for (int64_t j = 0; j < J; ++j)
      for (int i = 0; i < kMR; ++i) {
        const int64_t k = kb * kMR + i;
        wp[(kb * J + j) * kMR + i] = k < K ? w[k * J + j] : T(0);
      }
}

// ---- drivers -----------------------------------------------------------------------------------
// Y[n][k][p][q] = bias[k] + sum_j W[k][j] * V[n](row p, tap j, pixel q); W is KCRS with C = g.C.
// One work item = a band of kBandRows output rows of one image. Its thread gathers just the V rows
// the band reads into its own scratch (the band's rows plus the (R-1)*dh halo), so the gathered
// input never leaves L2 whatever the image size; then, per output row, the micro-tiles walk the
// pixels with the channel blocks innermost, so a tile's G slice is re-read from L1.
template <typename T>
void conv_core(const Geo& g, const T* X, const T* W, const T* bias, T* Y, const Conv2dCpuOptions& opt) {
  ScratchArena& arena = *opt.scratch;  // set by the entry points below
  if constexpr (std::is_same_v<T, float>) {
    // 3x3 stride-1 passes (also backward-input of a stride-1 layer) go through Winograd F(2x2, 3x3).
    const Winograd3x3 wg{g.N, g.C, g.Hs, g.Ws, g.K, g.P, g.Q, g.dh, g.dw, g.plo_h, g.plo_w};
    if (g.R == 3 && g.S == 3 && g.sh == 1 && g.sw == 1 && g.up_h == 1 && g.up_w == 1 && tile_isa<T>(opt) != TileIsa::Portable &&
        opt.winograd && winograd3x3_suits(wg))
      return winograd3x3_forward(wg, X, W, bias, Y, opt.relu, &arena);
  }
  const Layout L = make_layout(g);
  const int64_t J = g.C * g.R * g.S, kb_count = (g.K + kMR - 1) / kMR;
  T* wp = arena.get<T>(1, 0, size_t(kb_count * J * kMR));
  pack_weights(W, g.K, J, wp);
  const TileIsa isa = tile_isa<T>(opt);
  // AVX-512 float: 8-channel tiles of 48 pixels where two full channel blocks remain.
  const bool pairs = std::is_same_v<T, float> && isa == TileIsa::Avx512 && g.K >= 2 * kMR;
  const int64_t tile_q = pairs ? 16 * kNV8 : fwd_tile_pixels(isa);
  const int64_t bands = (g.P + kBandRows - 1) / kBandRows;
  const int64_t band_h = (kBandRows - 1) * g.sh + (g.R - 1) * g.dh + 1;  // V rows one band reads
  arena.reserve_threads(omp_get_max_threads());
#pragma omp parallel
  {
    T* G = arena.get<T>(4, omp_get_thread_num(), size_t(band_h * L.row));
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t band = 0; band < bands; ++band) {
        const int64_t p0 = band * kBandRows, p1 = std::min(g.P, p0 + kBandRows);
        const int64_t h0 = p0 * g.sh, h1 = std::min(L.Hv, (p1 - 1) * g.sh + (g.R - 1) * g.dh + 1);
        gather_rows(g, L, X, n, h0, h1, G);
        for (int64_t p = p0; p < p1; ++p) {
          const T* base = G + (p * g.sh - h0) * L.row;
          for (int64_t q0 = 0; q0 < g.Q; q0 += tile_q)
            for (int64_t kb = 0; kb < kb_count; ++kb) {
              const int mr = int(std::min<int64_t>(kMR, g.K - kb * kMR));
              const T* b = bias ? bias + kb * kMR : nullptr;
              T* y = Y + ((n * g.K + kb * kMR) * g.P + p) * g.Q;
              const int nq = int(std::min<int64_t>(tile_q, g.Q - q0));
              if (pairs && (kb + 2) * kMR <= g.K) {  // two full channel blocks in one tile
                fwd_tile8(base + q0, L.off.data(), J, wp + kb * J * kMR, wp + (kb + 1) * J * kMR, b, y + q0,
                          g.P * g.Q, nq, opt.relu);
                ++kb;
                continue;
              }
              fwd_tile(isa, base + q0, L.off.data(), J, wp + kb * J * kMR, b, y + q0, g.P * g.Q, mr, nq, opt.relu);
            }
        }
      }
  }
}

Geo forward_geo(const Conv2dShape& s) {
  return {s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.stride_h, s.stride_w, s.dil_h, s.dil_w, s.pad_h, s.pad_w, 1, 1, s.P, s.Q};
}

// The options with an arena: the caller's, else `local` (freed when the call returns).
Conv2dCpuOptions with_scratch(const Conv2dCpuOptions& opt, ScratchArena& local) {
  Conv2dCpuOptions o = opt;
  if (!o.scratch) o.scratch = &local;
  return o;
}

}  // namespace


template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y, const Conv2dCpuOptions& opt) {
  ScratchArena local;
  conv_core(forward_geo(s), x, w, bias, y, with_scratch(opt, local));
}

template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx, const Conv2dCpuOptions& opt) {
  // dx is a stride-1 conv of dy (zero-inserted by the stride, padded by (R-1)*dil - pad, which
  // may be negative: the gather then just starts inside dy) with flipped, CK-transposed weights.
  // For stride > 1 this wastes the inserted zeros' FLOPs (stride_h*stride_w x), acceptable for
  // the few strided layers of the network.
  const Geo g{s.N, s.K, s.P, s.Q, s.C, s.R, s.S, 1, 1, s.dil_h, s.dil_w,
              (s.R - 1) * s.dil_h - s.pad_h, (s.S - 1) * s.dil_w - s.pad_w,
              s.stride_h, s.stride_w, s.H, s.W};
  const int64_t RS = s.R * s.S;
  ScratchArena local;
  const Conv2dCpuOptions o = with_scratch(opt, local);
  T* wt = o.scratch->get<T>(2, 0, size_t(s.w_numel()));
  for (int64_t k = 0; k < s.K; ++k)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t rs = 0; rs < RS; ++rs) wt[(c * s.K + k) * RS + (RS - 1 - rs)] = w[(k * s.C + c) * RS + rs];
  conv_core(g, dy, wt, static_cast<const T*>(nullptr), dx, o);
}

template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, const Conv2dCpuOptions& opt) {
  const Geo g = forward_geo(s);
  const Layout L = make_layout(g);
  const int64_t J = s.C * s.R * s.S, kb_count = (s.K + kWMR - 1) / kWMR;
  const int nth = std::max(1, omp_get_max_threads());
  const int64_t group = std::min(s.N, std::max<int64_t>(1, kGatherBytes / int64_t(sizeof(T)) / L.img));
  ScratchArena local;
  ScratchArena& arena = *with_scratch(opt, local).scratch;
  T* G = arena.get<T>(0, 0, size_t(group * L.img));
  T* part = arena.get<T>(3, 0, size_t(nth) * size_t(s.K * J));  // one dw partial per thread
  std::fill(part, part + size_t(nth) * size_t(s.K * J), T(0));
  const TileIsa isa = tile_isa<T>(opt);
  const int64_t taps = dw_tile_taps(isa);
  for (int64_t n0 = 0; n0 < s.N; n0 += group) {
    const int64_t nn = std::min(group, s.N - n0), rows = nn * s.P;
    build_gather(g, L, x, G, n0, nn);
#pragma omp parallel num_threads(nth)
    {
      const int t = omp_get_thread_num(), nt_real = omp_get_num_threads();
      T* my = part + size_t(t) * size_t(s.K * J);
      const int64_t r_begin = rows * t / nt_real, r_end = rows * (t + 1) / nt_real;
      const T *dy_rows[kRowsPerChunk], *g_rows[kRowsPerChunk];
      // Row block outer: its dy (kWMR channels at a time, ~16 KB) stays in L1 while every tap
      // group of the block streams its G rows from L2.
      for (int64_t r0 = r_begin; r0 < r_end; r0 += kRowsPerChunk) {
        const int64_t nr = std::min<int64_t>(kRowsPerChunk, r_end - r0);
        for (int64_t kb = 0; kb < kb_count; ++kb) {
          for (int64_t i = 0; i < nr; ++i) {
            const int64_t n = (r0 + i) / s.P, p = (r0 + i) % s.P;  // n relative to n0
            dy_rows[i] = dy + (((n0 + n) * s.K + kb * kWMR) * s.P + p) * s.Q;
            g_rows[i] = G + n * L.img + p * s.stride_h * L.row;
          }
          for (int64_t j0 = 0; j0 < J; j0 += taps)
            dw_tile(isa, dy_rows, g_rows, nr, s.P * s.Q, L.off.data() + j0, s.Q,
                    int(std::min<int64_t>(kWMR, s.K - kb * kWMR)), int(std::min<int64_t>(taps, J - j0)),
                    my + kb * kWMR * J + j0, J);
        }
      }
    }
  }
  // Deterministic reduction: each element sums the per-thread partials in thread order.
#pragma omp parallel for schedule(static) num_threads(nth)
  for (int64_t e = 0; e < s.K * J; ++e) {
    T acc = part[size_t(e)];
    for (int u = 1; u < nth; ++u) acc += part[size_t(u) * size_t(s.K * J) + size_t(e)];
    dw[e] = acc;
  }
}

template <typename T>
void conv2d_backward_bias(const Conv2dShape& s, const T* dy, T* db) {
  const int64_t PQ = s.P * s.Q;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < s.K; ++k) {
    T lane[8] = {};  // 8 independent partial sums: vectorisable without -ffast-math
    for (int64_t n = 0; n < s.N; ++n) {
      const T* d = dy + (n * s.K + k) * PQ;
      int64_t i = 0;
      for (; i + 8 <= PQ; i += 8)
        for (int l = 0; l < 8; ++l) lane[l] += d[i + l];
      for (; i < PQ; ++i) lane[i % 8] += d[i];
    }
    db[k] = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  }
}

#define CSGIS_CONV2D_INSTANTIATE(T)                                                                           \
  template void conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*, const Conv2dCpuOptions&); \
  template void conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*, const Conv2dCpuOptions&);    \
  template void conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, const Conv2dCpuOptions&);   \
  template void conv2d_backward_bias<T>(const Conv2dShape&, const T*, T*);
CSGIS_CONV2D_INSTANTIATE(float)
CSGIS_CONV2D_INSTANTIATE(double)
#undef CSGIS_CONV2D_INSTANTIATE

}  // namespace csgis::cpu
