// Binary elementwise ops with broadcasting (float32). No include guard: see kernels/gpu.h.
#include "kernels/common/binary_op.h"
#include "kernels/common/layout.h"
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void binary(BinaryOp op, const BroadcastLayout& l, const float* a, const float* b, float* out,
            cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
