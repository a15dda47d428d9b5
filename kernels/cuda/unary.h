// Unary elementwise ops (float32, contiguous): see kernels/cpu/unary.h. No include guard: see
// kernels/gpu.h.
#include <cstdint>

#include "kernels/common/unary_op.h"
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void unary(UnaryOp op, const float* x, float* y, int64_t n, float a, float b, cudaStream_t stream);
void unary_backward(UnaryOp op, const float* saved, const float* dy, float* dx, int64_t n, float a,
                    float b, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
