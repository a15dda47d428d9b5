// Guided filter launchers (float32, HWC images): see kernels/cuda/guided_filter.cu for the method and
// data/smoothers/guided_filter.h for the CPU reference. No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/smoothers.h"  // guided_filter_workspace_floats (guarded header)
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// out = guided filter of img (width x height x channels, channels 1 or 3, HWC, device memory), each
// channel guided by itself, or by the BT.601 luma when gray_guide (channels == 3). Box windows of
// radius `radius` clipped at the border. workspace: guided_filter_workspace_floats(...) floats.
// out must not alias img.
void guided_filter(const float* img, float* out, float* workspace, int width, int height, int channels,
                   int radius, float eps, bool gray_guide, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
