// Masked wrap-around TV launchers (float32): see kernels/cpu/tv.h for TvGeom and the math.
// No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/tv.h"  // TvGeom, masked_tv_partials
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// partials: workspace of masked_tv_partials(g) floats; out: one float (device memory).
void masked_tv_forward(const TvGeom& g, const float* x, const float* mask, float* partials, float* out,
                       cudaStream_t stream);
// gout: one float (device memory), the upstream gradient of out.
void masked_tv_backward(const TvGeom& g, const float* x, const float* mask, const float* gout, float* dx,
                        cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
