// Softmax / log-softmax along the middle axis of a contiguous [outer, dim, inner] buffer (float32):
// see kernels/cpu/softmax.h. No include guard: see kernels/gpu.h.
#include <cstdint>
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void softmax_forward(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log,
                     cudaStream_t stream);
void softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim, int64_t inner,
                      bool log, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
