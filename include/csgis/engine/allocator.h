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
#include <vector>

#include "engine/device.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes, cudaStream_t stream) = 0;
  // `stream`: the one the block was allocated on; `other_streams`: the other streams that used it
  // (Storage::note_use), whose queued work must finish before the block is handed out again.
  virtual void deallocate(void* ptr, size_t bytes, cudaStream_t stream,
                          const std::vector<cudaStream_t>& other_streams = {}) = 0;
};

struct AllocatorStats {
  size_t allocated_bytes = 0;       // handed out and not yet returned
  size_t reserved_bytes = 0;        // obtained from the raw allocator (allocated + cached)
  size_t peak_allocated_bytes = 0;
  size_t raw_allocations = 0;       // calls to the raw allocator
  size_t cache_hits = 0;
  size_t pending_blocks = 0;        // freed, waiting for other streams' work (not yet reusable)
};

// Events on streams, for frees that other streams must finish with first (CUDA: cudaEventRecord,
// cudaEventQuery, cudaEventSynchronize, cudaEventDestroy; tests pass their own).
struct StreamEvents {
  std::function<void*(cudaStream_t)> record;  // an event after the work queued on the stream so far
  std::function<bool(void*)> done;            // has that work finished?
  std::function<void(void*)> wait;            // blocks until it has
  std::function<void(void*)> destroy;
};

// Size classes: requests are rounded up to 512 B below 1 MiB and to 2 MiB above, then served
// best-fit from the free list of the same stream. A block is only reused on the stream it was
// allocated on, which orders its earlier uses there before the reuse. When other streams used it
// too, the free records an event on each of them and the block waits in a pending list until all
// have completed (checked at each allocation; waited for when memory runs out or the cache is
// emptied): a kernel still reading it on another stream never sees it overwritten.
class CachingAllocator final : public Allocator {
 public:
  using RawAlloc = std::function<void*(size_t)>;
  using RawFree = std::function<void(void*)>;
  CachingAllocator(RawAlloc raw_alloc, RawFree raw_free, StreamEvents events = {});
  ~CachingAllocator() override;
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes, cudaStream_t stream) override;
  void deallocate(void* ptr, size_t bytes, cudaStream_t stream,
                  const std::vector<cudaStream_t>& other_streams = {}) override;
  // Returns every cached (free) block to the raw allocator, after waiting for pending ones.
  void empty_cache();
  AllocatorStats stats() const;
  void reset_peak();
  static size_t round_size(size_t bytes);

 private:
  struct Pending {
    void* ptr;
    size_t size;
    cudaStream_t stream;
    std::vector<void*> events;
  };
  void reclaim_pending(bool wait);  // moves finished (all, with wait) pending blocks to the free lists
  void free_cached();

  RawAlloc raw_alloc_;
  RawFree raw_free_;
  StreamEvents events_;
  mutable std::mutex mutex_;
  std::vector<Pending> pending_;
  // (stream, rounded size) -> free blocks
  std::multimap<std::pair<cudaStream_t, size_t>, void*> free_blocks_;
  std::map<void*, size_t> live_sizes_;  // rounded size of every block handed out
  AllocatorStats stats_;
};

// 64-byte aligned host memory (no caching: the C library already caches).
class HostAllocator final : public Allocator {
 public:
  void* allocate(size_t bytes, cudaStream_t stream) override;
  void deallocate(void* ptr, size_t bytes, cudaStream_t stream,
                  const std::vector<cudaStream_t>& other_streams = {}) override;
};

HostAllocator& host_allocator();
void* aligned_host_alloc(size_t bytes);
void aligned_host_free(void* p);

}  // namespace csgis
#pragma GCC visibility pop
