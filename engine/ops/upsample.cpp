// Bilinear resize: validation, dispatch to kernels/cpu/upsample and kernels/cuda/upsample, and a
// backward rule that runs the adjoint kernel (CPU: per-plane scatter; CUDA: deterministic gather).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/upsample.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/upsample.h"
#include "kernels/gpu.h"

namespace csgis {

Tensor upsample_bilinear2d(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners) {
  CSGIS_CHECK(x.defined(), "upsample_bilinear2d: undefined input");
  CSGIS_CHECK(x.dim() == 4, "upsample_bilinear2d: expects an NCHW tensor, got shape ", shape_str(x.shape()));
  CSGIS_CHECK(x.size(2) > 0 && x.size(3) > 0, "upsample_bilinear2d: empty spatial size in ",
              shape_str(x.shape()));
  CSGIS_CHECK(out_h > 0 && out_w > 0, "upsample_bilinear2d: output size must be positive, got ", out_h, "x",
              out_w);
  if (!x.device().is_cpu()) check_gpu_dtype(x, "upsample_bilinear2d");
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const bool ac = align_corners;
  const Tensor xc = dense(x);
  Tensor out = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::upsample_bilinear2d_forward<T>(xc.data<T>(), out.data<T>(), planes, H, W, out_h, out_w, ac);
    });
  } else {
    CSGIS_GPU_CALL(x.device(), upsample_bilinear2d_forward, xc.data<float>(), out.data<float>(), planes, H, W,
                   out_h, out_w, ac);
  }
  if (autograd::needs_grad({x})) {
    const Shape in_shape = x.shape();
    autograd::record(out, "UpsampleBilinear2d", {x},
                     [in_shape, planes, H, W, out_h, out_w, ac](const Tensor& g) -> std::vector<Tensor> {
                       const Tensor gc = dense(g);
                       Tensor dx = Tensor::empty(in_shape, gc.dtype(), gc.device());
                       if (gc.device().is_cpu()) {
                         dispatch_float(gc.dtype(), [&](auto zero) {
                           using T = decltype(zero);
                           cpu::upsample_bilinear2d_backward<T>(gc.data<T>(), dx.data<T>(), planes, H, W, out_h,
                                                                out_w, ac);
                         });
                       } else {
                         CSGIS_GPU_CALL(gc.device(), upsample_bilinear2d_backward, gc.data<float>(),
                                        dx.data<float>(), planes, H, W, out_h, out_w, ac);
                       }
                       return {dx};
                     });
  }
  return out;
}

}  // namespace csgis
