// Unary elementwise ops: one forward kernel and one backward kernel (dx = f'(x or y) * dy) for the
// whole family, selected by UnaryOp (kernels/common/unary_op.h).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/unary.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/unary.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
struct Params {
  double a = 0, b = 0;
};

// y = f(x) for contiguous x of any device; GPU kernels take the parameters as float.
Tensor run_forward(UnaryOp op, const Tensor& x, Params p, const char* name) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::unary<T>(op, x.data<T>(), y.data<T>(), x.numel(), T(p.a), T(p.b));
    });
  } else {
    check_gpu_dtype(x, name);
    CSGIS_GPU_CALL(x.device(), unary, op, x.data<float>(), y.data<float>(), x.numel(), float(p.a),
                   float(p.b));
  }
  return y;
}

// dx = f'(saved) * dy; `saved` is x, y or undefined as unary_saved(op) says.
Tensor run_backward(UnaryOp op, const Tensor& saved, const Tensor& g, Params p, const char* name) {
  Tensor dy = g.contiguous();
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
  const Tensor& v = saved.defined() ? saved : dy;
  CSGIS_CHECK(v.dtype() == dy.dtype() && v.device() == dy.device(), name,
              " backward: gradient of a different dtype/device than the forward");
  if (dy.device().is_cpu()) {
    dispatch_float(dy.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::unary_backward<T>(op, v.data<T>(), dy.data<T>(), dx.data<T>(), dy.numel(), T(p.a), T(p.b));
    });
  } else {
    check_gpu_dtype(dy, name);
    CSGIS_GPU_CALL(dy.device(), unary_backward, op, v.data<float>(), dy.data<float>(), dx.data<float>(),
                   dy.numel(), float(p.a), float(p.b));
  }
  return dx;
}

Tensor unary_op(UnaryOp op, const Tensor& x, const char* name, Params p = {}) {
  CSGIS_CHECK(x.defined(), name, ": undefined input tensor");
  // Detached so a non-contiguous input does not record a Clone node: this op records itself.
  const Tensor xc = x.detach().contiguous();
  Tensor y = run_forward(op, xc, p, name);
  if (autograd::needs_grad({x})) {
    // The saved output is detached: capturing `y` itself would make y -> node -> y a cycle.
    Tensor saved;
    switch (unary_saved(op)) {
      case UnarySaved::Input: saved = xc; break;
      case UnarySaved::Output: saved = y.detach(); break;
      case UnarySaved::None: break;
    }
    autograd::record(
        y, name, {x}, [op, saved, p, name](const Tensor& g) -> std::vector<Tensor> {
          return {run_backward(op, saved, g, p, name)};
        },
        std::vector<Tensor>{saved});
  }
  return y;
}
}  // namespace

Tensor relu(const Tensor& x) { return unary_op(UnaryOp::Relu, x, "Relu"); }
Tensor leaky_relu(const Tensor& x, double slope) { return unary_op(UnaryOp::LeakyRelu, x, "LeakyRelu", {slope}); }
Tensor sigmoid(const Tensor& x) { return unary_op(UnaryOp::Sigmoid, x, "Sigmoid"); }
Tensor tanh(const Tensor& x) { return unary_op(UnaryOp::Tanh, x, "Tanh"); }
Tensor exp(const Tensor& x) { return unary_op(UnaryOp::Exp, x, "Exp"); }
Tensor log(const Tensor& x) { return unary_op(UnaryOp::Log, x, "Log"); }
Tensor abs(const Tensor& x) { return unary_op(UnaryOp::Abs, x, "Abs"); }
Tensor sqrt(const Tensor& x) { return unary_op(UnaryOp::Sqrt, x, "Sqrt"); }
Tensor pow(const Tensor& x, double exponent) { return unary_op(UnaryOp::Pow, x, "Pow", {exponent}); }
Tensor clamp(const Tensor& x, double lo, double hi) {
  CSGIS_CHECK(lo <= hi, "clamp: lower bound ", lo, " is above upper bound ", hi);
  return unary_op(UnaryOp::Clamp, x, "Clamp", {lo, hi});
}
Tensor square(const Tensor& x) { return unary_op(UnaryOp::Square, x, "Square"); }
Tensor add_scalar(const Tensor& x, double s) { return unary_op(UnaryOp::AddScalar, x, "AddScalar", {s}); }
Tensor mul_scalar(const Tensor& x, double s) { return unary_op(UnaryOp::MulScalar, x, "MulScalar", {s}); }
Tensor rsub_scalar(double s, const Tensor& x) { return unary_op(UnaryOp::RsubScalar, x, "RsubScalar", {s}); }

}  // namespace csgis
