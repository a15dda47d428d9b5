// Binary elementwise ops with broadcasting: add, sub, mul, div (and the Tensor operators).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/elementwise.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/elementwise.h"
#include "kernels/gpu.h"

namespace csgis {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    CSGIS_CHECK(da == db || da == 1 || db == 1, "shapes ", shape_str(a), " and ", shape_str(b),
                " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {
// Strides of `t` read as a tensor of shape `out` (0 on broadcast dimensions).
void broadcast_strides(const Tensor& t, const Shape& out, int64_t* strides) {
  const size_t lead = out.size() - size_t(t.dim());
  for (size_t i = 0; i < out.size(); ++i)
    strides[i] = (i < lead || t.shape()[i - lead] == 1) ? 0 : t.strides()[i - lead];
}

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "binary op");
  check_same_dtype(a, b, "binary op");
  const Shape shape = broadcast_shapes(a.shape(), b.shape());
  CSGIS_CHECK(shape.size() <= size_t(kMaxDims), "binary op: at most ", kMaxDims, " dims");
  BroadcastLayout l;
  l.ndim = int(shape.size());
  for (int d = 0; d < l.ndim; ++d) l.sizes[d] = shape[d];
  broadcast_strides(a, shape, l.stride_a);
  broadcast_strides(b, shape, l.stride_b);
  const Device dev = a.device();
  Tensor out = Tensor::empty(shape, a.dtype(), dev);
  if (dev.is_cpu()) {
    dispatch_float(a.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::binary<T>(op, l, a.data<T>(), b.data<T>(), out.data<T>());
    });
  } else {
    check_gpu_dtype(a, "binary op");
    CSGIS_GPU_CALL(dev, binary, op, l, a.data<float>(), b.data<float>(), out.data<float>());
  }
  return out;
}
}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Add, a, b);
  if (autograd::needs_grad({a, b})) {
    const Shape sa = a.shape(), sb = b.shape();
    autograd::record(out, "Add", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      return {sum_to(g, sa), sum_to(g, sb)};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Sub, a, b);
  if (autograd::needs_grad({a, b})) {
    const Shape sa = a.shape(), sb = b.shape();
    const bool need_b = b.requires_grad();
    autograd::record(out, "Sub", {a, b}, [sa, sb, need_b](const Tensor& g) -> std::vector<Tensor> {
      return {sum_to(g, sa), need_b ? sum_to(-g, sb) : Tensor()};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Mul, a, b);
  if (autograd::needs_grad({a, b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    autograd::record(out, "Mul", {a, b}, [a, b, need_a, need_b](const Tensor& g) -> std::vector<Tensor> {
      return {need_a ? sum_to(g * b, a.shape()) : Tensor(), need_b ? sum_to(g * a, b.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Div, a, b);
  if (autograd::needs_grad({a, b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    autograd::record(out, "Div", {a, b}, [a, b, need_a, need_b](const Tensor& g) -> std::vector<Tensor> {
      // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
      Tensor ga = g / b;
      return {need_a ? sum_to(ga, a.shape()) : Tensor(),
              need_b ? sum_to(-(ga * a / b), b.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor expand(const Tensor& t, const Shape& shape) {
  CSGIS_CHECK(broadcast_shapes(t.shape(), shape) == shape, "expand: cannot expand ", shape_str(t.shape()),
              " to ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl()->storage;
  impl->shape = shape;
  impl->strides.assign(shape.size(), 0);
  broadcast_strides(t, shape, impl->strides.data());
  impl->offset = t.offset();
  impl->dtype = t.dtype();
  Tensor out(impl);
  if (autograd::needs_grad({t})) {
    const Shape in = t.shape();
    autograd::record(out, "Expand", {t}, [in](const Tensor& g) -> std::vector<Tensor> { return {sum_to(g, in)}; }, std::vector<Tensor>{});
  }
  return out;
}

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  const int64_t lead = t.dim() - int64_t(shape.size());
  CSGIS_CHECK(lead >= 0, "sum_to: cannot reduce ", shape_str(t.shape()), " to ", shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < t.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && t.shape()[i] != 1)) dims.push_back(i);
  Tensor r = dims.empty() ? t : sum(t, dims, /*keepdim=*/true);
  return r.reshape(shape);
}

// ---- operators ----
namespace {
Tensor scalar_like(const Tensor& t, double s) { return Tensor::full({}, s, t.dtype(), t.device()); }
}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double s) { return add(a, scalar_like(a, s)); }
Tensor operator-(const Tensor& a, double s) { return sub(a, scalar_like(a, s)); }
Tensor operator*(const Tensor& a, double s) { return mul(a, scalar_like(a, s)); }
Tensor operator/(const Tensor& a, double s) { return mul(a, scalar_like(a, 1.0 / s)); }
Tensor operator+(double s, const Tensor& a) { return add(scalar_like(a, s), a); }
Tensor operator-(double s, const Tensor& a) { return sub(scalar_like(a, s), a); }
Tensor operator*(double s, const Tensor& a) { return mul(scalar_like(a, s), a); }
Tensor operator-(const Tensor& a) { return mul(a, scalar_like(a, -1.0)); }

}  // namespace csgis
