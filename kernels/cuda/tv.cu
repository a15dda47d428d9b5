// Masked wrap-around TV kernels. The forward pass is a deterministic two-step reduction: a
// grid-stride kernel leaves one partial sum per block (warp shuffles, then one shared slot per
// warp), and a single block adds the partials in a fixed order, so repeated runs give identical
// bits (no float atomics). The backward pass is a gather, one thread per element.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/tv.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;

// Sum of v over the block; the result is valid in thread 0.
__device__ inline float block_sum(float v) {
  CSGIS_STATIC_SHARED(float, warp_sums, [kThreads / 32]);
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < kThreads / 32 ? warp_sums[threadIdx.x] : 0.f;
  if (warp == 0)
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// partial[b] = sum over block b's elements of m (wh (x[i+1,j] - x[i,j])^2 + ww (x[i,j+1] - x[i,j])^2), mod H / W
__global__ void masked_tv_partial_kernel(TvGeom g, const float* __restrict__ x, const float* __restrict__ mask,
                                         float* __restrict__ partial) {
  const int64_t H = g.H, W = g.W, n = g.N * g.C * H * W;
  const float wh = float(g.wh), ww = float(g.ww);
  float s = 0.f;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < n; e += int64_t(gridDim.x) * kThreads) {
    const int64_t j = e % W, i = (e / W) % H, nc = e / (H * W);
    const float* xp = x + nc * H * W;
    const float v = xp[i * W + j];
    const float dh = xp[((i + 1) % H) * W + j] - v, dw = xp[i * W + (j + 1) % W] - v;
    const float m = mask ? mask[(nc / g.C) * g.mask_sn + (nc % g.C) * g.mask_sc + i * W + j] : 1.f;
    s += m * (wh * dh * dh + ww * dw * dw);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// out = sum_b partial[b] (one block, fixed order)
__global__ void sum_partials_kernel(const float* __restrict__ partial, int64_t count, float* __restrict__ out) {
  float s = 0.f;
  for (int64_t b = threadIdx.x; b < count; b += kThreads) s += partial[b];
  s = block_sum(s);
  if (threadIdx.x == 0) out[0] = s;
}

// dx[i,j] = 2 g (wh (m[i-1,j] dh[i-1,j] - m[i,j] dh[i,j]) + ww (m[i,j-1] dw[i,j-1] - m[i,j] dw[i,j]))
__global__ void masked_tv_backward_kernel(TvGeom g, const float* __restrict__ x, const float* __restrict__ mask,
                                          const float* __restrict__ gout, float* __restrict__ dx) {
  const int64_t H = g.H, W = g.W, n = g.N * g.C * H * W;
  const float two_g = 2.f * gout[0], wh = float(g.wh), ww = float(g.ww);
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = e % W, i = (e / W) % H, nc = e / (H * W);
    const int64_t up = (i + H - 1) % H, down = (i + 1) % H, left = (j + W - 1) % W, right = (j + 1) % W;
    const float* xp = x + nc * H * W;
    const float* mp = mask ? mask + (nc / g.C) * g.mask_sn + (nc % g.C) * g.mask_sc : nullptr;
    const float v = xp[i * W + j];
    const float m = mp ? mp[i * W + j] : 1.f;
    const float mu = mp ? mp[up * W + j] : 1.f, ml = mp ? mp[i * W + left] : 1.f;
    const float dh = xp[down * W + j] - v, dh_up = v - xp[up * W + j];
    const float dw = xp[i * W + right] - v, dw_left = v - xp[i * W + left];
    dx[e] = two_g * (wh * (mu * dh_up - m * dh) + ww * (ml * dw_left - m * dw));
  }
}
}  // namespace

void masked_tv_forward(const TvGeom& g, const float* x, const float* mask, float* partials, float* out,
                       cudaStream_t stream) {
  const int64_t blocks = masked_tv_partials(g);
  CSGIS_LAUNCH(masked_tv_partial_kernel, dim3(unsigned(blocks)), dim3(kThreads), 0, stream, g, x, mask, partials);
  CSGIS_CHECK_LAUNCH("masked_tv_partial_kernel");
  CSGIS_LAUNCH(sum_partials_kernel, dim3(1), dim3(kThreads), 0, stream, partials, blocks, out);
  CSGIS_CHECK_LAUNCH("sum_partials_kernel");
}

void masked_tv_backward(const TvGeom& g, const float* x, const float* mask, const float* gout, float* dx,
                        cudaStream_t stream) {
  const int64_t n = g.N * g.C * g.H * g.W;
  if (n == 0) return;
  const int64_t b = (n + kThreads - 1) / kThreads;
  CSGIS_LAUNCH(masked_tv_backward_kernel, dim3(unsigned(b < 65535 * 16 ? b : 65535 * 16)), dim3(kThreads), 0,
               stream, g, x, mask, gout, dx);
  CSGIS_CHECK_LAUNCH("masked_tv_backward_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
