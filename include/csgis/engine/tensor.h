// Tensor: a shared handle to (storage, shape, strides, offset, dtype) plus autograd metadata.
// Copies of a Tensor alias the same data (like torch.Tensor); views (reshape of contiguous data,
// permute, slice, transpose) share storage. Kernels read any strides through the strided copy, but
// most ops ask for contiguous inputs and call contiguous() (a no-op when already so).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/allocator.h"
#include "engine/device.h"
#include "engine/dtype.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);

class Generator;
class Tensor;

namespace autograd {
class Node;
}

// Owns (or, for from_blob, borrows) one allocation.
class Storage {
 public:
  Storage(size_t nbytes, Device device);  // allocates through the current context
  // Borrowed memory: `release` (may be empty) runs when the last tensor using it goes away.
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  // Bumped by every in-place write through the engine (copy_, fill_, optimizer steps), shared by
  // all views of the storage: autograd compares it with the value a backward saw at forward time.
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }
  // Work queued on `stream` reads or writes this storage. Called for CUDA storages whenever op code
  // takes their pointer (Tensor::raw_data) with the current stream; a stream other than the one
  // the block came from is remembered, and freeing the block then waits for that stream's work
  // (CachingAllocator's pending frees) before the block can be handed out again.
  void note_use(cudaStream_t stream);

 private:
  std::atomic<uint64_t> version_{0};
  std::mutex uses_mutex_;
  std::vector<cudaStream_t> other_streams_;  // streams besides stream_ that used the block
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::shared_ptr<Allocator> allocator_;  // null for borrowed memory
  cudaStream_t stream_ = nullptr;         // stream the block was allocated on (for the cache)
  std::function<void(void*)> release_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  int64_t offset = 0;  // in elements
  DType dtype = DType::F32;

  // autograd
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;              // accumulated gradient (leaves and retained)
  std::shared_ptr<autograd::Node> grad_fn;       // producer; null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves: shared accumulate node
  std::vector<std::function<void(Tensor&)>> grad_ready_hooks;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                     Device device = Device::cpu());
  // Standard normal / uniform [lo, hi) values drawn on the host from `gen` (default: the current
  // context's generator), then moved to `device`: the same seed gives the same tensor everywhere.
  static Tensor randn(const Shape& shape, Generator* gen = nullptr, DType dtype = DType::F32,
                      Device device = Device::cpu());
  static Tensor rand(const Shape& shape, double lo = 0.0, double hi = 1.0, Generator* gen = nullptr,
                     DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            Device device = Device::cpu());
  // Wraps memory owned by the host program (host memory for CPU, a device pointer for CUDA).
  // Contiguous; `release` (optional) is called when the last tensor referring to it is destroyed.
  static Tensor from_blob(void* data, const Shape& shape, Device device, DType dtype = DType::F32,
                          std::function<void(void*)> release = {});

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t dim() const { return int64_t(shape().size()); }
  int64_t numel() const { return shape_numel(shape()); }
  int64_t offset() const { return impl_->offset; }
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& o) const;
  std::string str() const;  // "Tensor[2, 3] float32 cpu"

  // Raw pointer to the first element (device memory for CUDA tensors).
  void* raw_data() const;
  template <typename T> T* data() const;  // checks the dtype
  template <typename T> std::vector<T> to_vector() const;  // copies to the host, any strides
  double item() const;                                   // one-element tensors

  // ---- conversion and copies ----
  Tensor to(Device device) const;  // copy (or self when already there)
  Tensor to(DType dtype) const;    // float32 <-> float64 on host-memory devices
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor contiguous() const;
  Tensor clone() const;
  // Copies src (same shape, any strides/device/dtype conversion that `to` supports) into this view.
  Tensor& copy_(const Tensor& src);  // in-place writes bump the storage's version (autograd checks it)
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }

  // ---- views (differentiable) ----
  Tensor reshape(const Shape& shape) const;  // view when contiguous, copy otherwise; one -1 allowed
  Tensor view(const Shape& shape) const;     // must be contiguous
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor flatten() const { return reshape({numel()}); }

  // ---- autograd ----
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  Tensor& set_requires_grad(bool r);
  bool is_leaf() const { return !impl_->grad_fn; }
  Tensor grad() const;  // undefined when none was accumulated
  void set_grad(const Tensor& g);
  void zero_grad() { impl_->grad.reset(); }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl_->grad_fn; }
  // Shares data, no history, requires_grad false.
  Tensor detach() const;
  // Reverse-mode pass from this tensor. Without `grad` the tensor must hold one element (seeded 1).
  void backward(const Tensor& grad = Tensor()) const;
  // For leaves: called once per backward pass when this tensor's gradient is complete (all
  // contributions accumulated) — the hook a data-parallel trainer uses to start an all-reduce.
  void register_grad_ready_hook(std::function<void(Tensor&)> hook);

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Arithmetic with broadcasting (defined with the elementwise ops).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double s);
Tensor operator-(const Tensor& a, double s);
Tensor operator*(const Tensor& a, double s);
Tensor operator/(const Tensor& a, double s);
Tensor operator+(double s, const Tensor& a);
Tensor operator-(double s, const Tensor& a);
Tensor operator*(double s, const Tensor& a);
Tensor operator-(const Tensor& a);

}  // namespace csgis
#pragma GCC visibility pop
