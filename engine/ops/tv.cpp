// Masked TV op: validation (mask broadcasting), dispatch to the fused kernels, backward rule.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/tv.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/tv.h"
#include "kernels/gpu.h"

namespace csgis {

Tensor masked_tv(const Tensor& x, const Tensor& mask, double wh, double ww) {
  const char* op = "masked_tv";
  CSGIS_CHECK(x.defined(), op, ": undefined input");
  CSGIS_CHECK(x.dim() == 4, op, ": expects an NCHW tensor, got shape ", shape_str(x.shape()));
  if (!x.device().is_cpu()) check_gpu_dtype(x, op);
  TvGeom g;
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.wh = wh, g.ww = ww;
  Tensor mc;
  if (mask.defined()) {
    const Shape& ms = mask.shape();
    CSGIS_CHECK(mask.dim() == 4 && (ms[0] == 1 || ms[0] == g.N) && (ms[1] == 1 || ms[1] == g.C) &&
                    ms[2] == g.H && ms[3] == g.W,
                op, ": mask of shape ", shape_str(ms), " does not broadcast to [N or 1, C or 1, H, W] of input ",
                shape_str(x.shape()));
    CSGIS_CHECK(!(autograd::grad_enabled() && mask.requires_grad()), op,
                ": the mask is a constant and gets no gradient; pass mask.detach()");
    check_same_device(x, mask, op);
    check_same_dtype(x, mask, op);
    mc = dense(mask);
    g.mask_sc = ms[1] == 1 ? 0 : g.H * g.W;
    g.mask_sn = ms[0] == 1 ? 0 : ms[1] * g.H * g.W;
  }
  const Tensor xc = dense(x);
  Tensor out = Tensor::empty({}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::masked_tv_forward<T>(g, xc.data<T>(), mc.defined() ? mc.data<T>() : nullptr, out.data<T>());
    });
  } else {
    Tensor partials = Tensor::empty({masked_tv_partials(g)}, DType::F32, x.device());
    CSGIS_GPU_CALL(x.device(), masked_tv_forward, g, xc.data<float>(), mc.defined() ? mc.data<float>() : nullptr,
                   partials.data<float>(), out.data<float>());
  }
  if (autograd::needs_grad({x})) {
    autograd::record(out, "MaskedTV", {x}, [g, xc, mc](const Tensor& grad) -> std::vector<Tensor> {
      const Tensor gc = dense(grad);
      Tensor dx = Tensor::empty(xc.shape(), xc.dtype(), xc.device());
      if (dx.numel() == 0) return {dx};
      if (xc.device().is_cpu()) {
        dispatch_float(xc.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::masked_tv_backward<T>(g, xc.data<T>(), mc.defined() ? mc.data<T>() : nullptr, gc.data<T>(),
                                     dx.data<T>());
        });
      } else {
        CSGIS_GPU_CALL(xc.device(), masked_tv_backward, g, xc.data<float>(),
                       mc.defined() ? mc.data<float>() : nullptr, gc.data<float>(), dx.data<float>());
      }
      return {dx};
    });
  }
  return out;
}

}  // namespace csgis
