// Depthwise conv2d launchers (float32, contiguous NCHW, weight [K, 1, R, S], K = C * m): see
// kernels/cpu/depthwise_conv2d.h for the exact sums. The bias gradient is conv2d_backward_bias
// (kernels/cuda/conv2d.h). No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/conv2d_shape.h"
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                              cudaStream_t stream);
void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx,
                                     cudaStream_t stream);
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                      cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
