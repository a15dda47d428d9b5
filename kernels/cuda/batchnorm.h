// Batch normalisation launchers (float32): see kernels/cpu/batchnorm.h for the exact semantics of
// each one. x is [N, C, S] contiguous, C <= 65,535. `workspace` holds
// batchnorm_workspace_floats(N, C, S) floats (kernels/common/batchnorm_partials.h) of device memory
// the reductions use between their two launches. No include guard: see kernels/gpu.h.
#include <cstdint>
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void batchnorm_stats(const float* x, int64_t N, int64_t C, int64_t S, double eps, double momentum,
                     float* mean, float* invstd, float* running_mean, float* running_var, float* workspace,
                     cudaStream_t stream);
void batchnorm_eval_stats(const float* running_mean, const float* running_var, int64_t C, double eps,
                          float* mean, float* invstd, cudaStream_t stream);
void batchnorm_apply(const float* x, const float* mean, const float* invstd, const float* weight,
                     const float* bias, float* y, int64_t N, int64_t C, int64_t S, cudaStream_t stream);
void batchnorm_backward_reduce(const float* dy, const float* x, const float* mean, const float* invstd,
                               float* sum_dy, float* sum_dy_xhat, int64_t N, int64_t C, int64_t S,
                               float* workspace, cudaStream_t stream);
void batchnorm_backward_input(const float* dy, const float* x, const float* mean, const float* invstd,
                              const float* weight, const float* sum_dy, const float* sum_dy_xhat,
                              float* dx, int64_t N, int64_t C, int64_t S, bool training,
                              cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
