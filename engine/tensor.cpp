#include "engine/tensor.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/cuda_backend.h"
#include "engine/dispatch.h"
#include "engine/error.h"
#include "engine/generator.h"

namespace csgis {

// ---------------------------------------------------------------- shapes
std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto v : s) n *= v;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = int64_t(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

Device Device::parse(const std::string& s) {
  if (s == "cpu") return cpu();
  if (s == "simt") return simt();
  if (s == "cuda") return cuda(0);
  if (s.rfind("cuda:", 0) == 0) {
    try {
      return cuda(std::stoi(s.substr(5)));
    } catch (...) {
    }
  }
  CSGIS_FAIL("unknown device '", s, "' (expected cpu, cuda, cuda:N or simt)");
}

std::string Device::str() const {
  switch (type) {
    case DeviceType::CPU: return "cpu";
    case DeviceType::SIMT: return "simt";
    case DeviceType::CUDA: return "cuda:" + std::to_string(index);
  }
  return "?";
}

bool cuda_available() { return cuda_backend::device_count() > 0; }
int cuda_device_count() { return cuda_backend::device_count(); }

namespace detail {
void no_cuda_build() { CSGIS_FAIL("this build of csgis has no CUDA support"); }
}  // namespace detail

StridedLayout layout_of(const Tensor& t) {
  CSGIS_CHECK(t.dim() <= kMaxDims, "tensors have at most ", kMaxDims, " dimensions, got ", t.dim());
  StridedLayout l;
  l.ndim = int(t.dim());
  for (int d = 0; d < l.ndim; ++d) {
    l.sizes[d] = t.shape()[d];
    l.strides[d] = t.strides()[d];
  }
  return l;
}

// ---------------------------------------------------------------- storage
Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cuda()) CSGIS_CHECK(cuda_available(), "no CUDA device is available for ", device.str());
  allocator_ = current_context().allocator_for(device);
  stream_ = current_stream(device);
  data_ = allocator_->allocate(nbytes, stream_);
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

void Storage::note_use(cudaStream_t stream) {
  if (stream == stream_ || !allocator_) return;  // the common case, lock-free: stream_ never changes
  std::lock_guard<std::mutex> lock(uses_mutex_);
  for (cudaStream_t s : other_streams_)
    if (s == stream) return;
  other_streams_.push_back(stream);
}

Storage::~Storage() {
  if (allocator_) {
    allocator_->deallocate(data_, nbytes_, stream_, other_streams_);
  } else if (release_) {
    release_(data_);
  }
}

// ---------------------------------------------------------------- creation
namespace {
std::shared_ptr<TensorImpl> make_impl(const Shape& shape, DType dtype, Device device) {
  for (auto v : shape) CSGIS_CHECK(v >= 0, "negative dimension in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(size_t(shape_numel(shape)) * dtype_size(dtype), device);
  return impl;
}

Tensor host_values(const Shape& shape, DType dtype, const std::function<double()>& next) {
  Tensor t = Tensor::empty(shape, dtype, Device::cpu());
  const int64_t n = t.numel();
  dispatch_float(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = T(next());
  });
  return t;
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return Tensor(make_impl(shape, dtype, device));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::randn(const Shape& shape, Generator* gen, DType dtype, Device device) {
  Generator& g = gen ? *gen : current_context().generator();
  return host_values(shape, dtype, [&] { return g.normal(); }).to(device);
}

Tensor Tensor::rand(const Shape& shape, double lo, double hi, Generator* gen, DType dtype, Device device) {
  Generator& g = gen ? *gen : current_context().generator();
  return host_values(shape, dtype, [&] { return g.uniform(lo, hi); }).to(device);
}

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& shape, Device device) {
  CSGIS_CHECK(int64_t(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
              " values for shape ", shape_str(shape));
  Tensor t = empty(shape, DType::F32, Device::cpu());
  std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(float));
  return t.to(device);
}

Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& shape, Device device) {
  CSGIS_CHECK(int64_t(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
              " values for shape ", shape_str(shape));
  Tensor t = empty(shape, DType::F64, Device::cpu());
  std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(double));
  return t.to(device);
}

Tensor Tensor::from_blob(void* data, const Shape& shape, Device device, DType dtype,
                         std::function<void(void*)> release) {
  for (auto v : shape)
    CSGIS_CHECK(v >= 0, "from_blob: negative dimension in shape ", shape_str(shape), " (the buffer is not wrapped)");
  CSGIS_CHECK(data != nullptr || shape_numel(shape) == 0, "from_blob: null pointer");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(data, size_t(shape_numel(shape)) * dtype_size(dtype),
                                            device, std::move(release));
  return Tensor(impl);
}

// ---------------------------------------------------------------- metadata
const Shape& Tensor::shape() const {
  CSGIS_CHECK(impl_, "use of an undefined tensor");
  return impl_->shape;
}
const Shape& Tensor::strides() const {
  CSGIS_CHECK(impl_, "use of an undefined tensor");
  return impl_->strides;
}
DType Tensor::dtype() const {
  CSGIS_CHECK(impl_, "use of an undefined tensor");
  return impl_->dtype;
}
Device Tensor::device() const {
  CSGIS_CHECK(impl_, "use of an undefined tensor");
  return impl_->storage->device();
}

int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  if (d < 0) d += n;
  CSGIS_CHECK(d >= 0 && d < n, "dimension ", d, " out of range for shape ", shape_str(shape()));
  return shape()[d];
}

bool Tensor::is_contiguous() const {
  // No element, no layout: as in PyTorch (contiguous_strides gives shape [0, 0] the strides [1, 1],
  // which the loop below would call non-contiguous; fuzz_safetensors found it).
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (impl_->shape[d] != 1 && impl_->strides[d] != expected) return false;
    expected *= impl_->shape[d];
  }
  return true;
}

bool Tensor::same_storage(const Tensor& o) const {
  return impl_ && o.impl_ && impl_->storage == o.impl_->storage;
}

std::string Tensor::str() const {
  if (!impl_) return "Tensor(undefined)";
  return "Tensor" + shape_str(shape()) + " " + dtype_name(dtype()) + " " + device().str();
}

void* Tensor::raw_data() const {
  CSGIS_CHECK(impl_, "use of an undefined tensor");
  if (impl_->storage->device().is_cuda()) impl_->storage->note_use(current_stream(impl_->storage->device()));
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * int64_t(dtype_size(dtype()));
}

template <typename T> T* Tensor::data() const {
  CSGIS_CHECK(dtype() == dtype_of<T>::value, "data<", dtype_name(dtype_of<T>::value),
              ">() on a ", dtype_name(dtype()), " tensor");
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;

template <typename T> std::vector<T> Tensor::to_vector() const {
  Tensor h = to(Device::cpu()).to(dtype_of<T>::value).contiguous();
  const T* p = h.data<T>();
  return std::vector<T>(p, p + h.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;

double Tensor::item() const {
  CSGIS_CHECK(numel() == 1, "item() on a tensor of shape ", shape_str(shape()));
  Tensor h = to(Device::cpu());
  if (h.dtype() == DType::F32) return *h.data<float>();
  if (h.dtype() == DType::F64) return *h.data<double>();
  if (h.dtype() == DType::I64) return double(*h.data<int64_t>());
  CSGIS_FAIL("item() on a ", dtype_name(h.dtype()), " tensor");
}

// ---------------------------------------------------------------- autograd surface
Tensor& Tensor::set_requires_grad(bool r) {
  CSGIS_CHECK(!r || dtype() == DType::F32 || dtype() == DType::F64,
              "only floating-point tensors can require grad");
  CSGIS_CHECK(is_leaf() || r, "set_requires_grad(false) on a non-leaf: use detach()");
  impl_->requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const { return impl_->grad ? Tensor(impl_->grad) : Tensor(); }

void Tensor::set_grad(const Tensor& g) {
  if (g.defined())
    CSGIS_CHECK(g.shape() == shape(), "set_grad: shape ", shape_str(g.shape()), " for a tensor of shape ",
                shape_str(shape()));
  impl_->grad = g.impl_ptr();
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->offset = impl_->offset;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

void Tensor::backward(const Tensor& grad) const { autograd::run_backward(*this, grad); }

void Tensor::register_grad_ready_hook(std::function<void(Tensor&)> hook) {
  CSGIS_CHECK(is_leaf(), "grad-ready hooks are for leaf tensors (parameters)");
  impl_->grad_ready_hooks.push_back(std::move(hook));
}

}  // namespace csgis
