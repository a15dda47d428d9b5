// Fused optimizer updates (float32): see kernels/cpu/optim.h for the exact formulas. No include
// guard: see kernels/gpu.h.
#include <cstdint>
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void adam_step(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n, double beta1,
               double beta2, double eps, double weight_decay, double step_size, double bias_correction2_sqrt,
               cudaStream_t stream);
void sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first_step, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
