// kernels/cuda/cuda_common.cuh — included first by every kernels/cuda/*.cu file.
//
// Each .cu file is compiled twice:
//   * by nvcc for the GPU: launchers live in namespace csgis::cuda (CSGIS_GPU_NS = cuda);
//   * by the host compiler with -DCSGIS_SIMT=1 against kernels/simt/simt.h, which runs the kernels
//     on the CPU for tests: launchers live in csgis::simt_cuda (CSGIS_GPU_NS = simt_cuda).
//
// Write kernels portably with these macros:
//   CSGIS_LAUNCH(kernel, grid, block, shared_bytes, stream, args...)
//       kernel<<<grid, block, shared_bytes, stream>>>(args...) on the GPU; a synchronous emulated
//       launch that throws simt::Error on misuse in SIMT builds. For a template kernel take its address
//       first (the macro would split at the comma of the template arguments):
//           auto k = my_kernel<float, 4>;
//           CSGIS_LAUNCH(k, grid, block, 0, stream, x, y, n);
//   CSGIS_DYNAMIC_SHARED(T, name)   inside a kernel: `T* name` = the launch's dynamic shared memory
//                                   (never write `extern __shared__` directly).
//   CSGIS_STATIC_SHARED(T, name, dims)  inside a kernel: `__shared__ __align__(16) T name dims;`, e.g.
//                                   CSGIS_STATIC_SHARED(float, tile, [16][17]). Under SIMT each block
//                                   gets fresh NaN-filled copies, guarded and counted against 48 KiB
//                                   (a plain `__shared__` is none of these there).
//   CSGIS_CUDA_CHECK(expr)          throws std::runtime_error naming expr, file:line and the CUDA error.
//   CSGIS_CHECK_LAUNCH(name)        after a launch: throws if cudaGetLastError() reports an error;
//                                   `name` is a string or the kernel itself.
//   CSGIS_HOST_DEVICE               __host__ __device__
// Limitations of the emulation are listed at the top of kernels/simt/simt.h.
#pragma once
#include <cstdint>

#include <stdexcept>
#include <string>

#if defined(CSGIS_SIMT)
#include "kernels/simt/simt.h"
#define CSGIS_GPU_NS simt_cuda
#define CSGIS_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  ::simt::detail::configure_launch(#kernel, grid, block, shared_bytes, stream, kernel)(__VA_ARGS__)
#define CSGIS_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::simt::detail::dynamic_shared_ptr())
// The tag's address names the declaration (one per template instantiation).
#define CSGIS_STATIC_SHARED(T, name, dims)                 \
  static const char csgis_shared_key_##name = 0;            \
  using csgis_shared_type_##name = T dims;                  \
  csgis_shared_type_##name& name = *reinterpret_cast<csgis_shared_type_##name*>( \
      ::simt::detail::static_shared(&csgis_shared_key_##name, sizeof(csgis_shared_type_##name)))
#else
#include <cuda_runtime.h>
#define CSGIS_GPU_NS cuda
#define CSGIS_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  kernel<<<grid, block, shared_bytes, stream>>>(__VA_ARGS__)
#define CSGIS_DYNAMIC_SHARED(T, name)                                 \
  extern __shared__ __align__(16) unsigned char csgis_dynamic_smem_[]; \
  T* name = reinterpret_cast<T*>(csgis_dynamic_smem_)
#define CSGIS_STATIC_SHARED(T, name, dims) __shared__ __align__(16) T name dims
#endif

#define CSGIS_HOST_DEVICE __host__ __device__

namespace csgis {
// Blocks for a grid-stride loop over `n` items with `threads` per block: enough to cover n, capped
// so the grid stays far inside the hardware limit (the loop covers the rest).
inline unsigned grid_stride_blocks(int64_t n, int64_t threads) {
  const int64_t b = (n + threads - 1) / threads;
  return unsigned(b < 65535 * 16 ? b : 65535 * 16);
}

namespace cuda_common_detail {
// CSGIS_CHECK_LAUNCH accepts a string (used as is) or a kernel (named by its spelling).
inline std::string launch_name(const char* /*spelling*/, const char* name) { return name; }
inline std::string launch_name(const char* /*spelling*/, const std::string& name) { return name; }
template <class F>
inline std::string launch_name(const char* spelling, F*) { return spelling; }

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* what, const std::string& subject,
                                          const char* file, int line) {
  throw std::runtime_error(std::string(what) + subject + " at " + file + ":" + std::to_string(line) + ": " +
                           cudaGetErrorString(err));
}
}  // namespace cuda_common_detail
}  // namespace csgis

#define CSGIS_CUDA_CHECK(expr)                                                                   \
  do {                                                                                           \
    const cudaError_t csgis_cuda_err_ = (expr);                                                  \
    if (csgis_cuda_err_ != cudaSuccess)                                                          \
      ::csgis::cuda_common_detail::throw_cuda_error(csgis_cuda_err_, "CUDA call failed: ", #expr, \
                                                    __FILE__, __LINE__);                         \
  } while (0)

#define CSGIS_CHECK_LAUNCH(name)                                                                   \
  do {                                                                                             \
    const cudaError_t csgis_cuda_err_ = cudaGetLastError();                                        \
    if (csgis_cuda_err_ != cudaSuccess)                                                            \
      ::csgis::cuda_common_detail::throw_cuda_error(                                               \
          csgis_cuda_err_, "kernel launch failed: ",                                               \
          ::csgis::cuda_common_detail::launch_name(#name, name), __FILE__, __LINE__);              \
  } while (0)
