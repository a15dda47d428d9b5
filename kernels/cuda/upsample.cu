// Bilinear resize. Forward: one thread per output pixel. Backward: rather than scattering with
// atomicAdd (order-dependent float sums), each thread owns one input pixel and gathers the output
// gradients that read it. The source map is monotonic, so those outputs lie in a short index range
// per axis, found by inverting the map (widened by one on each side against rounding); every
// candidate's taps are then recomputed exactly as the forward pass does, so the gather applies the
// same weights as the CPU scatter.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/upsample.h"

#include "kernels/common/upsample.h"  // bilinear_scale / bilinear_taps

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;


// Superset [lo, hi] of the outputs whose taps include input index i: those with src in [i-1, i+1).
__device__ __forceinline__ void candidates(float scale, int64_t i, int64_t out, bool align_corners, int64_t& lo,
                                           int64_t& hi) {
  if (scale <= 0.f) {  // align_corners with one output: everything reads index 0
    lo = 0;
    hi = out - 1;
    return;
  }
  // Invert src(o): align_corners o = src / scale, else o = (src + 0.5) / scale - 0.5.
  const float a = align_corners ? float(i - 1) / scale : (float(i) - 0.5f) / scale - 0.5f;
  const float b = align_corners ? float(i + 1) / scale : (float(i) + 1.5f) / scale - 0.5f;
  lo = int64_t(floorf(a)) - 1;
  hi = int64_t(ceilf(b)) + 1;
  if (lo < 0) lo = 0;
  if (hi > out - 1) hi = out - 1;
}

// Weight with which output index o reads input index i along one axis (false: it does not).
__device__ __forceinline__ bool tap_weight(float scale, int64_t o, int64_t i, int64_t in, bool align_corners,
                                           float& w) {
  int64_t i0, i1;
  float l0, l1;
  bilinear_taps<float>(scale, o, in, align_corners, i0, i1, l0, l1);
  w = (i0 == i ? l0 : 0.f) + (i1 == i ? l1 : 0.f);
  return i0 == i || i1 == i;
}

// y[p,oh,ow] = lh0*(lw0*x[h0,w0] + lw1*x[h0,w1]) + lh1*(lw0*x[h1,w0] + lw1*x[h1,w1])
__global__ void upsample_bilinear2d_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t H,
                                                   int64_t W, int64_t OH, int64_t OW, float scale_h, float scale_w,
                                                   bool align_corners, int64_t n) {
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = o % OW, oh = (o / OW) % OH, p = o / (OW * OH);
    int64_t h0, h1, w0, w1;
    float lh0, lh1, lw0, lw1;
    bilinear_taps<float>(scale_h, oh, H, align_corners, h0, h1, lh0, lh1);
    bilinear_taps<float>(scale_w, ow, W, align_corners, w0, w1, lw0, lw1);
    const float* xp = x + p * H * W;
    y[o] = lh0 * (lw0 * xp[h0 * W + w0] + lw1 * xp[h0 * W + w1]) +
           lh1 * (lw0 * xp[h1 * W + w0] + lw1 * xp[h1 * W + w1]);
  }
}

// dx[p,h,w] = sum_{oh,ow} weight_h(oh -> h) * weight_w(ow -> w) * dy[p,oh,ow]
__global__ void upsample_bilinear2d_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, int64_t H,
                                                    int64_t W, int64_t OH, int64_t OW, float scale_h, float scale_w,
                                                    bool align_corners, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t w = i % W, h = (i / W) % H, p = i / (W * H);
    int64_t oh0, oh1, ow0, ow1;
    candidates(scale_h, h, OH, align_corners, oh0, oh1);
    candidates(scale_w, w, OW, align_corners, ow0, ow1);
    const float* dyp = dy + p * OH * OW;
    float s = 0.f;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      float wh;
      if (!tap_weight(scale_h, oh, h, H, align_corners, wh)) continue;
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        float ww;
        if (tap_weight(scale_w, ow, w, W, align_corners, ww)) s += wh * ww * dyp[oh * OW + ow];
      }
    }
    dx[i] = s;
  }
}
}  // namespace

void upsample_bilinear2d_forward(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH,
                                 int64_t OW, bool align_corners, cudaStream_t stream) {
  const int64_t n = planes * OH * OW;
  if (n == 0) return;
  const float sh = bilinear_scale<float>(H, OH, align_corners), sw = bilinear_scale<float>(W, OW, align_corners);
  CSGIS_LAUNCH(upsample_bilinear2d_forward_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, x, y, H, W, OH,
               OW, sh, sw, align_corners, n);
  CSGIS_CHECK_LAUNCH("upsample_bilinear2d_forward_kernel");
}

void upsample_bilinear2d_backward(const float* dy, float* dx, int64_t planes, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW, bool align_corners, cudaStream_t stream) {
  const int64_t n = planes * H * W;
  if (n == 0) return;
  const float sh = bilinear_scale<float>(H, OH, align_corners), sw = bilinear_scale<float>(W, OW, align_corners);
  CSGIS_LAUNCH(upsample_bilinear2d_backward_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, dy, dx, H, W,
               OH, OW, sh, sw, align_corners, n);
  CSGIS_CHECK_LAUNCH("upsample_bilinear2d_backward_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
