// Fused SSIM launchers (float32, contiguous [planes, H, W] planes): see kernels/cpu/ssim.h for the
// geometry and the conventions. No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/ssim.h"  // SsimGeom, window and per-position formula
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// map: [planes, OH, OW]
void ssim_forward(const SsimGeom& g, const float* x, const float* y, float* map, cudaStream_t stream);
// coef: workspace of ssim_coef_elems(g) floats; dy may be null (no gradient for y).
void ssim_backward(const SsimGeom& g, const float* x, const float* y, const float* gmap, float* coef, float* dx,
                   float* dy, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
