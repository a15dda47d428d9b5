// Fused optimizer updates (float32): one grid-stride pass per parameter tensor, every element
// independent. Hyper-parameters arrive folded on the host (bias corrections per step).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/optim.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;

// g = grad + wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= step_size m / (sqrt(v)/bc2 + eps)
__global__ void adam_step_kernel(float* __restrict__ param, const float* __restrict__ grad,
                                 float* __restrict__ exp_avg, float* __restrict__ exp_avg_sq, int64_t n,
                                 float b1, float b2, float eps, float wd, float step_size, float bc2) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float g = wd != 0.f ? grad[i] + wd * param[i] : grad[i];
    const float m = b1 * exp_avg[i] + (1.f - b1) * g;
    const float v = b2 * exp_avg_sq[i] + (1.f - b2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] -= step_size * m / (sqrtf(v) / bc2 + eps);
  }
}

// d = grad + wd p; buf = first ? d : mu buf + (1-damp) d; d = nesterov ? d + mu buf : buf; p -= lr d
__global__ void sgd_step_kernel(float* __restrict__ param, const float* __restrict__ grad,
                                float* __restrict__ momentum_buf, int64_t n, float lr, float mu, float damp,
                                float wd, bool nesterov, bool first_step) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float d = wd != 0.f ? grad[i] + wd * param[i] : grad[i];
    if (mu != 0.f) {
      const float buf = first_step ? d : mu * momentum_buf[i] + (1.f - damp) * d;
      momentum_buf[i] = buf;
      d = nesterov ? d + mu * buf : buf;
    }
    param[i] -= lr * d;
  }
}

}  // namespace

void adam_step(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n, double beta1,
               double beta2, double eps, double weight_decay, double step_size, double bias_correction2_sqrt,
               cudaStream_t stream) {
  if (n == 0) return;
  CSGIS_LAUNCH(adam_step_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, param, grad, exp_avg, exp_avg_sq,
               n, float(beta1), float(beta2), float(eps), float(weight_decay), float(step_size),
               float(bias_correction2_sqrt));
  CSGIS_CHECK_LAUNCH("adam_step_kernel");
}

void sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first_step, cudaStream_t stream) {
  if (n == 0) return;
  CSGIS_LAUNCH(sgd_step_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, param, grad, momentum_buf, n,
               float(lr), float(momentum), float(dampening), float(weight_decay), nesterov, first_step);
  CSGIS_CHECK_LAUNCH("sgd_step_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
