// Memory for tensors. A caching allocator keeps freed blocks in size-class free lists per stream and
// hands them out again, so steady-state training does no cudaMalloc/cudaFree. The same caching logic
// runs over host memory for the SIMT test device, which is how CI exercises it without a GPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "engine/device.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes, cudaStream_t stream) = 0;
  virtual void deallocate(void* ptr, size_t bytes, cudaStream_t stream) = 0;
};

struct AllocatorStats {
  size_t allocated_bytes = 0;       // handed out and not yet returned
  size_t reserved_bytes = 0;        // obtained from the raw allocator (allocated + cached)
  size_t peak_allocated_bytes = 0;
  size_t raw_allocations = 0;       // calls to the raw allocator
  size_t cache_hits = 0;
};

// Size classes: requests are rounded up to 512 B below 1 MiB and to 2 MiB above, then served
// best-fit from the free list of the same stream. A block is only reused on the stream that freed
// it, so no cross-stream event is needed (the stream orders the free before the reuse).
class CachingAllocator final : public Allocator {
 public:
  using RawAlloc = std::function<void*(size_t)>;
  using RawFree = std::function<void(void*)>;
  CachingAllocator(RawAlloc raw_alloc, RawFree raw_free);
  ~CachingAllocator() override;
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes, cudaStream_t stream) override;
  void deallocate(void* ptr, size_t bytes, cudaStream_t stream) override;
  // Returns every cached (free) block to the raw allocator.
  void empty_cache();
  AllocatorStats stats() const;
  void reset_peak();
  static size_t round_size(size_t bytes);

 private:
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  mutable std::mutex mutex_;
  // (stream, rounded size) -> free blocks
  std::multimap<std::pair<cudaStream_t, size_t>, void*> free_blocks_;
  std::map<void*, size_t> live_sizes_;  // rounded size of every block handed out
  AllocatorStats stats_;
};

// 64-byte aligned host memory (no caching: the C library already caches).
class HostAllocator final : public Allocator {
 public:
  void* allocate(size_t bytes, cudaStream_t stream) override;
  void deallocate(void* ptr, size_t bytes, cudaStream_t stream) override;
};

HostAllocator& host_allocator();
void* aligned_host_alloc(size_t bytes);
void aligned_host_free(void* p);

}  // namespace csgis
#pragma GCC visibility pop
