// Depthwise convolution kernels. Forward: one thread per output element (a R x S stencil over one
// input plane). Backward input: one thread per input element gathering the outputs that read it
// (deterministic, no atomics). Backward weight: one block per (k, r, s) summing dy * x over
// (n, p, q) with a fixed-order block reduction.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/depthwise_conv2d.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;

// y[n,k,p,q] = bias[k] + sum_{r,s} w[k,r,s] x[n,k/m,p*sh-ph+r*dh,q*sw-pw+s*dw]
__global__ void depthwise_forward_kernel(Conv2dShape s, const float* __restrict__ x, const float* __restrict__ w,
                                         const float* __restrict__ bias, float* __restrict__ y) {
  const int64_t n_out = s.N * s.K * s.P * s.Q, m = s.K / s.C;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < n_out; o += int64_t(gridDim.x) * blockDim.x) {
    const int64_t q = o % s.Q, p = (o / s.Q) % s.P, k = (o / (s.P * s.Q)) % s.K, n = o / (s.K * s.P * s.Q);
    const float* xp = x + (n * s.C + k / m) * s.H * s.W;
    const float* wk = w + k * s.R * s.S;
    float acc = bias ? bias[k] : 0.f;
    for (int64_t r = 0; r < s.R; ++r) {
      const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h;
      if (h < 0 || h >= s.H) continue;
      for (int64_t c = 0; c < s.S; ++c) {
        const int64_t wi = q * s.stride_w - s.pad_w + c * s.dil_w;
        if (wi >= 0 && wi < s.W) acc += wk[r * s.S + c] * xp[h * s.W + wi];
      }
    }
    y[o] = acc;
  }
}

// dx[n,c,h,w] = sum_{k of c, r, s: (h + ph - r dh) = p sh, (w + pw - s dw) = q sw} w[k,r,s] dy[n,k,p,q]
__global__ void depthwise_backward_input_kernel(Conv2dShape s, const float* __restrict__ dy,
                                                const float* __restrict__ w, float* __restrict__ dx) {
  const int64_t n_in = s.N * s.C * s.H * s.W, m = s.K / s.C;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n_in; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t wi = i % s.W, h = (i / s.W) % s.H, c = (i / (s.H * s.W)) % s.C, n = i / (s.C * s.H * s.W);
    float acc = 0.f;
    for (int64_t j = 0; j < m; ++j) {
      const int64_t k = c * m + j;
      const float* dyp = dy + (n * s.K + k) * s.P * s.Q;
      const float* wk = w + k * s.R * s.S;
      for (int64_t r = 0; r < s.R; ++r) {
        const int64_t ph = h + s.pad_h - r * s.dil_h;
        if (ph < 0 || ph % s.stride_h != 0 || ph / s.stride_h >= s.P) continue;
        for (int64_t cc = 0; cc < s.S; ++cc) {
          const int64_t qw = wi + s.pad_w - cc * s.dil_w;
          if (qw < 0 || qw % s.stride_w != 0 || qw / s.stride_w >= s.Q) continue;
          acc += wk[r * s.S + cc] * dyp[(ph / s.stride_h) * s.Q + qw / s.stride_w];
        }
      }
    }
    dx[i] = acc;
  }
}

// dw[k,r,s] = sum_{n,p,q} dy[n,k,p,q] x[n,k/m,p*sh-ph+r*dh,q*sw-pw+s*dw]; block b = k * R * S + r * S + s
__global__ void depthwise_backward_weight_kernel(Conv2dShape s, const float* __restrict__ x,
                                                 const float* __restrict__ dy, float* __restrict__ dw) {
  CSGIS_STATIC_SHARED(float, partial, [kThreads]);
  const int64_t taps = s.R * s.S, b = blockIdx.x;
  const int64_t k = b / taps, r = (b % taps) / s.S, c = b % s.S, m = s.K / s.C;
  const int64_t count = s.N * s.P * s.Q;
  float acc = 0.f;
  for (int64_t e = threadIdx.x; e < count; e += kThreads) {
    const int64_t q = e % s.Q, p = (e / s.Q) % s.P, n = e / (s.P * s.Q);
    const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h, wi = q * s.stride_w - s.pad_w + c * s.dil_w;
    if (h >= 0 && h < s.H && wi >= 0 && wi < s.W)
      acc += dy[((n * s.K + k) * s.P + p) * s.Q + q] * x[((n * s.C + k / m) * s.H + h) * s.W + wi];
  }
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) dw[b] = partial[0];
}

}  // namespace

void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                              cudaStream_t stream) {
  const int64_t n = s.N * s.K * s.P * s.Q;
  if (n == 0) return;
  CSGIS_LAUNCH(depthwise_forward_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, s, x, w,
               bias, y);
  CSGIS_CHECK_LAUNCH(depthwise_forward_kernel);
}

void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx,
                                     cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.H * s.W;
  if (n == 0) return;
  CSGIS_LAUNCH(depthwise_backward_input_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, s,
               dy, w, dx);
  CSGIS_CHECK_LAUNCH(depthwise_backward_input_kernel);
}

void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                      cudaStream_t stream) {
  const int64_t blocks = s.K * s.R * s.S;
  if (blocks == 0) return;
  CSGIS_LAUNCH(depthwise_backward_weight_kernel, dim3(unsigned(blocks)), dim3(kThreads), 0, stream, s, x, dy, dw);
  CSGIS_CHECK_LAUNCH(depthwise_backward_weight_kernel);
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
