// Gram matrix launchers (float32, f contiguous [N, C, K]): see kernels/cpu/gram.h for the math and
// GramPlan. No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/gram.h"  // GramPlan
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// partial: workspace of gram_plan(K).splits * N * C * C floats; g: [N, C, C].
void gram_forward(int64_t N, int64_t C, int64_t K, float scale, const float* f, float* partial, float* g,
                  cudaStream_t stream);
// df: [N, C, K]
void gram_backward(int64_t N, int64_t C, int64_t K, float scale, const float* f, const float* dg, float* df,
                   cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
