// Softmax and log-softmax. The contiguous input is read as [outer, dim, inner] around the
// normalised dimension, so the kernels handle any dimension without a permuted copy.
#include <algorithm>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/softmax.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/softmax.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
struct Axis {
  int64_t outer = 1, dim = 1, inner = 1;
};

Axis split_at(const Tensor& x, int64_t dim, const char* op) {
  // A 0-d tensor behaves as one element along dim 0 / -1 (as in PyTorch).
  const int64_t n = std::max<int64_t>(x.dim(), 1);
  const int64_t d = dim < 0 ? dim + n : dim;
  CSGIS_CHECK(d >= 0 && d < n, op, ": dimension ", dim, " out of range for shape ", shape_str(x.shape()));
  Axis a;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < d) a.outer *= x.shape()[i];
    else if (i == d) a.dim = x.shape()[i];
    else a.inner *= x.shape()[i];
  }
  return a;
}

Tensor run_forward(const Tensor& x, const Axis& a, bool log, const char* op) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.numel() == 0) return y;
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::softmax_forward<T>(x.data<T>(), y.data<T>(), a.outer, a.dim, a.inner, log);
    });
  } else {
    check_gpu_dtype(x, op);
    CSGIS_GPU_CALL(x.device(), softmax_forward, x.data<float>(), y.data<float>(), a.outer, a.dim, a.inner, log);
  }
  return y;
}

Tensor run_backward(const Tensor& y, const Tensor& g, const Axis& a, bool log, const char* op) {
  Tensor dy = g.contiguous();
  Tensor dx = Tensor::empty(y.shape(), y.dtype(), y.device());
  if (y.numel() == 0) return dx;
  check_same_dtype(y, dy, op);
  if (y.device().is_cpu()) {
    dispatch_float(y.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::softmax_backward<T>(y.data<T>(), dy.data<T>(), dx.data<T>(), a.outer, a.dim, a.inner, log);
    });
  } else {
    check_gpu_dtype(y, op);
    CSGIS_GPU_CALL(y.device(), softmax_backward, y.data<float>(), dy.data<float>(), dx.data<float>(), a.outer,
                   a.dim, a.inner, log);
  }
  return dx;
}

Tensor softmax_op(const Tensor& x, int64_t dim, bool log, const char* op) {
  CSGIS_CHECK(x.defined(), op, ": undefined input tensor");
  const Axis a = split_at(x, dim, op);
  // Detached so a non-contiguous input does not record a Clone node: this op records itself.
  Tensor y = run_forward(x.detach().contiguous(), a, log, op);
  if (autograd::needs_grad({x})) {
    // Both backward forms need only the output; saved detached (capturing y makes a cycle).
    const Tensor saved = y.detach();
    autograd::record(y, op, {x}, [saved, a, log, op](const Tensor& g) -> std::vector<Tensor> {
      return {run_backward(saved, g, a, log, op)};
    });
  }
  return y;
}
}  // namespace

Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, true, "LogSoftmax"); }
Tensor softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, false, "Softmax"); }

}  // namespace csgis
