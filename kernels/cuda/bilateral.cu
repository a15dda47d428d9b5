// Bilateral-type filters on the GPU, brute force over the window, one thread per output pixel:
//   out(p) = sum_q w(p,q) src(q) / sum_q w(p,q).
// * joint_bilateral_kernel (rolling guidance, Zhang et al. ECCV 2014; the CPU reference is
//   data/smoothers/rolling_guidance.cpp): w = exp(-|p-q|^2 / (2 sigma_s^2) - |g(p) - g(q)|^2 / (2 sigma_r^2))
//   with the Euclidean distance of the guide g; one expf per tap; window cut at the border.
// * bilateral_kernel (data::bilateral_filter, OpenCV-style): w = exp(-|p-q|^2 / (2 sigma_space^2)) *
//   exp(-d^2 / (2 sigma_color^2)), d = sum_c |I_c(p) - I_c(q)| rounded to a multiple of 1/1024 exactly
//   as the CPU's weight table rounds it (dist * 1024 is exact in float, so the bin is the CPU's bin),
//   and both exponentials are the CPU's float expressions: the filters differ only by expf's ulps and
//   the order-preserving float sums. The border is a launch argument (cut window or reflect-101).
// Strategy: 16 x 16 threads per tile of outputs; the window's reads of neighbouring threads are
// neighbouring pixels, which L1 serves after the first warp touches them (no shared-memory staging:
// the window radius is a run-time value that can exceed any fixed halo). Sums run in float in the
// CPU's order (rows of the window, then columns). No atomics, no cross-thread reductions: repeated
// runs give identical bits.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/bilateral.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kTile = 16;
constexpr int kRangeSteps = 1024;  // data::bilateral_filter's weight-table resolution

// out(p) = sum_q exp(-|p-q|^2 a_s - |g(p)-g(q)|^2 a_r) src(q) / sum of the weights; G == 0: g constant
template <int C, int G>
__global__ void joint_bilateral_kernel(const float* __restrict__ src, const float* __restrict__ guide,
                                       float* __restrict__ out, int W, int H, int R, float inv_2s2, float inv_2r2) {
  const int x = int(blockIdx.x) * kTile + int(threadIdx.x), y = int(blockIdx.y) * kTile + int(threadIdx.y);
  if (x >= W || y >= H) return;
  float gp[G > 0 ? G : 1];
  for (int c = 0; c < G; ++c) gp[c] = guide[(int64_t(y) * W + x) * G + c];
  float acc[C] = {}, norm = 0.f;
  const int x0 = max(0, x - R), x1 = min(W - 1, x + R);
  for (int qy = max(0, y - R); qy <= min(H - 1, y + R); ++qy) {
    const float dy2 = float((qy - y) * (qy - y));
    for (int qx = x0; qx <= x1; ++qx) {
      const int64_t q = int64_t(qy) * W + qx;
      float d2 = 0.f;
      for (int c = 0; c < G; ++c) {
        const float d = gp[c] - guide[q * G + c];
        d2 += d * d;
      }
      const float w = expf(-(dy2 + float((qx - x) * (qx - x))) * inv_2s2 - d2 * inv_2r2);
      for (int c = 0; c < C; ++c) acc[c] += w * src[q * C + c];
      norm += w;
    }
  }
  for (int c = 0; c < C; ++c) out[(int64_t(y) * W + x) * C + c] = acc[c] / norm;
}

// out(p) = sum_q ws(q-p) wr(round(|I(p)-I(q)|_1 * 1024) / 1024) I(q) / sum of the weights
template <int C>
__global__ void bilateral_kernel(const float* __restrict__ img, float* __restrict__ out, int W, int H, int rx,
                                 int ry, float sigma_color, float sigma_space, int border) {
  const int x = int(blockIdx.x) * kTile + int(threadIdx.x), y = int(blockIdx.y) * kTile + int(threadIdx.y);
  if (x >= W || y >= H) return;
  const bool clip = border == int(WindowBorder::Clip);
  const int max_bin = C * kRangeSteps + 1;  // the last entry of the CPU's table
  const float two_ss2 = 2 * sigma_space * sigma_space, two_sc2 = 2 * sigma_color * sigma_color;
  float p[C];
  for (int c = 0; c < C; ++c) p[c] = img[(int64_t(y) * W + x) * C + c];
  float acc[C] = {}, wsum = 0.f;
  const int dy0 = clip ? max(-ry, -y) : -ry, dy1 = clip ? min(ry, H - 1 - y) : ry;
  const int dx0 = clip ? max(-rx, -x) : -rx, dx1 = clip ? min(rx, W - 1 - x) : rx;
  for (int dy = dy0; dy <= dy1; ++dy) {
    const int qy = clip ? y + dy : reflect101_index(y + dy, H);
    for (int dx = dx0; dx <= dx1; ++dx) {
      const int qx = clip ? x + dx : reflect101_index(x + dx, W);
      const float* q = img + (int64_t(qy) * W + qx) * C;
      float dist = 0.f;
      for (int c = 0; c < C; ++c) dist += fabsf(q[c] - p[c]);
      const float d = float(min(int(dist * kRangeSteps + 0.5f), max_bin)) / kRangeSteps;
      const float w = expf(-float(dx * dx + dy * dy) / two_ss2) * expf(-d * d / two_sc2);
      for (int c = 0; c < C; ++c) acc[c] += w * q[c];
      wsum += w;
    }
  }
  for (int c = 0; c < C; ++c) out[(int64_t(y) * W + x) * C + c] = acc[c] / wsum;
}
}  // namespace

void joint_bilateral_filter(const float* src, const float* guide, float* out, int width, int height, int channels,
                            int guide_channels, int radius, float sigma_s, float sigma_r, cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  const dim3 grid(unsigned((width + kTile - 1) / kTile), unsigned((height + kTile - 1) / kTile)), block(kTile, kTile);
  const float inv_2s2 = 1.f / (2.f * sigma_s * sigma_s), inv_2r2 = 1.f / (2.f * sigma_r * sigma_r);
  const int G = guide ? guide_channels : 0;
  auto k = joint_bilateral_kernel<3, 3>;
  if (channels == 1) k = G == 0 ? joint_bilateral_kernel<1, 0> : G == 1 ? joint_bilateral_kernel<1, 1> : joint_bilateral_kernel<1, 3>;
  else k = G == 0 ? joint_bilateral_kernel<3, 0> : G == 1 ? joint_bilateral_kernel<3, 1> : joint_bilateral_kernel<3, 3>;
  CSGIS_LAUNCH(k, grid, block, 0, stream, src, guide, out, width, height, radius, inv_2s2, inv_2r2);
  CSGIS_CHECK_LAUNCH("joint_bilateral_kernel");
}

void bilateral_filter(const float* img, float* out, int width, int height, int channels, int radius_x,
                      int radius_y, float sigma_color, float sigma_space, WindowBorder border, cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  const dim3 grid(unsigned((width + kTile - 1) / kTile), unsigned((height + kTile - 1) / kTile)), block(kTile, kTile);
  auto k = channels == 1 ? bilateral_kernel<1> : bilateral_kernel<3>;
  CSGIS_LAUNCH(k, grid, block, 0, stream, img, out, width, height, radius_x, radius_y, sigma_color, sigma_space,
               int(border));
  CSGIS_CHECK_LAUNCH("bilateral_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
