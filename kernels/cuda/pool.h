// 2-d pooling launchers (float32, contiguous NCHW): see kernels/cpu/pool.h for the contract and
// for Pool2dGeom. Backward passes are gathers (one thread per input pixel): deterministic, no
// atomics. No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/pool.h"  // Pool2dGeom and the shared window arithmetic
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void max_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, int64_t* idx, cudaStream_t stream);
void max_pool2d_backward(const Pool2dGeom& g, const float* dy, const int64_t* idx, float* dx, cudaStream_t stream);
void avg_pool2d_forward(const Pool2dGeom& g, bool count_include_pad, const float* x, float* y,
                        cudaStream_t stream);
void avg_pool2d_backward(const Pool2dGeom& g, bool count_include_pad, const float* dy, float* dx,
                         cudaStream_t stream);
void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, cudaStream_t stream);
void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const float* dy, float* dx, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
