// Strided copy and fill on CUDA memory (float32). No include guard: included once per GPU
// namespace (csgis::cuda for nvcc, csgis::simt_cuda for the emulator), see kernels/gpu.h.
#include <cstdint>

#include "kernels/common/layout.h"
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void strided_copy(const float* src, const StridedLayout& src_layout, float* dst,
                  const StridedLayout& dst_layout, cudaStream_t stream);
void fill(float* dst, int64_t n, float value, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
