// Bilinear resize launchers (float32, contiguous NCHW): see kernels/cpu/upsample.h for the contract
// and the shared tap arithmetic. No include guard: see kernels/gpu.h.
#include <cstdint>
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void upsample_bilinear2d_forward(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH,
                                 int64_t OW, bool align_corners, cudaStream_t stream);
// A gather (one thread per input pixel): deterministic, no atomics.
void upsample_bilinear2d_backward(const float* dy, float* dx, int64_t planes, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW, bool align_corners, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
