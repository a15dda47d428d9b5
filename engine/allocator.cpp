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

CachingAllocator::CachingAllocator(RawAlloc raw_alloc, RawFree raw_free)
    : raw_alloc_(std::move(raw_alloc)), raw_free_(std::move(raw_free)) {}

CachingAllocator::~CachingAllocator() {
  // Live blocks belong to tensors that outlive us only through a programming error; free the cache.
  empty_cache();
}

void* CachingAllocator::allocate(size_t bytes, cudaStream_t stream) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
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
      // Out of memory: give the cache back and try once more before failing.
      for (auto& kv : free_blocks_) {
        raw_free_(kv.second);
        stats_.reserved_bytes -= kv.first.second;
      }
      free_blocks_.clear();
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

void CachingAllocator::deallocate(void* ptr, size_t /*bytes*/, cudaStream_t stream) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_sizes_.find(ptr);
  CSGIS_CHECK(it != live_sizes_.end(), "CachingAllocator: freeing a pointer it did not allocate");
  const size_t size = it->second;
  live_sizes_.erase(it);
  stats_.allocated_bytes -= size;
  free_blocks_.emplace(std::make_pair(stream, size), ptr);
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& kv : free_blocks_) {
    raw_free_(kv.second);
    stats_.reserved_bytes -= kv.first.second;
  }
  free_blocks_.clear();
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
void HostAllocator::deallocate(void* ptr, size_t, cudaStream_t) { aligned_host_free(ptr); }

HostAllocator& host_allocator() {
  static HostAllocator a;  // stateless
  return a;
}

}  // namespace csgis
