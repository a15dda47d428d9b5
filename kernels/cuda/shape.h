// Shape kernels (float32): 2-D padding of contiguous [planes, h, w] data, see kernels/cpu/shape.h.
// No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/pad2d.h"
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void pad2d_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad,
                   float value, cudaStream_t stream);
void pad2d_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad,
                    cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
