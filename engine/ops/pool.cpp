// Pooling ops: validation and output geometry, dispatch to kernels/cpu/pool and kernels/cuda/pool,
// and backward rules that call the dedicated backward kernels (max pool routes each output
// gradient to its saved argmax; average pools spread it over the window).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/pool.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/pool.h"
#include "kernels/gpu.h"

namespace csgis {

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode) {
  const int64_t span = in + 2 * pad - kernel;
  CSGIS_CHECK(span >= 0, "pooling: kernel ", kernel, " is larger than the padded input (size ", in,
              " + 2 * padding ", pad, " = ", in + 2 * pad, ")");
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

namespace {
void check_input(const Tensor& x, const char* op) {
  CSGIS_CHECK(x.defined(), op, ": undefined input");
  CSGIS_CHECK(x.dim() == 4, op, ": expects an NCHW tensor, got shape ", shape_str(x.shape()));
  CSGIS_CHECK(x.size(2) > 0 && x.size(3) > 0, op, ": empty spatial size in ", shape_str(x.shape()));
  if (!x.device().is_cpu()) check_gpu_dtype(x, op);
}

Pool2dGeom make_geom(const Tensor& x, Size2 k, Size2 s, Size2 p, bool ceil_mode, const char* op) {
  CSGIS_CHECK(k.h > 0 && k.w > 0, op, ": kernel must be positive, got ", k.h, "x", k.w);
  CSGIS_CHECK(s.h > 0 && s.w > 0, op, ": stride must be positive, got ", s.h, "x", s.w);
  CSGIS_CHECK(p.h >= 0 && p.w >= 0 && p.h <= k.h / 2 && p.w <= k.w / 2, op, ": padding ", p.h, "x", p.w,
              " must be non-negative and at most half the kernel ", k.h, "x", k.w);
  const int64_t H = x.size(2), W = x.size(3);
  CSGIS_CHECK(H + 2 * p.h >= k.h && W + 2 * p.w >= k.w, op, ": kernel ", k.h, "x", k.w,
              " is larger than the padded input ", H + 2 * p.h, "x", W + 2 * p.w, " (input ",
              shape_str(x.shape()), ", padding ", p.h, "x", p.w, ")");
  Pool2dGeom g;
  g.planes = x.size(0) * x.size(1);
  g.H = H;
  g.W = W;
  g.OH = pool_output_size(H, k.h, s.h, p.h, ceil_mode);
  g.OW = pool_output_size(W, k.w, s.w, p.w, ceil_mode);
  g.kh = int(k.h);
  g.kw = int(k.w);
  g.sh = int(s.h);
  g.sw = int(s.w);
  g.ph = int(p.h);
  g.pw = int(p.w);
  return g;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, bool ceil_mode, Tensor* indices) {
  check_input(x, "max_pool2d");
  const Pool2dGeom g = make_geom(x, kernel, stride, padding, ceil_mode, "max_pool2d");
  const Tensor xc = dense(x);
  const Shape out_shape{x.size(0), x.size(1), g.OH, g.OW};
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor idx = Tensor::empty(out_shape, DType::I64, x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::max_pool2d_forward<T>(g, xc.data<T>(), out.data<T>(), idx.data<int64_t>());
    });
  } else {
    CSGIS_GPU_CALL(x.device(), max_pool2d_forward, g, xc.data<float>(), out.data<float>(), idx.data<int64_t>());
  }
  if (indices) *indices = idx;
  if (autograd::needs_grad({x})) {
    const Shape in_shape = x.shape();
    autograd::record(out, "MaxPool2d", {x}, [g, idx, in_shape](const Tensor& grad) -> std::vector<Tensor> {
      const Tensor gc = dense(grad);
      Tensor dx = Tensor::empty(in_shape, gc.dtype(), gc.device());
      if (gc.device().is_cpu()) {
        dispatch_float(gc.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::max_pool2d_backward<T>(g, gc.data<T>(), idx.data<int64_t>(), dx.data<T>());
        });
      } else {
        CSGIS_GPU_CALL(gc.device(), max_pool2d_backward, g, gc.data<float>(), idx.data<int64_t>(), dx.data<float>());
      }
      return {dx};
    });
  }
  return out;
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, bool ceil_mode,
                  bool count_include_pad) {
  check_input(x, "avg_pool2d");
  const Pool2dGeom g = make_geom(x, kernel, stride, padding, ceil_mode, "avg_pool2d");
  const Tensor xc = dense(x);
  Tensor out = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW}, x.dtype(), x.device());
  const bool cip = count_include_pad;
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::avg_pool2d_forward<T>(g, cip, xc.data<T>(), out.data<T>());
    });
  } else {
    CSGIS_GPU_CALL(x.device(), avg_pool2d_forward, g, cip, xc.data<float>(), out.data<float>());
  }
  if (autograd::needs_grad({x})) {
    const Shape in_shape = x.shape();
    autograd::record(out, "AvgPool2d", {x}, [g, cip, in_shape](const Tensor& grad) -> std::vector<Tensor> {
      const Tensor gc = dense(grad);
      Tensor dx = Tensor::empty(in_shape, gc.dtype(), gc.device());
      if (gc.device().is_cpu()) {
        dispatch_float(gc.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::avg_pool2d_backward<T>(g, cip, gc.data<T>(), dx.data<T>());
        });
      } else {
        CSGIS_GPU_CALL(gc.device(), avg_pool2d_backward, g, cip, gc.data<float>(), dx.data<float>());
      }
      return {dx};
    });
  }
  return out;
}

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_input(x, "adaptive_avg_pool2d");
  CSGIS_CHECK(out_h > 0 && out_w > 0, "adaptive_avg_pool2d: output size must be positive, got ", out_h, "x",
              out_w);
  Pool2dGeom g;
  g.planes = x.size(0) * x.size(1);
  g.H = x.size(2);
  g.W = x.size(3);
  g.OH = out_h;
  g.OW = out_w;
  const Tensor xc = dense(x);
  Tensor out = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::adaptive_avg_pool2d_forward<T>(g, xc.data<T>(), out.data<T>());
    });
  } else {
    CSGIS_GPU_CALL(x.device(), adaptive_avg_pool2d_forward, g, xc.data<float>(), out.data<float>());
  }
  if (autograd::needs_grad({x})) {
    const Shape in_shape = x.shape();
    autograd::record(out, "AdaptiveAvgPool2d", {x}, [g, in_shape](const Tensor& grad) -> std::vector<Tensor> {
      const Tensor gc = dense(grad);
      Tensor dx = Tensor::empty(in_shape, gc.dtype(), gc.device());
      if (gc.device().is_cpu()) {
        dispatch_float(gc.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::adaptive_avg_pool2d_backward<T>(g, gc.data<T>(), dx.data<T>());
        });
      } else {
        CSGIS_GPU_CALL(gc.device(), adaptive_avg_pool2d_backward, g, gc.data<float>(), dx.data<float>());
      }
      return {dx};
    });
  }
  return out;
}

}  // namespace csgis
