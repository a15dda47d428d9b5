// Thin wrappers over the CUDA runtime, cuBLAS and cuDNN used by the engine. Implemented in
// cuda_backend.cpp; in a build without CUDA every function throws a clear error, so code above
// this layer compiles the same way everywhere.
#pragma once
#include <cstddef>

#include "engine/device.h"

namespace csgis::cuda_backend {

enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };

bool built_with_cuda();
int device_count();  // 0 without CUDA or without a device (counted once per process)
int current_device();  // the calling thread's current CUDA device
void set_device(int device);
// Both leave the thread's current device as they found it.
void* malloc_device(size_t bytes, int device);  // nullptr when out of memory
void free_device(void* p, int device);
// Events for stream-ordered frees (CachingAllocator's StreamEvents): an event recorded after the
// work queued on `stream`, whether it has completed, waiting for it, destroying it.
void* event_record(cudaStream_t stream);
bool event_done(void* event);
void event_wait(void* event);
void event_destroy(void* event) noexcept;
void memcpy_async(void* dst, const void* src, size_t bytes, CopyKind kind, cudaStream_t stream);
void memset_async(void* dst, int value, size_t bytes, cudaStream_t stream);
void stream_synchronize(cudaStream_t stream);
void* cublas_create(cudaStream_t stream);
void cublas_destroy(void* handle) noexcept;
void* cudnn_create(cudaStream_t stream);
void cudnn_destroy(void* handle) noexcept;

}  // namespace csgis::cuda_backend
