// Grouped and depthwise conv2d: validation, the depthwise kernels (kernels/*/depthwise_conv2d)
// with their backward rule, and the general grouped case composed of groups = 1 convolutions.
#include "engine/ops/depthwise_conv2d.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/common/conv2d_shape.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/depthwise_conv2d.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/depthwise_conv2d.h"
#include "kernels/gpu.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/conv2d.h"  // conv2d_backward_bias
#include "kernels/gpu.h"

namespace csgis::detail {

namespace {

Tensor depthwise(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in, const Conv2dShape& s) {
  const bool has_bias = bias_in.defined();
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = has_bias ? bias_in.contiguous() : Tensor();
  const Device dev = x.device();
  Tensor y = Tensor::empty({s.N, s.K, s.P, s.Q}, x.dtype(), dev);
  if (dev.is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::depthwise_conv2d_forward<T>(s, x.data<T>(), w.data<T>(), has_bias ? b.data<T>() : nullptr, y.data<T>());
    });
  } else {
    check_gpu_dtype(x, "conv2d (depthwise)");
    CSGIS_GPU_CALL(dev, depthwise_conv2d_forward, s, x.data<float>(), w.data<float>(),
                   has_bias ? b.data<float>() : nullptr, y.data<float>());
  }
  if (autograd::needs_grad({x_in, w_in, bias_in})) {
    const bool need_x = x_in.requires_grad(), need_w = w_in.requires_grad();
    const bool need_b = has_bias && bias_in.requires_grad();
    autograd::record(y, "DepthwiseConv2d", {x_in, w_in, bias_in},
                     [s, x, w, need_x, need_w, need_b](const Tensor& g_in) -> std::vector<Tensor> {
      const Tensor g = g_in.contiguous();
      const Device d = g.device();
      Tensor gx, gw, gb;
      if (need_x) gx = Tensor::empty({s.N, s.C, s.H, s.W}, g.dtype(), d);
      if (need_w) gw = Tensor::empty({s.K, 1, s.R, s.S}, g.dtype(), d);
      if (need_b) gb = Tensor::empty({s.K}, g.dtype(), d);
      if (d.is_cpu()) {
        dispatch_float(g.dtype(), [&](auto zero) {
          using T = decltype(zero);
          if (need_x) cpu::depthwise_conv2d_backward_input<T>(s, g.data<T>(), w.data<T>(), gx.data<T>());
          if (need_w) cpu::depthwise_conv2d_backward_weight<T>(s, x.data<T>(), g.data<T>(), gw.data<T>());
          if (need_b) cpu::conv2d_backward_bias<T>(s, g.data<T>(), gb.data<T>());
        });
      } else {
        if (need_x) CSGIS_GPU_CALL(d, depthwise_conv2d_backward_input, s, g.data<float>(), w.data<float>(), gx.data<float>());
        if (need_w) CSGIS_GPU_CALL(d, depthwise_conv2d_backward_weight, s, x.data<float>(), g.data<float>(), gw.data<float>());
        if (need_b) CSGIS_GPU_CALL(d, conv2d_backward_bias, s, g.data<float>(), gb.data<float>());
      }
      return {gx, gw, gb};
    });
  }
  return y;
}

}  // namespace

Tensor conv2d_grouped(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  const int64_t g = p.groups;
  CSGIS_CHECK(x.dim() == 4, "conv2d: input must be 4-D NCHW, got shape ", shape_str(x.shape()));
  CSGIS_CHECK(w.dim() == 4, "conv2d: weight must be 4-D [out, in / groups, kh, kw], got shape ", shape_str(w.shape()));
  const int64_t C = x.size(1), K = w.size(0);
  CSGIS_CHECK(C % g == 0 && K % g == 0, "conv2d: groups = ", g, " must divide the input channels (", C,
              ") and the output channels (", K, ")");
  CSGIS_CHECK(w.size(1) == C / g, "conv2d: weight ", shape_str(w.shape()), " expects ", w.size(1),
              " input channels per group, input ", shape_str(x.shape()), " with groups = ", g, " has ", C / g);
  if (bias.defined())
    CSGIS_CHECK(bias.dim() == 1 && bias.size(0) == K, "conv2d: bias must have shape [", K, "], got ",
                shape_str(bias.shape()));
  if (g == C) {
    Conv2dShape s{};
    try {
      s = Conv2dShape::make(x.size(0), C, x.size(2), x.size(3), K, w.size(2), w.size(3), p.stride_h, p.stride_w,
                            p.pad_h, p.pad_w, p.dil_h, p.dil_w);
    } catch (const std::invalid_argument& e) {
      CSGIS_FAIL("conv2d: input ", shape_str(x.shape()), ", weight ", shape_str(w.shape()), ": ", e.what());
    }
    return depthwise(x, w, bias, s);
  }
  // One ordinary convolution per group on its channel slices; slice and concat carry the gradients.
  Conv2dParams single = p;
  single.groups = 1;
  const int64_t cg = C / g, kg = K / g;
  std::vector<Tensor> outs;
  for (int64_t i = 0; i < g; ++i)
    outs.push_back(::csgis::conv2d(x.slice(1, i * cg, (i + 1) * cg), w.slice(0, i * kg, (i + 1) * kg),
                          bias.defined() ? bias.slice(0, i * kg, (i + 1) * kg) : Tensor(), single));
  return ::csgis::concat(outs, 1);
}

}  // namespace csgis::detail
