// Views: reshape, permute, transpose, slice, (un)squeeze. They share storage with their input;
// their backward rules map the gradient back to the input's shape.
#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace csgis {

namespace {
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op) {
  if (d < 0) d += ndim;
  CSGIS_CHECK(d >= 0 && d < ndim, op, ": dimension ", d, " out of range for ", ndim, "-d tensor");
  return d;
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(impl);
}

Shape infer_shape(Shape shape, int64_t numel) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      CSGIS_CHECK(infer < 0, "reshape: only one dimension can be -1");
      infer = int64_t(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    CSGIS_CHECK(known > 0 && numel % known == 0, "reshape: cannot infer -1 for ", numel, " elements");
    shape[infer] = numel / known;
  }
  CSGIS_CHECK(shape_numel(shape) == numel, "reshape: shape ", shape_str(shape), " has ",
              shape_numel(shape), " elements, tensor has ", numel);
  return shape;
}
}  // namespace

Tensor Tensor::view(const Shape& new_shape) const {
  CSGIS_CHECK(is_contiguous(), "view() of a non-contiguous tensor ", str(), ": use reshape()");
  Shape s = infer_shape(new_shape, numel());
  Tensor out = make_view(*this, s, contiguous_strides(s), offset());
  if (autograd::needs_grad({*this})) {
    Shape in_shape = shape();
    autograd::record(out, "View", {*this}, [in_shape](const Tensor& g) -> std::vector<Tensor> {
      return {g.reshape(in_shape)};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  if (is_contiguous()) return view(new_shape);
  return contiguous().view(new_shape);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  const int64_t n = dim();
  CSGIS_CHECK(int64_t(dims.size()) == n, "permute: ", dims.size(), " dims for a ", n, "-d tensor");
  Shape s(n), st(n);
  std::vector<int64_t> inverse(n, -1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = wrap_dim(dims[i], n, "permute");
    CSGIS_CHECK(inverse[d] < 0, "permute: dimension ", d, " repeated");
    inverse[d] = i;
    s[i] = shape()[d];
    st[i] = strides()[d];
  }
  Tensor out = make_view(*this, s, st, offset());
  if (autograd::needs_grad({*this})) {
    autograd::record(out, "Permute", {*this}, [inverse](const Tensor& g) -> std::vector<Tensor> {
      return {g.permute(inverse)};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> dims(dim());
  for (int64_t i = 0; i < dim(); ++i) dims[i] = i;
  std::swap(dims[wrap_dim(d0, dim(), "transpose")], dims[wrap_dim(d1, dim(), "transpose")]);
  return permute(dims);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  const int64_t len = shape()[d];
  CSGIS_CHECK(step >= 1, "slice: step must be >= 1, got ", step);
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = std::min(std::max<int64_t>(start, 0), len);
  end = std::min(std::max<int64_t>(end, start), len);
  Shape s = shape(), st = strides();
  s[d] = (end - start + step - 1) / step;
  st[d] = strides()[d] * step;
  Tensor out = make_view(*this, s, st, offset() + start * strides()[d]);
  if (autograd::needs_grad({*this})) {
    Shape in_shape = shape();
    autograd::record(out, "Slice", {*this}, [in_shape, d, start, end, step](const Tensor& g) -> std::vector<Tensor> {
      Tensor gi = Tensor::zeros(in_shape, g.dtype(), g.device());
      gi.slice(d, start, end, step).copy_(g);
      return {gi};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor Tensor::unsqueeze(int64_t d) const {
  if (d < 0) d += dim() + 1;
  CSGIS_CHECK(d >= 0 && d <= dim(), "unsqueeze: dimension out of range");
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return reshape(s);
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  CSGIS_CHECK(shape()[d] == 1, "squeeze: dimension ", d, " has size ", shape()[d]);
  Shape s = shape();
  s.erase(s.begin() + d);
  return reshape(s);
}

}  // namespace csgis
