// Winograd F(2x2, 3x3) on the CPU (see conv2d_winograd.h for what and why).
//
// With B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1] and
// A^T = [1 1 1 0; 0 1 -1 -1], a 2x2 output block Y of one (k, c) pair is A^T [(G g G^T) .* (B^T d B)] A,
// d being the 4x4 input patch. Summed over c, the 16 element-wise products become 16 small GEMMs
// M[xi] = U[xi] (K x C) * V[xi] (C x tiles), done with the direct kernel's 4 x 24 micro-tile.
//
// Dilation d: a tile's outputs and inputs are d apart. Tiles start at columns q0 with
// q0 mod 2d < d (and likewise rows), so they cover every output once. The input is split once per
// image into 2d column phases, XS[c][h][s][m] = x[c][h][m*2d + s - pad_left]; the tiles of phase
// r (q0 = m*2d + r) then read their four columns from phases r and r + d at m and m + 1, so all 16
// patch values of 8 neighbouring tiles are contiguous vector loads.
#include "kernels/cpu/conv2d_winograd.h"

#include "kernels/cpu/conv2d_tiles.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace csgis::cpu {
namespace {

using namespace conv_tiles;

constexpr int64_t kChunk = 48;     // tiles per GEMM batch (two 24-wide micro-tiles; a multiple of 8)
constexpr int64_t kBandTiles = 4;  // tile rows per work item

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// U[xi][kb][c][kMR] = (G g G^T)[xi] of weight (k = kb*kMR + i, c): the packing fwd_tile broadcasts.
void transform_weights(const float* w, int64_t K, int64_t C, float* U) {
  const int64_t kb_count = (K + kMR - 1) / kMR;
  std::fill(U, U + 16 * kb_count * C * kMR, 0.f);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (k * C + c) * 9;
      float t[4][3];  // G g
      for (int s = 0; s < 3; ++s) {
        const float g0 = g[s], g1 = g[3 + s], g2 = g[6 + s];
        t[0][s] = g0;
        t[1][s] = 0.5f * (g0 + g1 + g2);
        t[2][s] = 0.5f * (g0 - g1 + g2);
        t[3][s] = g2;
      }
      for (int i = 0; i < 4; ++i) {
        const float u[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                            t[i][2]};
        for (int j = 0; j < 4; ++j) U[((int64_t(i * 4 + j) * kb_count + k / kMR) * C + c) * kMR + k % kMR] = u[j];
      }
    }
}

// dst[c][s][m] = x_row_c[m*P2 + s - pad_left] for one input row (x_row_c = src + c * H * W), 0 outside.
void split_row(const Winograd3x3& g, const float* src, int64_t P2, int64_t Mpad, float* dst) {
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t s = 0; s < P2; ++s) {
      float* d = dst + (c * P2 + s) * Mpad;
      // m with 0 <= m*P2 + s - pad_left < W
      const int64_t lo = std::clamp<int64_t>((g.pad_left - s + P2 - 1) / P2, 0, Mpad);
      const int64_t hi = std::clamp<int64_t>((g.W + g.pad_left - s + P2 - 1) / P2, lo, Mpad);
      std::fill(d, d + lo, 0.f);
      const float* sp = src + c * g.H * g.W + s - g.pad_left;
      for (int64_t m = lo; m < hi; ++m) d[m] = sp[m * P2];
      std::fill(d + hi, d + Mpad, 0.f);
    }
}

#if CSGIS_X86
// V[xi][mm] (xi = 4i + j) = (B^T d B) of 8 tiles, d[i][j] read at a[i][j] + mm.
CSGIS_AVX2 inline void input_transform8(const float* const (&a)[4][4], int64_t mm, float* V, int64_t xi_stride) {
  __m256 t[4][4];
  for (int i = 0; i < 4; ++i) {  // along the row: d B
    const __m256 d0 = _mm256_loadu_ps(a[i][0] + mm), d1 = _mm256_loadu_ps(a[i][1] + mm);
    const __m256 d2 = _mm256_loadu_ps(a[i][2] + mm), d3 = _mm256_loadu_ps(a[i][3] + mm);
    t[i][0] = _mm256_sub_ps(d0, d2);
    t[i][1] = _mm256_add_ps(d1, d2);
    t[i][2] = _mm256_sub_ps(d2, d1);
    t[i][3] = _mm256_sub_ps(d1, d3);
  }
  for (int j = 0; j < 4; ++j) {  // down the column: B^T (d B)
    _mm256_storeu_ps(V + (0 * 4 + j) * xi_stride + mm, _mm256_sub_ps(t[0][j], t[2][j]));
    _mm256_storeu_ps(V + (1 * 4 + j) * xi_stride + mm, _mm256_add_ps(t[1][j], t[2][j]));
    _mm256_storeu_ps(V + (2 * 4 + j) * xi_stride + mm, _mm256_sub_ps(t[2][j], t[1][j]));
    _mm256_storeu_ps(V + (3 * 4 + j) * xi_stride + mm, _mm256_sub_ps(t[1][j], t[3][j]));
  }
}

// out[2a + b][lane] = (A^T M A)[a][b] + bias of 8 tiles, M[xi] read at Mk + xi * xi_stride + mm.
CSGIS_AVX2 inline void output_transform8(const float* Mk, int64_t xi_stride, int64_t mm, float bias, bool relu,
                                         float (&out)[4][8]) {
  __m256 s[2][4];
  for (int j = 0; j < 4; ++j) {  // A^T M
    const __m256 m0 = _mm256_loadu_ps(Mk + (0 * 4 + j) * xi_stride + mm);
    const __m256 m1 = _mm256_loadu_ps(Mk + (1 * 4 + j) * xi_stride + mm);
    const __m256 m2 = _mm256_loadu_ps(Mk + (2 * 4 + j) * xi_stride + mm);
    const __m256 m3 = _mm256_loadu_ps(Mk + (3 * 4 + j) * xi_stride + mm);
    s[0][j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
    s[1][j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
  }
  const __m256 b = _mm256_set1_ps(bias);
  for (int a = 0; a < 2; ++a) {  // (A^T M) A
    __m256 y0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[a][0], s[a][1]), s[a][2]), b);
    __m256 y1 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[a][1], s[a][2]), s[a][3]), b);
    if (relu) {  // max(0, v) keeps NaN (the second operand is returned when one is NaN)
      y0 = _mm256_max_ps(_mm256_setzero_ps(), y0);
      y1 = _mm256_max_ps(_mm256_setzero_ps(), y1);
    }
    _mm256_storeu_ps(out[2 * a], y0);
    _mm256_storeu_ps(out[2 * a + 1], y1);
  }
}
// y[0..16) = a[0], b[0], a[1], b[1], ..., a[7], b[7]
CSGIS_AVX2 inline void store_interleaved16(float* y, const float* a, const float* b) {
  const __m256 va = _mm256_loadu_ps(a), vb = _mm256_loadu_ps(b);
  const __m256 lo = _mm256_unpacklo_ps(va, vb), hi = _mm256_unpackhi_ps(va, vb);  // a0 b0 a1 b1 | a4 b4 a5 b5 ...
  _mm256_storeu_ps(y, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(y + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}
#endif

}  // namespace

bool winograd3x3_suits(const Winograd3x3& g) {
#if CSGIS_X86
  static const bool cpu_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu_ok && g.C >= 16 && g.K >= 16;
#else
  (void)g;
  return false;
#endif
}

#if CSGIS_X86
namespace {

// What every chunk of one call shares.
struct Plan {
  const Winograd3x3& g;
  int64_t kb_count, Kpad;  // output-channel blocks of the micro-tile, and K rounded up to them
  int64_t P2, Mpad;        // column phases (2d), and the length of one phase of a split row
  int64_t row_block;       // floats of one split input row: C x P2 x Mpad
  const float* U;          // transformed weights
  const int32_t* off;      // off[c] = c * kChunk: where fwd_tile finds channel c in V
  const float* bias;
  bool relu;               // max(0, y) on the way out
};

// Tiles m0 .. m0 + mb of column phase r in the tile row at p0: input transform into V, 16 GEMMs
// into M, output transform into y (image yn). `rows` holds the tile row's four split input rows,
// one row_block apart.
CSGIS_AVX2 void winograd_chunk(const Plan& pl, const float* rows, int64_t p0, int64_t r, int64_t m0, int64_t mb,
                               float* V, float* M, float* yn) {
  const Winograd3x3& g = pl.g;
  for (int64_t c = 0; c < g.C; ++c) {
    const float* a[4][4];
    for (int i = 0; i < 4; ++i) {
      const float* row = rows + i * pl.row_block + c * pl.P2 * pl.Mpad;
      a[i][0] = row + r * pl.Mpad + m0;              // column q0
      a[i][1] = row + (r + g.dil_w) * pl.Mpad + m0;  // q0 + d
      a[i][2] = a[i][0] + 1;                         // q0 + 2d
      a[i][3] = a[i][1] + 1;                         // q0 + 3d
    }
    for (int64_t mm = 0; mm < mb; mm += 8) input_transform8(a, mm, V + c * kChunk, g.C * kChunk);
  }
  for (int64_t xi = 0; xi < 16; ++xi)
    for (int64_t kb = 0; kb < pl.kb_count; ++kb) {
      const int mr = int(std::min<int64_t>(kMR, g.K - kb * kMR));
      for (int64_t t0 = 0; t0 < mb; t0 += 8 * kNV)
        fwd_tile(TileIsa::Avx2, V + xi * g.C * kChunk + t0, pl.off, g.C, pl.U + (xi * pl.kb_count + kb) * g.C * kMR,
                 static_cast<const float*>(nullptr), M + (xi * pl.Kpad + kb * kMR) * kChunk + t0, kChunk, mr,
                 int(std::min<int64_t>(8 * kNV, mb - t0)));
    }
  const int64_t P2 = pl.P2;
  for (int64_t k = 0; k < g.K; ++k) {
    float* yk = yn + k * g.P * g.Q;
    for (int64_t mm = 0; mm < mb; mm += 8) {
      float out[4][8];
      output_transform8(M + k * kChunk, pl.Kpad * kChunk, mm, pl.bias ? pl.bias[k] : 0.f, pl.relu, out);
      const int lanes = int(std::min<int64_t>(8, mb - mm));
      // Lanes whose second column q0 + d is inside the row too (all but possibly the last tile).
      const int full = int(std::clamp<int64_t>((g.Q - g.dil_w - r + P2 - 1) / P2 - (m0 + mm), 0, lanes));
      for (int a = 0; a < 2; ++a) {
        const int64_t p = p0 + a * g.dil_h;
        if (p >= g.P) continue;
        float* yrow = yk + p * g.Q + (m0 + mm) * P2 + r;
        if (P2 == 2 && full == 8) {  // dilation 1: the two columns interleave into 16 contiguous outputs
          store_interleaved16(yrow, out[2 * a], out[2 * a + 1]);
          continue;
        }
        for (int l = 0; l < full; ++l) {
          yrow[l * P2] = out[2 * a][l];
          yrow[l * P2 + g.dil_w] = out[2 * a + 1][l];
        }
        for (int l = full; l < lanes; ++l) yrow[l * P2] = out[2 * a][l];  // q0 < Q by the tile count
      }
    }
  }
}

}  // namespace
#endif

void winograd3x3_forward(const Winograd3x3& g, const float* x, const float* w, const float* bias, float* y,
                         bool relu, ScratchArena* scratch) {
#if CSGIS_X86
  ScratchArena local;
  ScratchArena& arena = scratch ? *scratch : local;
  const int64_t kb_count = (g.K + kMR - 1) / kMR;
  const int64_t P2 = 2 * g.dil_w;
  const int64_t Mpad = round_up((g.Q + P2 - 1) / P2 + 1 + 8, 8);  // tiles + the right neighbour + a vector
  std::vector<float> U(size_t(16 * kb_count * kMR * g.C));
  transform_weights(w, g.K, g.C, U.data());
  std::vector<int32_t> off(size_t(g.C));
  for (int64_t c = 0; c < g.C; ++c) off[size_t(c)] = int32_t(c * kChunk);
  const Plan pl{g, kb_count, kb_count * kMR, P2, Mpad, g.C * P2 * Mpad, U.data(), off.data(), bias, relu};
  // Work item: a band of kBandTiles tile rows of one row phase rp (p0 = j*2d + rp). Their input
  // rows are (2j + i)*d + rp - pad_top, i < 4: the band's 2*kBandTiles + 2 of them are split into
  // column phases once, in the thread's scratch, and stay in L2 while the band is done.
  const int64_t tile_rows = (g.P + 2 * g.dil_h - 1) / (2 * g.dil_h);  // per row phase (the last may be past P)
  const int64_t bands = (tile_rows + kBandTiles - 1) / kBandTiles;
  arena.reserve_threads(omp_get_max_threads());
#pragma omp parallel
  {
    const int t = omp_get_thread_num();
    float* V = arena.get<float>(5, t, size_t(16 * g.C * kChunk));
    float* M = arena.get<float>(6, t, size_t(16 * pl.Kpad * kChunk));
    float* XB = arena.get<float>(7, t, size_t((2 * kBandTiles + 2) * pl.row_block));
#pragma omp for collapse(3) schedule(static)
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t rp = 0; rp < g.dil_h; ++rp)
        for (int64_t band = 0; band < bands; ++band) {
          const int64_t j0 = band * kBandTiles, j1 = std::min(tile_rows, j0 + kBandTiles);
          if (j0 * 2 * g.dil_h + rp >= g.P) continue;
          const float* xn = x + n * g.C * g.H * g.W;
          for (int64_t e = 0; e < 2 * (j1 - j0) + 2; ++e) {
            const int64_t h = (2 * j0 + e) * g.dil_h + rp - g.pad_top;
            float* dst = XB + e * pl.row_block;
            if (h >= 0 && h < g.H) split_row(g, xn + h * g.W, P2, Mpad, dst);
            else std::fill(dst, dst + pl.row_block, 0.f);
          }
          for (int64_t j = j0; j < j1 && j * 2 * g.dil_h + rp < g.P; ++j)
            for (int64_t r = 0; r < g.dil_w && r < g.Q; ++r) {
              const int64_t tiles = (g.Q - r + P2 - 1) / P2;  // q0 = m*P2 + r < Q
              for (int64_t m0 = 0; m0 < tiles; m0 += kChunk)
                winograd_chunk(pl, XB + 2 * (j - j0) * pl.row_block, j * 2 * g.dil_h + rp, r, m0,
                               std::min(kChunk, tiles - m0), V, M, y + n * g.K * g.P * g.Q);
            }
        }
  }
#else
  (void)g, (void)x, (void)w, (void)bias, (void)y, (void)relu, (void)scratch;
#endif
}

}  // namespace csgis::cpu
