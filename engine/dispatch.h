// How op code reaches kernels.
//   CPU tensors:  dispatch_float(dtype, [&](auto zero) { using T = decltype(zero); cpu::f<T>(...); })
//   CUDA / SIMT:  CSGIS_GPU_CALL(device, f, args...)  -> csgis::cuda::f(args..., stream) on a GPU,
//                 csgis::simt_cuda::f(args..., nullptr) on the emulated device.
//                 The calling source declares the launchers of each family it uses with
//                 #define CSGIS_GPU_LAUNCHERS "kernels/cuda/<family>.h" + #include "kernels/gpu.h".
// Every op has one implicit argument besides its tensors: the calling thread's current Context
// (current_stream(dev) above, and the switches the kernels read), as PyTorch's current stream.
#pragma once
#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/error.h"
#include "engine/tensor.h"
#include "kernels/common/layout.h"  // StridedLayout

namespace csgis::detail {
[[noreturn]] void no_cuda_build();
}  // namespace csgis::detail

#if CSGIS_HAS_CUDA
#define CSGIS_GPU_CALL(dev, fn, ...)                                           \
  ((dev).is_cuda() ? ::csgis::cuda::fn(__VA_ARGS__, ::csgis::current_stream(dev)) \
                   : ::csgis::simt_cuda::fn(__VA_ARGS__, nullptr))
#else
#define CSGIS_GPU_CALL(dev, fn, ...) \
  ((dev).is_cuda() ? ::csgis::detail::no_cuda_build() : ::csgis::simt_cuda::fn(__VA_ARGS__, nullptr))
#endif

namespace csgis {

// Calls f(T{}) with T = float or double according to `dtype` (host kernels).
template <typename F>
void dispatch_float(DType dtype, F&& f) {
  switch (dtype) {
    case DType::F32: f(float{}); return;
    case DType::F64: f(double{}); return;
    default: CSGIS_FAIL("operation supports float32 and float64 tensors, got ", dtype_name(dtype));
  }
}

// GPU kernels are float32 only.
inline void check_gpu_dtype(const Tensor& t, const char* op) {
  CSGIS_CHECK(t.dtype() == DType::F32, op, ": CUDA kernels take float32 tensors, got ",
              dtype_name(t.dtype()));
}

inline void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  CSGIS_CHECK(a.device() == b.device(), op, ": tensors on different devices (", a.device().str(),
              " and ", b.device().str(), ")");
}

inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  CSGIS_CHECK(a.dtype() == b.dtype(), op, ": tensors of different dtypes (", dtype_name(a.dtype()),
              " and ", dtype_name(b.dtype()), ")");
}

StridedLayout layout_of(const Tensor& t);

// The tensor as kernels want it (contiguous), outside the graph: the calling op records itself.
inline Tensor dense(const Tensor& t) {
  autograd::NoGradGuard no_grad;
  return t.detach().contiguous();
}  // sizes/strides of a tensor view (<= 8 dims)

}  // namespace csgis
