// Bilateral-type filter launchers (float32, HWC images, device memory): the joint bilateral filter
// behind the rolling guidance filter (data/smoothers/rolling_guidance.h) and the OpenCV-style
// bilateral filter of data/filters.h. See kernels/cuda/bilateral.cu. No include guard: see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/smoothers.h"  // WindowBorder (guarded header)
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// out = joint bilateral filter of src (channels 1 or 3) guided by guide (guide_channels 1 or 3;
// nullptr = a constant guide, i.e. the Gaussian of src): Gaussian spatial weight of sigma_s,
// Gaussian range weight of sigma_r on the Euclidean distance of the guide's values, window
// |q - p|_inf <= radius clipped at the border. out must alias neither input.
void joint_bilateral_filter(const float* src, const float* guide, float* out, int width, int height, int channels,
                            int guide_channels, int radius, float sigma_s, float sigma_r, cudaStream_t stream);

// out = bilateral filter of img (channels 1 or 3) with OpenCV's colour distance (the sum of the
// channels' absolute differences, quantised to 1/1024 as data::bilateral_filter's weight table does)
// over the window |dx| <= radius_x, |dy| <= radius_y; `border` says what an overhanging window reads.
// (radius_x, 0) then (0, radius_y) is the separable variant. out must not alias img.
void bilateral_filter(const float* img, float* out, int width, int height, int channels, int radius_x,
                      int radius_y, float sigma_color, float sigma_space, WindowBorder border, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
