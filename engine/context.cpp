#include "engine/context.h"

#include <string>

#include "engine/cpu_isa.h"
#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "kernels/cpu/scratch.h"
#include "kernels/simt/simt_checks.h"

namespace csgis {
namespace {
// What the SIMT device's tensors get: the caching allocator's block, with simt's guard zones around
// what was asked for and its NaN fill inside (kernels/simt/simt.h, "Device memory"), so the parity
// tests see reads of memory nobody wrote and writes past a tensor's end, as a GPU would punish them.
class GuardedSimtAllocator final : public Allocator {
 public:
  explicit GuardedSimtAllocator(std::shared_ptr<CachingAllocator> inner) : inner_(std::move(inner)) {}
  void* allocate(size_t bytes, cudaStream_t stream) override {
    return simt::track_device_allocation(inner_->allocate(bytes + 2 * simt::kDeviceGuardBytes, stream), bytes);
  }
  void deallocate(void* ptr, size_t bytes, cudaStream_t stream, const std::vector<cudaStream_t>& other) override {
    inner_->deallocate(simt::untrack_device_allocation(ptr), bytes + 2 * simt::kDeviceGuardBytes, stream, other);
  }

 private:
  std::shared_ptr<CachingAllocator> inner_;
};
}  // namespace

Context::Context(int cuda_device, cudaStream_t stream, uint64_t seed)
    : cuda_device_(cuda_device), stream_(stream), generator_(seed), cpu_scratch_(std::make_unique<cpu::ScratchArena>()) {}

Context::~Context() {
  if (cublas_) cuda_backend::cublas_destroy(cublas_);
  if (cudnn_) cuda_backend::cudnn_destroy(cudnn_);
}

CachingAllocator& Context::cuda_allocator() {
  std::call_once(cuda_alloc_once_, [this] {
    const int dev = cuda_device_;
    StreamEvents events{cuda_backend::event_record, cuda_backend::event_done, cuda_backend::event_wait,
                        cuda_backend::event_destroy};
    cuda_alloc_ = std::make_shared<CachingAllocator>(
        [dev](size_t n) { return cuda_backend::malloc_device(n, dev); },
        [dev](void* p) { cuda_backend::free_device(p, dev); }, std::move(events));
  });
  return *cuda_alloc_;
}

CachingAllocator& Context::simt_allocator() {
  std::call_once(simt_alloc_once_, [this] {
    simt_alloc_ = std::make_shared<CachingAllocator>([](size_t n) { return aligned_host_alloc(n); },
                                                     [](void* p) { aligned_host_free(p); });
  });
  return *simt_alloc_;
}

std::shared_ptr<Allocator> Context::allocator_for(Device d) {
  switch (d.type) {
    case DeviceType::CPU:
      return std::shared_ptr<Allocator>(&host_allocator(), [](Allocator*) {});
    case DeviceType::CUDA:
      CSGIS_CHECK(d.index == cuda_device_, "tensor on ", d.str(), " but the current context uses cuda:",
                  cuda_device_, " (create a Context for that device)");
      cuda_allocator();
      return cuda_alloc_;
    case DeviceType::SIMT:
      simt_allocator();
      return std::make_shared<GuardedSimtAllocator>(simt_alloc_);
  }
  CSGIS_FAIL("unknown device");
}

void* Context::cublas_handle() {
  std::call_once(cublas_once_, [this] { cublas_ = cuda_backend::cublas_create(stream_); });
  return cublas_;
}

void* Context::cudnn_handle() {
  std::call_once(cudnn_once_, [this] { cudnn_ = cuda_backend::cudnn_create(stream_); });
  return cudnn_;
}

std::size_t Context::cpu_scratch_bytes() const {
  std::lock_guard<std::mutex> lock(cpu_scratch_->mutex());
  return cpu_scratch_->bytes();
}

void Context::release_cpu_scratch() {
  std::lock_guard<std::mutex> lock(cpu_scratch_->mutex());  // waits for a kernel using it
  cpu_scratch_->release();
}

ScratchLease::ScratchLease(Context& ctx) : lock_(ctx.cpu_scratch().mutex(), std::try_to_lock) {
  if (lock_.owns_lock()) arena_ = &ctx.cpu_scratch();
}

void Context::synchronize() {
  if (cuda_backend::built_with_cuda() && cuda_backend::device_count() > 0)
    cuda_backend::stream_synchronize(stream_);
}

namespace {
thread_local Context* tls_current = nullptr;
}

Context& current_context() {
  if (tls_current) return *tls_current;
  // One default per process, created on first use; host programs that care create their own.
  static Context default_context;
  return default_context;
}

ContextGuard::ContextGuard(Context& ctx) : previous_(tls_current) {
  // Where a GPU exists, the context's device becomes the thread's current one (kernels launch on
  // the current device); without one the guard only counts devices (once per process).
  if (const int n = cuda_backend::device_count(); n > 0) {
    const int want = ctx.cuda_device();
    CSGIS_CHECK(want >= 0 && want < n, "a context for cuda:", want, " but this machine has ", n,
                " CUDA device", n == 1 ? "" : "s", " (cuda:0", n > 1 ? "-" + std::to_string(n - 1) : std::string(), ")");
    const int current = cuda_backend::current_device();
    if (current != want) {
      cuda_backend::set_device(want);
      previous_device_ = current;
    }
  }
  tls_current = &ctx;
}

ContextGuard::~ContextGuard() {
  tls_current = previous_;
  if (previous_device_ >= 0) {
    try {
      cuda_backend::set_device(previous_device_);
    } catch (...) {  // a destructor cannot report it; the device was valid when the guard began
    }
  }
}

cudaStream_t current_stream(Device d) {
  return d.is_cuda() ? current_context().stream() : nullptr;
}

}  // namespace csgis
