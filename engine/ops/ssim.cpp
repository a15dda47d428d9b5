// SSIM op: validation, map geometry for the two conventions, dispatch to the fused kernels, and the
// backward rule (the kernels recompute the filtered moments from the saved inputs, so the forward
// pass keeps nothing but x and y).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/ssim.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/ssim.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
SsimGeom make_geom(const Tensor& x, const Tensor& y, SsimMode mode) {
  const char* op = "ssim";
  CSGIS_CHECK(x.defined() && y.defined(), op, ": undefined input");
  CSGIS_CHECK(x.dim() == 4, op, ": expects NCHW tensors, got shape ", shape_str(x.shape()));
  CSGIS_CHECK(x.shape() == y.shape(), op, ": shapes differ (", shape_str(x.shape()), " and ",
              shape_str(y.shape()), ")");
  check_same_device(x, y, op);
  check_same_dtype(x, y, op);
  if (!x.device().is_cpu()) check_gpu_dtype(x, op);
  SsimGeom g;
  g.planes = x.size(0) * x.size(1);
  g.H = x.size(2);
  g.W = x.size(3);
  if (mode == SsimMode::Metric) {
    CSGIS_CHECK(g.H >= kSsimTaps && g.W >= kSsimTaps, op, ": metric SSIM needs images of at least ", kSsimTaps,
                "x", kSsimTaps, " (valid region of an 11x11 window), got ", shape_str(x.shape()));
    g.oy0 = g.ox0 = kSsimRadius;
    g.OH = g.H - 2 * kSsimRadius;
    g.OW = g.W - 2 * kSsimRadius;
  } else {
    g.OH = g.H;
    g.OW = g.W;
  }
  return g;
}

}  // namespace

Tensor ssim_map(const Tensor& x, const Tensor& y, SsimMode mode) {
  const SsimGeom g = make_geom(x, y, mode);
  const Tensor xc = dense(x), yc = dense(y);
  Tensor map = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW}, x.dtype(), x.device());
  if (map.numel() > 0) {
    if (x.device().is_cpu()) {
      dispatch_float(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::ssim_forward<T>(g, xc.data<T>(), yc.data<T>(), map.data<T>());
      });
    } else {
      CSGIS_GPU_CALL(x.device(), ssim_forward, g, xc.data<float>(), yc.data<float>(), map.data<float>());
    }
  }
  if (autograd::needs_grad({x, y})) {
    const bool want_dy = y.requires_grad();
    autograd::record(map, "SsimMap", {x, y}, [g, xc, yc, want_dy](const Tensor& grad) -> std::vector<Tensor> {
      const Tensor gc = dense(grad);
      Tensor dx = Tensor::empty(xc.shape(), xc.dtype(), xc.device());
      Tensor dy = want_dy ? Tensor::empty(yc.shape(), yc.dtype(), yc.device()) : Tensor();
      if (dx.numel() == 0) return {dx, dy};
      if (xc.device().is_cpu()) {
        dispatch_float(xc.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::ssim_backward<T>(g, xc.data<T>(), yc.data<T>(), gc.data<T>(), dx.data<T>(),
                                want_dy ? dy.data<T>() : nullptr);
        });
      } else {
        check_same_dtype(xc, gc, "ssim backward");
        Tensor coef = Tensor::empty({ssim_coef_elems(g)}, DType::F32, xc.device());
        CSGIS_GPU_CALL(xc.device(), ssim_backward, g, xc.data<float>(), yc.data<float>(), gc.data<float>(),
                       coef.data<float>(), dx.data<float>(), want_dy ? dy.data<float>() : nullptr);
      }
      return {dx, dy};
    });
  }
  return map;
}

Tensor ssim(const Tensor& x, const Tensor& y, SsimMode mode) { return mean(ssim_map(x, y, mode)); }

Tensor ssim_per_image(const Tensor& x, const Tensor& y, SsimMode mode) {
  return mean(ssim_map(x, y, mode), {1, 2, 3});
}

}  // namespace csgis
