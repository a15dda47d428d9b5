// The per-pixel steps of L0 gradient minimisation (Xu et al. 2011) and ILS (Liu et al. 2020) between
// their 2-D FFTs: see data/smoothers/l0_smoothing.h and data/smoothers/ils.h for the methods,
// data/smoothers/gpu_fft_smoothers.cpp for the order of the steps.
//
// Strategy: every step is a pointwise map over pixels (or half-spectrum values) reading at most its
// right and lower (or left and upper) circular neighbours, so each is one grid-stride kernel with one
// thread per output value; neighbouring threads read neighbouring values of one plane (coalesced).
// Everything is double precision, as on the CPU: L0's hard threshold on |grad|^2 flips the pixels
// near lambda / beta, and float rounding of S would flip far more of them than double's does. Each
// output is a fixed sequence of operations (no atomics, no reductions across threads): repeated runs
// give identical bits. L0's gradient kernel takes one thread per pixel and loops over the channels,
// because the threshold is on the sum over the channels.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/fft_smoothers.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;

#define CSGIS_GRID_STRIDE(e, total) \
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < (total); e += int64_t(gridDim.x) * blockDim.x)

__global__ void hwc_to_planes_kernel(const float* __restrict__ hwc, double* __restrict__ planes, int64_t n,
                                     int C) {
  CSGIS_GRID_STRIDE(e, n * C) {
    const int64_t c = e / n, pix = e % n;
    planes[e] = double(hwc[pix * C + c]);
  }
}

__global__ void planes_to_hwc_kernel(const double* __restrict__ planes, float* __restrict__ hwc, int64_t n,
                                     int C) {
  CSGIS_GRID_STRIDE(e, n * C) {
    const int64_t pix = e / C, c = e % C;
    hwc[e] = float(planes[c * n + pix]);
  }
}

__global__ void l0_sparse_gradients_kernel(const double* __restrict__ S, double* __restrict__ h,
                                           double* __restrict__ v, int W, int H, int C, double threshold) {
  const int64_t n = int64_t(W) * H;
  CSGIS_GRID_STRIDE(i, n) {
    const int x = int(i % W), y = int(i / W);
    const int64_t ix = i - x + (x + 1) % W, iy = int64_t((y + 1) % H) * W + x;
    double mag = 0;
    for (int c = 0; c < C; ++c) {
      const double* s = S + c * n;
      const double gx = s[ix] - s[i], gy = s[iy] - s[i];
      h[c * n + i] = gx;
      v[c * n + i] = gy;
      mag += gx * gx + gy * gy;
    }
    if (mag < threshold)
      for (int c = 0; c < C; ++c) h[c * n + i] = v[c * n + i] = 0;
  }
}

__global__ void ils_welsch_terms_kernel(const double* __restrict__ u, double* __restrict__ mx,
                                        double* __restrict__ my, int W, int H, int planes, double c,
                                        double inv_two_gamma2) {
  const int64_t n = int64_t(W) * H;
  CSGIS_GRID_STRIDE(e, n * planes) {
    const int64_t i = e % n, base = e - i;
    const int x = int(i % W), y = int(i / W);
    const double here = u[e];
    const double gx = u[base + i - x + (x + 1) % W] - here, gy = u[base + int64_t((y + 1) % H) * W + x] - here;
    mx[e] = c * gx - 2 * gx * exp(-gx * gx * inv_two_gamma2);
    my[e] = c * gy - 2 * gy * exp(-gy * gy * inv_two_gamma2);
  }
}

__global__ void circular_divergence_kernel(const double* __restrict__ h, const double* __restrict__ v,
                                           double* __restrict__ div, int W, int H, int planes) {
  const int64_t n = int64_t(W) * H;
  CSGIS_GRID_STRIDE(e, n * planes) {
    const int64_t i = e % n, base = e - i;
    const int x = int(i % W), y = int(i / W);
    const int64_t left = base + i - x + (x + W - 1) % W, above = base + int64_t((y + H - 1) % H) * W + x;
    div[e] = (h[left] - h[e]) + (v[above] - v[e]);
  }
}

// data and data_out may be the same buffer (each thread reads its value before writing it).
__global__ void spectral_solve_kernel(const double* data, double* __restrict__ spec, double* data_out,
                                      const double* __restrict__ otf2, int64_t ns, int planes, double rhs_weight,
                                      double otf_weight, double out_scale) {
  CSGIS_GRID_STRIDE(e, ns * planes) {
    const double denominator = 1.0 + otf_weight * otf2[e % ns];
    const double re = (data[2 * e] + rhs_weight * spec[2 * e]) / denominator;
    const double im = (data[2 * e + 1] + rhs_weight * spec[2 * e + 1]) / denominator;
    spec[2 * e] = out_scale * re;
    spec[2 * e + 1] = out_scale * im;
    if (data_out) {
      data_out[2 * e] = re;
      data_out[2 * e + 1] = im;
    }
  }
}

#undef CSGIS_GRID_STRIDE
}  // namespace

void hwc_to_planes_f64(const float* hwc, double* planes, int width, int height, int channels,
                       cudaStream_t stream) {
  const int64_t n = int64_t(width) * height;
  if (n == 0) return;
  CSGIS_LAUNCH(hwc_to_planes_kernel, dim3(grid_stride_blocks(n * channels, kThreads)), dim3(kThreads), 0, stream,
               hwc, planes, n, channels);
  CSGIS_CHECK_LAUNCH("hwc_to_planes_kernel");
}

void planes_to_hwc_f32(const double* planes, float* hwc, int width, int height, int channels,
                       cudaStream_t stream) {
  const int64_t n = int64_t(width) * height;
  if (n == 0) return;
  CSGIS_LAUNCH(planes_to_hwc_kernel, dim3(grid_stride_blocks(n * channels, kThreads)), dim3(kThreads), 0, stream,
               planes, hwc, n, channels);
  CSGIS_CHECK_LAUNCH("planes_to_hwc_kernel");
}

void l0_sparse_gradients(const double* S, double* h, double* v, int width, int height, int channels,
                         double threshold, cudaStream_t stream) {
  const int64_t n = int64_t(width) * height;
  if (n == 0) return;
  CSGIS_LAUNCH(l0_sparse_gradients_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, S, h,
               v, width, height, channels, threshold);
  CSGIS_CHECK_LAUNCH("l0_sparse_gradients_kernel");
}

void ils_welsch_terms(const double* u, double* mx, double* my, int width, int height, int planes, double c,
                      double inv_two_gamma2, cudaStream_t stream) {
  const int64_t n = int64_t(width) * height;
  if (n == 0) return;
  CSGIS_LAUNCH(ils_welsch_terms_kernel, dim3(grid_stride_blocks(n * planes, kThreads)), dim3(kThreads), 0, stream,
               u, mx, my, width, height, planes, c, inv_two_gamma2);
  CSGIS_CHECK_LAUNCH("ils_welsch_terms_kernel");
}

void circular_divergence(const double* h, const double* v, double* div, int width, int height, int planes,
                         cudaStream_t stream) {
  const int64_t n = int64_t(width) * height;
  if (n == 0) return;
  CSGIS_LAUNCH(circular_divergence_kernel, dim3(grid_stride_blocks(n * planes, kThreads)), dim3(kThreads), 0,
               stream, h, v, div, width, height, planes);
  CSGIS_CHECK_LAUNCH("circular_divergence_kernel");
}

void spectral_solve(const double* data, double* spec, double* data_out, const double* otf2,
                    int64_t spectrum_size, int planes, double rhs_weight, double otf_weight, double out_scale,
                    cudaStream_t stream) {
  if (spectrum_size == 0) return;
  CSGIS_LAUNCH(spectral_solve_kernel, dim3(grid_stride_blocks(spectrum_size * planes, kThreads)), dim3(kThreads),
               0, stream, data, spec, data_out, otf2, spectrum_size, planes, rhs_weight, otf_weight, out_scale);
  CSGIS_CHECK_LAUNCH("spectral_solve_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
