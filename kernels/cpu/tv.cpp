// Host masked TV: one (n, c, row) line per OpenMP iteration; the wrap-around neighbours are
// explicit index computations so the border needs no special loop.
#include "kernels/cpu/tv.h"

namespace csgis::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 14;
}  // namespace

template <typename T>
void masked_tv_forward(const TvGeom& g, const T* x, const T* mask, T* out) {
  const int64_t H = g.H, W = g.W, rows = g.N * g.C * H;
  double total = 0;  // long sums: accumulate in double for both precisions
#pragma omp parallel for reduction(+ : total) if (rows * W > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = r % H, nc = r / H, n = nc / g.C, c = nc % g.C;
    const T* xp = x + nc * H * W;
    const T* mp = mask ? mask + n * g.mask_sn + c * g.mask_sc + i * W : nullptr;
    const T* row = xp + i * W;
    const T* below = xp + ((i + 1) % H) * W;
    double s = 0;
    for (int64_t j = 0; j < W; ++j) {
      const double dh = double(below[j]) - double(row[j]);
      const double dw = double(row[(j + 1) % W]) - double(row[j]);
      const double m = mp ? double(mp[j]) : 1.0;
      s += m * (g.wh * dh * dh + g.ww * dw * dw);
    }
    total += s;
  }
  out[0] = T(total);
}

template <typename T>
void masked_tv_backward(const TvGeom& g, const T* x, const T* mask, const T* gout, T* dx) {
  const int64_t H = g.H, W = g.W, rows = g.N * g.C * H;
  const T two_g = T(2) * gout[0], wh = T(g.wh), ww = T(g.ww);
#pragma omp parallel for if (rows * W > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = r % H, nc = r / H, n = nc / g.C, c = nc % g.C;
    const T* xp = x + nc * H * W;
    const T* mp = mask ? mask + n * g.mask_sn + c * g.mask_sc : nullptr;
    const int64_t up = (i + H - 1) % H, down = (i + 1) % H;
    for (int64_t j = 0; j < W; ++j) {
      const int64_t left = (j + W - 1) % W, right = (j + 1) % W;
      const T v = xp[i * W + j];
      const T m = mp ? mp[i * W + j] : T(1);
      const T mu = mp ? mp[up * W + j] : T(1), ml = mp ? mp[i * W + left] : T(1);
      const T dh = xp[down * W + j] - v, dh_up = v - xp[up * W + j];
      const T dw = xp[i * W + right] - v, dw_left = v - xp[i * W + left];
      dx[nc * H * W + i * W + j] = two_g * (wh * (mu * dh_up - m * dh) + ww * (ml * dw_left - m * dw));
    }
  }
}

template void masked_tv_forward<float>(const TvGeom&, const float*, const float*, float*);
template void masked_tv_forward<double>(const TvGeom&, const double*, const double*, double*);
template void masked_tv_backward<float>(const TvGeom&, const float*, const float*, const float*, float*);
template void masked_tv_backward<double>(const TvGeom&, const double*, const double*, const double*, double*);

}  // namespace csgis::cpu
