// Row reductions (float32): see kernels/cpu/reduce.h. No include guard: see kernels/gpu.h.
#include <cstdint>
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, cudaStream_t stream);
void max_rows(const float* x, float* out, int64_t* index, int64_t rows, int64_t cols, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
