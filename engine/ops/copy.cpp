// The copy family: Tensor::copy_ (strided, dtype-converting on the host, host <-> device),
// fill_, to(device / dtype), contiguous and clone, with their backward rules. Kernels:
// kernels/cpu/copy.cpp and kernels/cuda/copy.cu (strided copy, fill).
#include <cstdint>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/cuda_backend.h"
#include "engine/dispatch.h"
#include "engine/error.h"
#include "engine/tensor.h"
#include "kernels/cpu/copy.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/copy.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
// Bumps the written tensor's storage version on every way out of an in-place write.
struct VersionBump {
  const Tensor& t;
  ~VersionBump() {
    if (t.defined() && t.impl()->storage) t.impl()->storage->bump_version();
  }
};

// `t`'s layout in 4-byte words: `words` per element (2 for int64 and float64) become an innermost
// dimension of that size, contiguous, with every element stride scaled by it.
StridedLayout word_layout(const Tensor& t, int words) {
  StridedLayout l = layout_of(t);
  if (words == 1) return l;
  CSGIS_CHECK(l.ndim < kMaxDims, "device copy of ", dtype_name(t.dtype()), ": at most ", kMaxDims - 1,
              " dimensions, got ", l.ndim);
  for (int d = 0; d < l.ndim; ++d) l.strides[d] *= words;
  l.sizes[l.ndim] = words;
  l.strides[l.ndim] = 1;
  ++l.ndim;
  return l;
}
}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  const VersionBump bump{*this};
  CSGIS_CHECK(src.shape() == shape(), "copy_: source shape ", shape_str(src.shape()),
              " does not match destination shape ", shape_str(shape()));
  CSGIS_CHECK(!(autograd::grad_enabled() && requires_grad()),
              "copy_ into a tensor that requires grad (wrap in NoGradGuard)");
  const Device sd = src.device(), dd = device();
  if (numel() == 0) return *this;
  // The emulated device runs same-dtype copies through the CUDA kernel, as CUDA does, so the
  // emulator tests that path.
  const bool simt_kernel = sd.is_simt() && dd.is_simt() && src.dtype() == dtype();
  if (sd.is_host_memory() && dd.is_host_memory() && !simt_kernel) {
    const auto sl = layout_of(src), dl = layout_of(*this);
    auto run = [&](auto s0, auto d0) {
      using S = decltype(s0);
      using D = decltype(d0);
      cpu::strided_copy<S, D>(static_cast<const S*>(src.raw_data()), sl, static_cast<D*>(raw_data()), dl);
    };
    // float32, float64 and int64 convert into each other (int64 <-> float rounds as C++ does).
    auto with_type = [](DType t, auto&& f) {
      if (t == DType::I64) return f(int64_t{});
      dispatch_float(t, f);
    };
    with_type(src.dtype(), [&](auto s0) { with_type(dtype(), [&](auto d0) { run(s0, d0); }); });
    return *this;
  }
  CSGIS_CHECK(src.dtype() == dtype(), "copy_ across devices needs equal dtypes (", dtype_name(src.dtype()),
              " to ", dtype_name(dtype()), "); convert on the host first");
  if ((sd.is_cuda() && dd.is_cuda()) || simt_kernel) {
    // One kernel for every dtype: it moves 4-byte words, so an 8-byte element (int64, float64) is
    // two words, an innermost dimension of 2 with the strides doubled. (The first run on a GPU
    // found int64 BatchNorm counters failing here; the emulator took the host path for them.)
    const int words = int(dtype_size(dtype()) / sizeof(float));
    CSGIS_CHECK(words == 1 || words == 2, "device copy of ", dtype_name(dtype()), ": elements of ",
                dtype_size(dtype()), " bytes");
    CSGIS_GPU_CALL(dd, strided_copy, static_cast<const float*>(src.raw_data()), word_layout(src, words),
                   static_cast<float*>(raw_data()), word_layout(*this, words));
    return *this;
  }
  // Host <-> device: bring both sides to contiguous buffers, then one memcpy.
  Tensor s = src.contiguous();
  Tensor d = is_contiguous() ? *this : Tensor::empty(shape(), dtype(), dd);
  const auto kind = sd.is_cuda() ? cuda_backend::CopyKind::DeviceToHost : cuda_backend::CopyKind::HostToDevice;
  cuda_backend::memcpy_async(d.raw_data(), s.raw_data(), nbytes(), kind,
                             current_stream(sd.is_cuda() ? sd : dd));
  if (!d.same_storage(*this)) copy_(d);
  return *this;
}

Tensor& Tensor::fill_(double value) {
  const VersionBump bump{*this};
  const Device d = device();
  if (numel() == 0) return *this;
  if (!is_contiguous()) return copy_(Tensor::full(shape(), value, dtype(), d));
  if (d.is_cpu()) {
    if (dtype() == DType::I64) {
      cpu::fill<int64_t>(data<int64_t>(), numel(), int64_t(value));
    } else {
      dispatch_float(dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::fill<T>(data<T>(), numel(), T(value));
      });
    }
  } else if (dtype() == DType::F32) {
    CSGIS_GPU_CALL(d, fill, data<float>(), numel(), float(value));
  } else {
    // int64 / float64 on a device (or the emulated one, alike): no fill kernel; the host fills and
    // one copy moves the bytes. Only small tensors live there (BatchNorm's counters).
    copy_(Tensor::full(shape(), value, dtype(), Device::cpu()));
  }
  return *this;
}

Tensor Tensor::to(Device d) const {
  if (device() == d) return *this;
  Tensor out = Tensor::empty(shape(), dtype(), d);
  {
    autograd::NoGradGuard g;
    out.copy_(*this);
  }
  if (autograd::needs_grad({*this})) {
    const Device src = device();
    autograd::record(out, "ToDevice", {*this}, [src](const Tensor& g) -> std::vector<Tensor> {
      return {g.to(src)};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor Tensor::to(DType t) const {
  if (dtype() == t) return *this;
  // No conversion kernels on a device: through the host, on CUDA and the emulator alike (the
  // emulator once converted in place, in its host memory, and so passed where CUDA refused).
  if (!device().is_cpu()) return to(Device::cpu()).to(t).to(device());
  Tensor out = Tensor::empty(shape(), t, device());
  {
    autograd::NoGradGuard g;
    out.copy_(*this);
  }
  if (autograd::needs_grad({*this})) {
    const DType src = dtype();
    autograd::record(out, "ToDType", {*this}, [src](const Tensor& g) -> std::vector<Tensor> {
      return {g.to(src)};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype(), device());
  {
    autograd::NoGradGuard g;
    out.copy_(*this);
  }
  if (autograd::needs_grad({*this}))
    autograd::record(out, "Clone", {*this}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; }, std::vector<Tensor>{});
  return out;
}

}  // namespace csgis
