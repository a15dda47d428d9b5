#include "engine/cuda_backend.h"

#include "engine/error.h"

#if CSGIS_HAS_CUDA
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "kernels/cuda/conv2d_cudnn.h"  // the cuDNN session behind cudnn_create

#define CSGIS_CUDART(expr)                                                                 \
  do {                                                                                     \
    cudaError_t e_ = (expr);                                                               \
    if (e_ != cudaSuccess)                                                                 \
      throw ::csgis::Error(::csgis::detail::concat("CUDA error ", cudaGetErrorName(e_), " (",            \
                                                   cudaGetErrorString(e_), ")"),                        \
                           ::csgis::detail::concat("`" #expr "` at ", __FILE__, ":", __LINE__));            \
  } while (0)

namespace csgis::cuda_backend {

bool built_with_cuda() { return true; }

int device_count() {
  static const int count = [] {  // devices do not come and go within a process
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no device" error
      return 0;
    }
    return n;
  }();
  return count;
}

int current_device() {
  int d = 0;
  CSGIS_CUDART(cudaGetDevice(&d));
  return d;
}

void set_device(int device) { CSGIS_CUDART(cudaSetDevice(device)); }

namespace {
// Makes `device` current for a scope and puts the thread's previous device back afterwards.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    if (cudaGetDevice(&previous_) != cudaSuccess) previous_ = -1;
    if (previous_ != device) CSGIS_CUDART(cudaSetDevice(device));
    else previous_ = -1;  // nothing to restore
  }
  ~DeviceScope() {
    if (previous_ >= 0) cudaSetDevice(previous_);
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = -1;
};
}  // namespace

void* malloc_device(size_t bytes, int device) {
  DeviceScope scope(device);
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return p;
}

void free_device(void* p, int device) {
  DeviceScope scope(device);
  cudaFree(p);  // errors at teardown are not actionable
}

void* event_record(cudaStream_t stream) {
  cudaEvent_t e = nullptr;
  CSGIS_CUDART(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  const cudaError_t r = cudaEventRecord(e, stream);
  if (r != cudaSuccess) {
    cudaEventDestroy(e);
    CSGIS_CUDART(r);
  }
  return e;
}

bool event_done(void* event) {
  const cudaError_t r = cudaEventQuery(static_cast<cudaEvent_t>(event));
  if (r == cudaErrorNotReady) return false;
  CSGIS_CUDART(r);
  return true;
}

void event_wait(void* event) { CSGIS_CUDART(cudaEventSynchronize(static_cast<cudaEvent_t>(event))); }

void event_destroy(void* event) noexcept { cudaEventDestroy(static_cast<cudaEvent_t>(event)); }

void memcpy_async(void* dst, const void* src, size_t bytes, CopyKind kind, cudaStream_t stream) {
  const cudaMemcpyKind k = kind == CopyKind::HostToDevice   ? cudaMemcpyHostToDevice
                           : kind == CopyKind::DeviceToHost ? cudaMemcpyDeviceToHost
                                                            : cudaMemcpyDeviceToDevice;
  CSGIS_CUDART(cudaMemcpyAsync(dst, src, bytes, k, stream));
  // Host buffers may be pageable and owned by the caller: make host-side copies complete.
  if (kind != CopyKind::DeviceToDevice) CSGIS_CUDART(cudaStreamSynchronize(stream));
}

void memset_async(void* dst, int value, size_t bytes, cudaStream_t stream) {
  CSGIS_CUDART(cudaMemsetAsync(dst, value, bytes, stream));
}

void stream_synchronize(cudaStream_t stream) { CSGIS_CUDART(cudaStreamSynchronize(stream)); }

void* cublas_create(cudaStream_t stream) {
  cublasHandle_t h = nullptr;
  CSGIS_CHECK(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS, "cublasCreate failed");
  cublasSetStream(h, stream);
  return h;
}

void cublas_destroy(void* handle) noexcept { cublasDestroy(static_cast<cublasHandle_t>(handle)); }

void* cudnn_create(cudaStream_t stream) { return cudnn::create_session(stream); }

void cudnn_destroy(void* handle) noexcept { cudnn::destroy_session(handle); }

}  // namespace csgis::cuda_backend

#else  // built without CUDA

namespace csgis::cuda_backend {
#define CSGIS_NO_CUDA() CSGIS_FAIL("this build of csgis has no CUDA support (configure with CSGIS_CUDA=ON)")
bool built_with_cuda() { return false; }
int device_count() { return 0; }
int current_device() { CSGIS_NO_CUDA(); }
void set_device(int) { CSGIS_NO_CUDA(); }
void* event_record(cudaStream_t) { CSGIS_NO_CUDA(); }
bool event_done(void*) { CSGIS_NO_CUDA(); }
void event_wait(void*) { CSGIS_NO_CUDA(); }
void event_destroy(void*) noexcept {}
void* malloc_device(size_t, int) { CSGIS_NO_CUDA(); }
void free_device(void*, int) {}
void memcpy_async(void*, const void*, size_t, CopyKind, cudaStream_t) { CSGIS_NO_CUDA(); }
void memset_async(void*, int, size_t, cudaStream_t) { CSGIS_NO_CUDA(); }
void stream_synchronize(cudaStream_t) { CSGIS_NO_CUDA(); }
void* cublas_create(cudaStream_t) { CSGIS_NO_CUDA(); }
void cublas_destroy(void*) noexcept {}
void* cudnn_create(cudaStream_t) { CSGIS_NO_CUDA(); }
void cudnn_destroy(void*) noexcept {}
}  // namespace csgis::cuda_backend

#endif
