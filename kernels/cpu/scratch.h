// Scratch memory of the CPU kernels, owned by their caller. The engine keeps one arena per Context
// (Context::cpu_scratch), so its buffers live exactly as long as the context and two contexts never
// share one; a kernel called without an arena uses one of its own for the call.
//
// Buffers are grow-only within the arena: steady-state training reuses them with no zeroing and no
// fresh page faults (the conv gather is ~1.3x the input). An arena holds kSlots named buffers per
// thread; a kernel family owns fixed slots (conv2d.cpp 0-4, conv2d_winograd.cpp 5-7) so that
// buffers that are live at once never share a slot.
//
// One host thread uses an arena at a time (the engine takes it with try_lock and falls back to a
// call-local arena when another thread holds it). Inside a parallel region each OpenMP thread uses
// its own row, so reserve_threads() must have made room for every thread before the region starts.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace csgis::cpu {

class ScratchArena {
 public:
  static constexpr int kSlots = 8;

  ScratchArena() : rows_(1) {}  // row 0: the calling thread's
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;

  // Room for `threads` rows; call outside any parallel region that uses the arena.
  void reserve_threads(int threads) {
    if (threads > 0 && rows_.size() < static_cast<std::size_t>(threads)) rows_.resize(static_cast<std::size_t>(threads));
  }

  // `n` elements of T in buffer `slot` of row `thread`, 64-byte aligned; the contents are
  // whatever the last user left there.
  template <typename T>
  T* get(int slot, int thread, std::size_t n) {
    Buffer& b = rows_.at(static_cast<std::size_t>(thread)).slot[slot];
    const std::size_t bytes = n * sizeof(T);
    if (bytes > b.capacity) {
      b.data.reset(static_cast<unsigned char*>(::operator new[](bytes, std::align_val_t{64})));
      b.capacity = bytes;
    }
    return reinterpret_cast<T*>(b.data.get());
  }

  // Bytes held (for tests and for hosts that watch memory).
  std::size_t bytes() const {
    std::size_t total = 0;
    for (const Row& r : rows_)
      for (const Buffer& b : r.slot) total += b.capacity;
    return total;
  }

  // Frees every buffer (not while a kernel uses the arena).
  void release() {
    rows_.clear();
    rows_.resize(1);
  }

  // Held by the host thread that is using the arena (see the top of this file).
  std::mutex& mutex() { return mutex_; }

 private:
  struct AlignedDelete {
    void operator()(unsigned char* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  struct Buffer {
    std::unique_ptr<unsigned char[], AlignedDelete> data;
    std::size_t capacity = 0;
  };
  struct Row {
    Buffer slot[kSlots];
  };
  std::vector<Row> rows_;
  std::mutex mutex_;
};

}  // namespace csgis::cpu
