#include "engine/allocator.h"

#include <cstdlib>
#include <new>

#include "engine/error.h"

namespace csgis {

namespace {
constexpr size_t kSmallLimit = size_t(1) << 20;
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t(2) << 20;
}  // namespace

size_t CachingAllocator::round_size(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t r = bytes < kSmallLimit ? kSmallRound : kLargeRound;
  return (bytes + r - 1) / r * r;
}

CachingAllocator::CachingAllocator(RawAlloc raw_alloc, RawFree raw_free, StreamEvents events)
    : raw_alloc_(std::move(raw_alloc)), raw_free_(std::move(raw_free)), events_(std::move(events)) {
  CSGIS_CHECK(!events_.record || (events_.done && events_.wait && events_.destroy),
              "CachingAllocator: StreamEvents needs record, done, wait and destroy together");
}

CachingAllocator::~CachingAllocator() {
  // Live blocks belong to tensors that outlive us only through a programming error; free the cache.
  try {
    empty_cache();
  } catch (...) {  // at process exit the CUDA runtime may be gone; the memory goes with the process
  }
}

void* CachingAllocator::allocate(size_t bytes, cudaStream_t stream) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending_.empty()) reclaim_pending(false);
  // Best fit: the smallest cached block of this stream that is large enough, but not more than
  // twice the request (a huge block would otherwise be pinned by a tiny tensor).
  auto it = free_blocks_.lower_bound({stream, size});
  void* ptr = nullptr;
  size_t got = size;
  if (it != free_blocks_.end() && it->first.first == stream && it->first.second <= 2 * size) {
    ptr = it->second;
    got = it->first.second;
    free_blocks_.erase(it);
    stats_.cache_hits++;
  } else {
    ptr = raw_alloc_(size);
    if (!ptr) {
      // Out of memory: wait for the pending frees, give the cache back and try once more.
      reclaim_pending(true);
      free_cached();
      ptr = raw_alloc_(size);
      CSGIS_CHECK(ptr != nullptr, "out of memory allocating ", size, " bytes (",
                  stats_.allocated_bytes, " bytes in use)");
    }
    stats_.raw_allocations++;
    stats_.reserved_bytes += size;
  }
  live_sizes_[ptr] = got;
  stats_.allocated_bytes += got;
  if (stats_.allocated_bytes > stats_.peak_allocated_bytes)
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
  return ptr;
}

void CachingAllocator::deallocate(void* ptr, size_t /*bytes*/, cudaStream_t stream,
                                  const std::vector<cudaStream_t>& other_streams) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_sizes_.find(ptr);
  CSGIS_CHECK(it != live_sizes_.end(), "CachingAllocator: freeing a pointer it did not allocate");
  const size_t size = it->second;
  std::vector<void*> events;
  bool recorded = true;
  for (cudaStream_t s : other_streams) {
    if (s == stream) continue;
    CSGIS_CHECK(events_.record, "CachingAllocator: a block used on another stream, but this allocator has no events");
    try {
      events.push_back(events_.record(s));
    } catch (...) {  // frees run in destructors: never throw from here
      recorded = false;
      break;
    }
  }
  live_sizes_.erase(it);
  stats_.allocated_bytes -= size;
  if (!recorded) {
    // Without the events nothing says when the other streams are done with the block: it is never
    // handed out again (it stays reserved until the process ends), which is safe.
    for (void* e : events) events_.destroy(e);
  } else if (events.empty()) {
    free_blocks_.emplace(std::make_pair(stream, size), ptr);
  } else {
    pending_.push_back(Pending{ptr, size, stream, std::move(events)});
    stats_.pending_blocks = pending_.size();
  }
}

void CachingAllocator::reclaim_pending(bool wait) {
  size_t kept = 0;
  for (Pending& p : pending_) {
    bool finished = true;
    for (void* e : p.events) {
      if (wait) events_.wait(e);
      else if (!events_.done(e)) finished = false;
      if (!finished) break;
    }
    if (finished) {
      for (void* e : p.events) events_.destroy(e);
      free_blocks_.emplace(std::make_pair(p.stream, p.size), p.ptr);
    } else {
      if (&pending_[kept] != &p) pending_[kept] = std::move(p);
      ++kept;
    }
  }
  pending_.resize(kept);
  stats_.pending_blocks = kept;
}

void CachingAllocator::free_cached() {
  for (auto& kv : free_blocks_) {
    raw_free_(kv.second);
    stats_.reserved_bytes -= kv.first.second;
  }
  free_blocks_.clear();
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  reclaim_pending(true);
  free_cached();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_allocated_bytes = stats_.allocated_bytes;
}

void* aligned_host_alloc(size_t bytes) {
  const size_t size = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, size == 0 ? 64 : size);
  if (!p) throw std::bad_alloc();
  return p;
}

void aligned_host_free(void* p) { std::free(p); }

void* HostAllocator::allocate(size_t bytes, cudaStream_t) { return aligned_host_alloc(bytes); }
void HostAllocator::deallocate(void* ptr, size_t, cudaStream_t, const std::vector<cudaStream_t>&) {
  aligned_host_free(ptr);  // host memory is used synchronously: no stream to wait for
}

HostAllocator& host_allocator() {
  static HostAllocator a;  // stateless
  return a;
}

}  // namespace csgis
