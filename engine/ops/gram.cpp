// Gram op: validation, dispatch (OpenBLAS on the CPU, tiled kernels on CUDA / SIMT), backward rule.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/gram.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/gram.h"
#include "kernels/gpu.h"

namespace csgis {

Tensor gram(const Tensor& f) {
  const char* op = "gram";
  CSGIS_CHECK(f.defined(), op, ": undefined input");
  CSGIS_CHECK(f.dim() == 4, op, ": expects an NCHW tensor, got shape ", shape_str(f.shape()));
  if (!f.device().is_cpu()) check_gpu_dtype(f, op);
  const int64_t N = f.size(0), C = f.size(1), K = f.size(2) * f.size(3);
  CSGIS_CHECK(C > 0 && K > 0, op, ": empty channel or spatial size in ", shape_str(f.shape()));
  const double scale = 1.0 / double(C * K);
  const Tensor fc = dense(f);
  Tensor g = Tensor::empty({N, C, C}, f.dtype(), f.device());
  if (f.device().is_cpu()) {
    dispatch_float(f.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::gram_forward<T>(N, C, K, T(scale), fc.data<T>(), g.data<T>());
    });
  } else {
    Tensor partial = Tensor::empty({gram_plan(K).splits * N * C * C}, DType::F32, f.device());
    CSGIS_GPU_CALL(f.device(), gram_forward, N, C, K, float(scale), fc.data<float>(), partial.data<float>(),
                   g.data<float>());
  }
  if (autograd::needs_grad({f})) {
    autograd::record(g, "Gram", {f}, [fc, N, C, K, scale](const Tensor& grad) -> std::vector<Tensor> {
      const Tensor gc = dense(grad);
      Tensor df = Tensor::empty(fc.shape(), fc.dtype(), fc.device());
      if (fc.device().is_cpu()) {
        dispatch_float(fc.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::gram_backward<T>(N, C, K, T(scale), fc.data<T>(), gc.data<T>(), df.data<T>());
        });
      } else {
        CSGIS_GPU_CALL(fc.device(), gram_backward, N, C, K, float(scale), fc.data<float>(), gc.data<float>(),
                       df.data<float>());
      }
      return {df};
    });
  }
  return g;
}

}  // namespace csgis
