// Fused SSIM kernels. One templated tile kernel serves three stages:
//   Forward: filter (x, y, x^2, y^2, xy) and write the SSIM map;
//   Coeff:   filter the same five channels and write g * d(map)/d(moment), four coefficient planes;
//   Grad:    filter the four coefficient planes and combine them into dx, dy.
// A 256-thread block owns a 32 x 16 tile of positions of one plane: it stages the tile plus a
// 5-pixel halo (zero outside the image / map region) in shared memory, runs the 11-tap Gaussian
// along rows into a second shared buffer (tile rows + halo rows), then along columns, so each
// input value is read from global memory once per tile instead of 121 times. Forward and backward
// sum the taps in the same order as kernels/cpu/ssim.cpp (rows, then columns, k ascending).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/ssim.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kTileW = 32, kTileH = 16;     // positions per block
constexpr int kThreadsX = 32, kThreadsY = 8;  // each thread covers two rows of the tile
constexpr int R = kSsimRadius;
constexpr int kSrcW = kTileW + 2 * R, kSrcH = kTileH + 2 * R;
constexpr int kMaxCh = 5;

enum Stage { kForward = 0, kCoeff = 1, kGrad = 2 };

struct SsimArgs {
  int64_t planes, H, W, oy0, ox0, OH, OW;
  float c1, c2;
  float w[kSsimTaps];
  const float* x;
  const float* y;
  const float* gmap;  // Coeff: dL/dmap
  float* map;         // Forward: output
  float* coef;        // Coeff: written, Grad: read ([planes, 4, OH, OW])
  float* dx;          // Grad
  float* dy;          // Grad, may be null
};

// Forward/Coeff: s = G*(x, y, x^2, y^2, xy) per position, then map = ssim(s) or coef = g * dssim/ds.
// Grad: f = G*coef per position, dx = f0 + 2 x f2 + y f3, dy = f1 + 2 y f2 + x f3.
template <int kStage>
__global__ void ssim_tile_kernel(SsimArgs a) {
  constexpr int NC = kStage == kGrad ? 4 : 5;
  CSGIS_STATIC_SHARED(float, src, [kMaxCh][kSrcH][kSrcW]);
  CSGIS_STATIC_SHARED(float, hor, [kMaxCh][kSrcH][kTileW]);
  // Positions this stage produces: the map region, or (Grad) the whole image.
  const int64_t ry0 = kStage == kGrad ? 0 : a.oy0, rx0 = kStage == kGrad ? 0 : a.ox0;
  const int64_t RH = kStage == kGrad ? a.H : a.OH, RW = kStage == kGrad ? a.W : a.OW;
  const int64_t ty0 = int64_t(blockIdx.y) * kTileH, tx0 = int64_t(blockIdx.x) * kTileW;
  const int tid = threadIdx.y * kThreadsX + threadIdx.x;
  const int64_t hw = a.H * a.W, ohw = a.OH * a.OW;

  for (int64_t p = blockIdx.z; p < a.planes; p += gridDim.z) {
    // 1. Stage the tile and its halo; image row/col of src[.][r][c] is (ry0 + ty0 + r - R, ...).
    for (int e = tid; e < kSrcH * kSrcW; e += kThreadsX * kThreadsY) {
      const int r = e / kSrcW, c = e % kSrcW;
      const int64_t iy = ry0 + ty0 + r - R, ix = rx0 + tx0 + c - R;
      float v[kMaxCh] = {0.f, 0.f, 0.f, 0.f, 0.f};
      if (kStage != kGrad) {
        if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W) {
          const float xv = a.x[p * hw + iy * a.W + ix], yv = a.y[p * hw + iy * a.W + ix];
          v[0] = xv, v[1] = yv, v[2] = xv * xv, v[3] = yv * yv, v[4] = xv * yv;
        }
      } else {
        const int64_t my = iy - a.oy0, mx = ix - a.ox0;  // coefficients are zero outside the map
        if (my >= 0 && my < a.OH && mx >= 0 && mx < a.OW)
          for (int ch = 0; ch < 4; ++ch) v[ch] = a.coef[(p * 4 + ch) * ohw + my * a.OW + mx];
      }
      for (int ch = 0; ch < NC; ++ch) src[ch][r][c] = v[ch];
    }
    __syncthreads();
    // 2. Rows: hor[ch][r][c] = sum_k w[k] src[ch][r][c + k].
    for (int e = tid; e < kSrcH * kTileW; e += kThreadsX * kThreadsY) {
      const int r = e / kTileW, c = e % kTileW;
      for (int ch = 0; ch < NC; ++ch) {
        float acc = 0.f;
        for (int k = 0; k < kSsimTaps; ++k) acc += a.w[k] * src[ch][r][c + k];
        hor[ch][r][c] = acc;
      }
    }
    __syncthreads();
    // 3. Columns and the per-position epilogue.
    for (int rr = threadIdx.y; rr < kTileH; rr += kThreadsY) {
      const int c = threadIdx.x;
      const int64_t ly = ty0 + rr, lx = tx0 + c;  // position inside the produced region
      if (ly >= RH || lx >= RW) continue;
      float s[kMaxCh];
      for (int ch = 0; ch < NC; ++ch) {
        float acc = 0.f;
        for (int k = 0; k < kSsimTaps; ++k) acc += a.w[k] * hor[ch][rr + k][c];
        s[ch] = acc;
      }
      if (kStage == kForward) {
        a.map[p * ohw + ly * a.OW + lx] =
            ssim_point<float>(s[0], s[1], s[2], s[3], s[4], a.c1, a.c2, nullptr, nullptr, nullptr, nullptr);
      } else if (kStage == kCoeff) {
        float d[4];
        ssim_point<float>(s[0], s[1], s[2], s[3], s[4], a.c1, a.c2, &d[0], &d[1], &d[2], &d[3]);
        const float gv = a.gmap[p * ohw + ly * a.OW + lx];
        for (int ch = 0; ch < 4; ++ch) a.coef[(p * 4 + ch) * ohw + ly * a.OW + lx] = gv * d[ch];
      } else {
        const int64_t k = p * hw + ly * a.W + lx;
        const float xv = a.x[k], yv = a.y[k];
        a.dx[k] = s[0] + 2.f * xv * s[2] + yv * s[3];
        if (a.dy) a.dy[k] = s[1] + 2.f * yv * s[2] + xv * s[3];
      }
    }
    __syncthreads();  // the next plane overwrites src and hor
  }
}

SsimArgs make_args(const SsimGeom& g) {
  SsimArgs a{};
  a.planes = g.planes, a.H = g.H, a.W = g.W, a.oy0 = g.oy0, a.ox0 = g.ox0, a.OH = g.OH, a.OW = g.OW;
  a.c1 = float(g.c1), a.c2 = float(g.c2);
  double w[kSsimTaps];
  ssim_gaussian_window(w);
  for (int k = 0; k < kSsimTaps; ++k) a.w[k] = float(w[k]);
  return a;
}

dim3 grid_for(int64_t rows, int64_t cols, int64_t planes) {
  return dim3(unsigned((cols + kTileW - 1) / kTileW), unsigned((rows + kTileH - 1) / kTileH),
              unsigned(planes < 65535 ? planes : 65535));  // the plane loop covers the rest
}
}  // namespace

void ssim_forward(const SsimGeom& g, const float* x, const float* y, float* map, cudaStream_t stream) {
  if (g.planes * g.OH * g.OW == 0) return;
  SsimArgs a = make_args(g);
  a.x = x, a.y = y, a.map = map;
  auto k = ssim_tile_kernel<kForward>;
  CSGIS_LAUNCH(k, grid_for(g.OH, g.OW, g.planes), dim3(kThreadsX, kThreadsY), 0, stream, a);
  CSGIS_CHECK_LAUNCH("ssim_tile_kernel<forward>");
}

void ssim_backward(const SsimGeom& g, const float* x, const float* y, const float* gmap, float* coef, float* dx,
                   float* dy, cudaStream_t stream) {
  if (g.planes * g.H * g.W == 0) return;
  SsimArgs a = make_args(g);
  a.x = x, a.y = y, a.gmap = gmap, a.coef = coef, a.dx = dx, a.dy = dy;
  if (g.OH * g.OW > 0) {
    auto kc = ssim_tile_kernel<kCoeff>;
    CSGIS_LAUNCH(kc, grid_for(g.OH, g.OW, g.planes), dim3(kThreadsX, kThreadsY), 0, stream, a);
    CSGIS_CHECK_LAUNCH("ssim_tile_kernel<coeff>");
  }
  auto kg = ssim_tile_kernel<kGrad>;
  CSGIS_LAUNCH(kg, grid_for(g.H, g.W, g.planes), dim3(kThreadsX, kThreadsY), 0, stream, a);
  CSGIS_CHECK_LAUNCH("ssim_tile_kernel<grad>");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
