// conv2d: shape checks, dispatch to the CPU / CUDA / SIMT kernels (kernels/*/conv2d), and the
// backward rule (input, weight and bias gradients from the dedicated backward kernels).
#include "engine/ops/conv2d.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/ops/depthwise_conv2d.h"
#include "kernels/common/conv2d_shape.h"
#include "kernels/cpu/conv2d.h"
#if CSGIS_HAS_CUDA
#include "kernels/cuda/conv2d_cudnn.h"
#endif
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/conv2d.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {

Conv2dShape make_shape(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  CSGIS_CHECK(x.dim() == 4, "conv2d: input must be 4-D NCHW, got shape ", shape_str(x.shape()));
  CSGIS_CHECK(w.dim() == 4, "conv2d: weight must be 4-D [out, in, kh, kw], got shape ", shape_str(w.shape()));
  CSGIS_CHECK(w.size(1) == x.size(1), "conv2d: weight ", shape_str(w.shape()), " expects ", w.size(1),
              " input channels, input ", shape_str(x.shape()), " has ", x.size(1));
  try {
    return Conv2dShape::make(x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2), w.size(3),
                             p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w);
  } catch (const std::invalid_argument& e) {
    CSGIS_FAIL("conv2d: input ", shape_str(x.shape()), ", weight ", shape_str(w.shape()), ": ", e.what());
  }
}

// cuDNN's convolution on the current context's handle and stream (the run-time reference path).
namespace cudnn_bridge {
#if CSGIS_HAS_CUDA
void* handle() { return current_context().cudnn_handle(); }
cudaStream_t stream() { return current_context().stream(); }
bool tf32() { return current_context().cudnn_tf32; }
void forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
  cudnn::conv2d_forward(handle(), s, x, w, b, y, stream(), tf32());
}
void backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  cudnn::conv2d_backward_input(handle(), s, dy, w, dx, stream(), tf32());
}
void backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  cudnn::conv2d_backward_weight(handle(), s, x, dy, dw, stream(), tf32());
}
void backward_bias(const Conv2dShape& s, const float* dy, float* db) {
  cudnn::conv2d_backward_bias(handle(), s, dy, db, stream());
}
#else
[[noreturn]] void unavailable() { CSGIS_FAIL("conv2d: cuDNN requested but this build has no CUDA"); }
void forward(const Conv2dShape&, const float*, const float*, const float*, float*) { unavailable(); }
void backward_input(const Conv2dShape&, const float*, const float*, float*) { unavailable(); }
void backward_weight(const Conv2dShape&, const float*, const float*, float*) { unavailable(); }
void backward_bias(const Conv2dShape&, const float*, float*) { unavailable(); }
#endif
}  // namespace cudnn_bridge

bool use_cudnn(Device d) { return d.is_cuda() && current_context().use_cudnn; }

}  // namespace

namespace {
// conv2d, and with `fused_relu` (CPU, no autograd: the caller checked) the ReLU applied as the
// convolution writes its output.
Tensor conv2d_impl(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in, const Conv2dParams& p,
                   bool fused_relu) {
  check_same_device(x_in, w_in, "conv2d");
  check_same_dtype(x_in, w_in, "conv2d");
  CSGIS_CHECK(p.groups >= 1, "conv2d: groups must be >= 1, got ", p.groups);
  if (p.groups > 1) {
    if (bias_in.defined()) check_same_device(x_in, bias_in, "conv2d");
    const Tensor y = detail::conv2d_grouped(x_in, w_in, bias_in, p);
    return fused_relu ? relu(y) : y;
  }
  const Conv2dShape s = make_shape(x_in, w_in, p);
  const bool has_bias = bias_in.defined();
  if (has_bias) {
    check_same_device(x_in, bias_in, "conv2d");
    CSGIS_CHECK(bias_in.dim() == 1 && bias_in.size(0) == s.K, "conv2d: bias must have shape [", s.K,
                "], got ", shape_str(bias_in.shape()));
  }
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = has_bias ? bias_in.contiguous() : Tensor();
  const Device dev = x.device();
  Tensor y = Tensor::empty({s.N, s.K, s.P, s.Q}, x.dtype(), dev);
  // The context's CPU switches as the forward ran; the backward uses the same.
  Context& ctx = current_context();
  cpu::Conv2dCpuOptions cpu_opt{ctx.cpu_conv_isa == CpuIsa::Generic  ? cpu::ConvIsa::Portable
                                 : ctx.cpu_conv_isa == CpuIsa::Avx2 ? cpu::ConvIsa::Avx2
                                                                    : cpu::ConvIsa::Avx512,
                                 ctx.cpu_conv_winograd};
  cpu::Conv2dCpuOptions forward_opt = cpu_opt;
  forward_opt.relu = fused_relu;

  if (dev.is_cpu()) {
    const ScratchLease scratch(ctx);
    forward_opt.scratch = scratch.get();
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::conv2d_forward<T>(s, x.data<T>(), w.data<T>(), has_bias ? b.data<T>() : nullptr, y.data<T>(), forward_opt);
    });
  } else if (use_cudnn(dev)) {
    check_gpu_dtype(x, "conv2d");
    cudnn_bridge::forward(s, x.data<float>(), w.data<float>(), has_bias ? b.data<float>() : nullptr,
                          y.data<float>());
  } else {
    check_gpu_dtype(x, "conv2d");
    CSGIS_GPU_CALL(dev, conv2d_forward, s, x.data<float>(), w.data<float>(),
                   has_bias ? b.data<float>() : nullptr, y.data<float>());
  }

  if (autograd::needs_grad({x_in, w_in, bias_in})) {
    const bool need_x = x_in.requires_grad(), need_w = w_in.requires_grad();
    const bool need_b = has_bias && bias_in.requires_grad();
    autograd::record(y, "Conv2d", {x_in, w_in, bias_in},
                     [s, x, w, need_x, need_w, need_b, cpu_opt](const Tensor& g_in) -> std::vector<Tensor> {
      const Tensor g = g_in.contiguous();
      const Device d = g.device();
      Tensor gx, gw, gb;
      if (need_x) gx = Tensor::empty({s.N, s.C, s.H, s.W}, g.dtype(), d);
      if (need_w) gw = Tensor::empty({s.K, s.C, s.R, s.S}, g.dtype(), d);
      if (need_b) gb = Tensor::empty({s.K}, g.dtype(), d);
      if (d.is_cpu()) {
        const ScratchLease scratch(current_context());  // the context backward runs in
        cpu::Conv2dCpuOptions opt = cpu_opt;
        opt.scratch = scratch.get();
        dispatch_float(g.dtype(), [&](auto zero) {
          using T = decltype(zero);
          if (need_x) cpu::conv2d_backward_input<T>(s, g.data<T>(), w.data<T>(), gx.data<T>(), opt);
          if (need_w) cpu::conv2d_backward_weight<T>(s, x.data<T>(), g.data<T>(), gw.data<T>(), opt);
          if (need_b) cpu::conv2d_backward_bias<T>(s, g.data<T>(), gb.data<T>());
        });
      } else if (use_cudnn(d)) {
        if (need_x) cudnn_bridge::backward_input(s, g.data<float>(), w.data<float>(), gx.data<float>());
        if (need_w) cudnn_bridge::backward_weight(s, x.data<float>(), g.data<float>(), gw.data<float>());
        if (need_b) cudnn_bridge::backward_bias(s, g.data<float>(), gb.data<float>());
      } else {
        if (need_x) CSGIS_GPU_CALL(d, conv2d_backward_input, s, g.data<float>(), w.data<float>(), gx.data<float>());
        if (need_w) CSGIS_GPU_CALL(d, conv2d_backward_weight, s, x.data<float>(), g.data<float>(), gw.data<float>());
        if (need_b) CSGIS_GPU_CALL(d, conv2d_backward_bias, s, g.data<float>(), gb.data<float>());
      }
      return {gx, gw, gb};
    });
  }
  return y;
}
}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  return conv2d_impl(x, weight, bias, p, false);
}

Tensor conv2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  if (x.device().is_cpu() && !autograd::needs_grad({x, weight, bias})) return conv2d_impl(x, weight, bias, p, true);
  return relu(conv2d_impl(x, weight, bias, p, false));
}

}  // namespace csgis
