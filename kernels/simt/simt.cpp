// kernels/simt/simt.cpp — the block scheduler of the SIMT emulation (see simt.h for the model).
//
// A block starts as ONE fiber (the "runner") that runs its threads one after the other as a plain
// loop. If a thread reaches a barrier or warp collective, the block is promoted: the threads before it
// have exited, it keeps the runner fiber for itself, and every later thread gets a fiber of its own.
// The host side then runs all ready fibers in thread order until each waits or exits, and resolves
// what is complete (warp collectives first, then the block barrier); when nothing can complete the
// block is deadlocked and the cause is reported. Everything lives in thread_local state, so several
// host threads can run blocks at once.
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "kernels/simt/simt_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define CSGIS_SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CSGIS_SIMT_ASAN 1
#endif
#endif
#if defined(CSGIS_SIMT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#define CSGIS_SIMT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CSGIS_SIMT_TSAN 1
#endif
#endif
#if defined(CSGIS_SIMT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace simt {
namespace detail {
namespace {

constexpr std::size_t kGuardBytes = 1024;  // on each side of the dynamic shared memory buffer
constexpr std::size_t kShmAlign = 128;
constexpr unsigned char kShmFill = 0xFF;   // uninitialized shared memory reads as NaN / -1

unsigned char guard_byte(std::size_t i) { return static_cast<unsigned char>(0xA5u ^ (i * 29u)); }

thread_local Sched t_sched;

// ---- ASan fiber annotations (no-ops otherwise) ----
void asan_start(void** fake_save, const void* bottom, std::size_t size) {
#if defined(CSGIS_SIMT_ASAN)
  __sanitizer_start_switch_fiber(fake_save, bottom, size);
#else
  (void)fake_save, (void)bottom, (void)size;
#endif
}
void asan_finish(void* fake_save, const void** bottom_old, std::size_t* size_old) {
#if defined(CSGIS_SIMT_ASAN)
  __sanitizer_finish_switch_fiber(fake_save, bottom_old, size_old);
#else
  (void)fake_save, (void)bottom_old, (void)size_old;
#endif
}

// ---- TSan fiber annotations (no-ops otherwise) ----
// ThreadSanitizer keeps a shadow call stack per thread; a swapcontext it is not told about looks
// like a call that never returns, so without these its shadow stack grows with every switch until
// the process faults (SEGV with no report). Each context started on a fiber stack gets a TSan fiber
// of its own; switches synchronize (the fibers of one host thread run one after another).
// tsan_switch must be inlined: an instrumented call around the switch would enter on one fiber and
// exit on the other, and each fiber that exits would take a frame off the host's shadow stack.
void tsan_new_fiber(FiberStack& fs) {
#if defined(CSGIS_SIMT_TSAN)
  if (fs.tsan_fiber) __tsan_destroy_fiber(fs.tsan_fiber);  // its context is over or abandoned
  fs.tsan_fiber = __tsan_create_fiber(0);
#else
  (void)fs;
#endif
}
[[gnu::always_inline]] inline void tsan_switch(void* fiber) {
#if defined(CSGIS_SIMT_TSAN)
  __tsan_switch_to_fiber(fiber, 0);
#else
  (void)fiber;
#endif
}
void tsan_release_fibers(Sched& s) {
#if defined(CSGIS_SIMT_TSAN)
  for (FiberStack& fs : s.stacks)
    if (fs.tsan_fiber) __tsan_destroy_fiber(fs.tsan_fiber), fs.tsan_fiber = nullptr;
#else
  (void)s;
#endif
}

// ---- fibers ----
FiberStack& stack_slot(Sched& s, int slot) {
  const std::size_t i = static_cast<std::size_t>(slot);
  if (i >= s.stacks.size()) s.stacks.resize(i + 1);
  FiberStack& fs = s.stacks[i];
  if (!fs.map) {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t size = (s.stack_bytes + page - 1) / page * page;
    void* m = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw Error("simt: cannot map a fiber stack", cudaErrorMemoryAllocation);
    mprotect(m, page, PROT_NONE);  // guard page: a fiber stack overflow faults instead of corrupting
    fs.map = m;
    fs.map_bytes = size + page;
    fs.lo = static_cast<char*>(m) + page;
    fs.size = size;
  }
  return fs;
}

// Host side: run thread t's fiber until it waits or exits.
void switch_to(Sched& s, int t) {
  Thr& th = s.thr[static_cast<std::size_t>(t)];
  const FiberStack& fs = s.stacks[static_cast<std::size_t>(th.slot)];
  th.st = St::Ready;
  s.cur = t;
  tls_current = &s.ctx[static_cast<std::size_t>(t)];
  s.switches += 2;
  void* fake = nullptr;
#if defined(CSGIS_SIMT_TSAN)
  s.tsan_host = __tsan_get_current_fiber();
#endif
  asan_start(&fake, fs.lo, fs.size);
  tsan_switch(fs.tsan_fiber);
  swapcontext(&s.host, &th.ctx);
  asan_finish(fake, nullptr, nullptr);
}

// Fiber side: back to the host until the scheduler resumes this thread.
void yield_to_host(Sched& s) {
  Thr& th = s.thr[static_cast<std::size_t>(s.cur)];
  asan_start(&th.asan_fake, s.host_stack_bottom, s.host_stack_size);
  tsan_switch(s.tsan_host);
  swapcontext(&th.ctx, &s.host);
  asan_finish(th.asan_fake, &s.host_stack_bottom, &s.host_stack_size);
}

void fiber_entry() {
  Sched& s = t_sched;
  asan_finish(nullptr, &s.host_stack_bottom, &s.host_stack_size);
  try {
    for (;;) {
      s.launch->invoke(s.launch->call);
      Thr& th = s.thr[static_cast<std::size_t>(s.cur)];
      th.st = St::Exited;
      const int next_pos = s.pos[static_cast<std::size_t>(s.cur)] + 1;
      if (next_pos >= th.range_end) break;
      const int next = s.order[static_cast<std::size_t>(next_pos)];
      Thr& nx = s.thr[static_cast<std::size_t>(next)];  // plain loop: next thread on this fiber
      nx.range_end = th.range_end;
      nx.slot = th.slot;
      nx.st = St::Ready;
      s.cur = next;
      tls_current = &s.ctx[static_cast<std::size_t>(next)];
    }
  } catch (...) {  // never let an exception cross the ucontext boundary
    s.failure = std::current_exception();
    s.failure_thread = s.cur;
    s.thr[static_cast<std::size_t>(s.cur)].st = St::Exited;
  }
  asan_start(nullptr, s.host_stack_bottom, s.host_stack_size);  // this fiber is done
  tsan_switch(s.tsan_host);
  setcontext(&s.host);
  std::abort();  // unreachable
}

void start_fiber(Sched& s, int t, int slot) {
  FiberStack& fs = stack_slot(s, slot);
  Thr& th = s.thr[static_cast<std::size_t>(t)];
  getcontext(&th.ctx);
  th.ctx.uc_stack.ss_sp = fs.lo;
  th.ctx.uc_stack.ss_size = fs.size;
  th.ctx.uc_link = nullptr;
  makecontext(&th.ctx, &fiber_entry, 0);
  tsan_new_fiber(fs);
  th.slot = slot;
  th.asan_fake = nullptr;
#if defined(CSGIS_SIMT_ASAN)
  __asan_unpoison_memory_region(fs.lo, fs.size);  // an abandoned fiber may have left poison behind
#endif
  switch_to(s, t);
}

// Fisher-Yates over v with the block's random state.
void shuffle(std::vector<int>& v, std::uint64_t& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[next_random(rng) % i]);
}

void schedule(Sched& s) {
  for (;;) {
    if (s.rng) shuffle(s.round_order, s.rng);  // a new order for every barrier interval
    for (int k = 0; k < s.nthreads; ++k) {
      const int t = s.round_order[static_cast<std::size_t>(k)];
      Thr& th = s.thr[static_cast<std::size_t>(t)];
      if (th.st == St::NotStarted) {
        th.range_end = s.pos[static_cast<std::size_t>(t)] + 1;
        start_fiber(s, t, th.slot);
      } else if (th.st == St::Ready) {
        switch_to(s, t);
      }
      if (s.failure) return;
    }
    if (!resolve(s)) return;
  }
}

// ---- dynamic shared memory ----
void prepare_shared(Sched& s, std::size_t bytes) {
  const std::size_t need = bytes + 2 * kGuardBytes + kShmAlign;
  if (s.shm_store.size() < need) s.shm_store.assign(need, 0);
  std::uintptr_t p = reinterpret_cast<std::uintptr_t>(s.shm_store.data()) + kGuardBytes;
  p = (p + kShmAlign - 1) & ~std::uintptr_t{kShmAlign - 1};
  s.shm = reinterpret_cast<unsigned char*>(p);
  s.shm_bytes = bytes;
  std::memset(s.shm, kShmFill, bytes);
  for (std::size_t i = 0; i < kGuardBytes; ++i) {
    s.shm[bytes + i] = guard_byte(i);
    *(s.shm - 1 - i) = guard_byte(i);
  }
}

constexpr std::size_t kStaticGap = 64;  // guard bytes after each static shared array
constexpr std::size_t kMaxStaticArrays = 64;

void prepare_static_shared(Sched& s) {
  if (s.static_store.empty())
    s.static_store.assign(kMaxDynamicSharedBytes + kMaxStaticArrays * (2 * kStaticGap + kShmAlign), kShmFill);
  else
    std::memset(s.static_store.data(), kShmFill, s.static_end);  // what the last block used
  s.static_slices.clear();
  s.static_end = 0;
  s.static_bytes = 0;
}

void check_static_shared_guards(const Sched& s) {
  for (const Sched::StaticSlice& sl : s.static_slices)
    for (std::size_t i = 0; i < kStaticGap; ++i) {
      if (s.static_store[sl.offset + sl.bytes + i] != guard_byte(i))
        throw Error(where(s) + ": write past the end of a static shared array of " + std::to_string(sl.bytes) +
                        " bytes: byte at offset " + std::to_string(sl.bytes + i) + " was modified",
                    cudaErrorIllegalAddress);
      if (s.static_store[sl.offset - 1 - i] != guard_byte(i))
        throw Error(where(s) + ": write before the start of a static shared array of " + std::to_string(sl.bytes) +
                        " bytes: byte at offset -" + std::to_string(i + 1) + " was modified",
                    cudaErrorIllegalAddress);
    }
}

void check_shared_guards(const Sched& s) {
  for (std::size_t i = 0; i < kGuardBytes; ++i) {
    if (s.shm[s.shm_bytes + i] != guard_byte(i))
      throw Error(where(s) + ": write past the end of the dynamic shared memory buffer (" +
                      std::to_string(s.shm_bytes) + " bytes): byte at offset " + std::to_string(s.shm_bytes + i) +
                      " was modified",
                  cudaErrorIllegalAddress);
    if (*(s.shm - 1 - i) != guard_byte(i))
      throw Error(where(s) + ": write before the start of the dynamic shared memory buffer: byte at offset -" +
                      std::to_string(i + 1) + " was modified",
                  cudaErrorIllegalAddress);
  }
}

[[noreturn]] void rethrow_failure(Sched& s) {
  const std::exception_ptr e = s.failure;
  s.failure = nullptr;
  const std::string who = where(s) + (s.failure_thread >= 0 ? ": " + thread_name(s, s.failure_thread) : "");
  try {
    std::rethrow_exception(e);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& ex) {
    std::throw_with_nested(Error(who + " threw an exception: " + ex.what()));
  } catch (...) {
    std::throw_with_nested(Error(who + " threw an exception that is not a std::exception"));
  }
}

Sched& kernel_sched(const char* what) {
  Sched& s = t_sched;
  if (!s.in_block) throw Error(std::string("simt: ") + what + " called outside a kernel launch");
  return s;
}

}  // namespace

Sched::~Sched() { release_stacks(); }

void Sched::release_stacks() {
  tsan_release_fibers(*this);
  for (FiberStack& fs : stacks)
    if (fs.map) munmap(fs.map, fs.map_bytes);
  stacks.clear();
}

// ---- called from kernels (fiber side) ----
int block_barrier(BarrierKind kind, int predicate) {
  Sched& s = kernel_sched(barrier_name(kind));
  Thr& th = s.thr[static_cast<std::size_t>(s.cur)];
  th.st = St::AtBarrier;
  th.barrier = kind;
  th.value = predicate != 0;
  yield_to_host(s);
  return static_cast<int>(th.result);
}

std::uint64_t warp_collective(Op op, unsigned mask, std::uint64_t value, unsigned param, int width) {
  Sched& s = kernel_sched(op_name(op));
  const int t = s.cur;
  Thr& th = s.thr[static_cast<std::size_t>(t)];
  th.op = op;
  th.mask = mask;
  th.width = width;
  if (((mask >> (t & 31)) & 1u) == 0)
    throw Error(where(s) + ": " + thread_name(s, t) + " calls " + op_desc(th) + " whose mask does not include its own lane " +
                std::to_string(t & 31));
  if (width < 1 || width > 32 || (width & (width - 1)) != 0)
    throw Error(where(s) + ": " + thread_name(s, t) + " calls " + op_desc(th) + ": width must be a power of 2 in [1, 32]");
  th.st = St::AtWarp;
  th.param = param;
  th.value = value;
  yield_to_host(s);
  return th.result;
}

unsigned active_mask() {
  const Sched& s = kernel_sched("__activemask");
  const int base = s.cur & ~31;
  unsigned m = 0;
  for (int l = 0; l < 32 && base + l < s.nthreads; ++l)
    if (s.thr[static_cast<std::size_t>(base + l)].st != St::Exited) m |= 1u << l;
  return m;
}

void* dynamic_shared_ptr() { return t_sched.shm; }

void* static_shared(const void* key, std::size_t bytes) {
  Sched& s = kernel_sched("a static shared array");
  for (const Sched::StaticSlice& sl : s.static_slices)
    if (sl.key == key) return s.static_store.data() + sl.offset;
  if (s.static_bytes + bytes + s.shm_bytes > kMaxDynamicSharedBytes)
    throw Error(where(s) + ": " + std::to_string(s.static_bytes + bytes) + " bytes of static plus " +
                    std::to_string(s.shm_bytes) + " of dynamic shared memory exceed the limit of 48 KiB per block",
                cudaErrorLaunchOutOfResources);
  if (s.static_slices.size() >= kMaxStaticArrays)
    throw Error(where(s) + ": more than " + std::to_string(kMaxStaticArrays) + " static shared arrays");
  // A guard gap on each side: an underflow of the first array would otherwise leave the buffer.
  const std::size_t offset = (s.static_end + kStaticGap + kShmAlign - 1) / kShmAlign * kShmAlign;
  s.static_slices.push_back(Sched::StaticSlice{key, offset, bytes});
  for (std::size_t i = 0; i < kStaticGap; ++i)
    s.static_store[offset + bytes + i] = s.static_store[offset - 1 - i] = guard_byte(i);
  s.static_end = offset + bytes + kStaticGap;
  s.static_bytes += bytes;
  return s.static_store.data() + offset;
}

bool in_kernel() { return t_sched.in_block; }

// ---- host side ----
void run_block(const LaunchDesc& d, std::uint64_t linear, std::size_t stack_bytes, LaunchStats& stats,
               std::uint64_t seed) {
  Sched& s = t_sched;
  if (s.stack_bytes != stack_bytes) {
    s.release_stacks();
    s.stack_bytes = stack_bytes;
  }
  const unsigned bx = d.block.x, by = d.block.y;
  const int n = static_cast<int>(d.block.x * d.block.y * d.block.z);
  s.launch = &d;
  s.block = uint3{static_cast<unsigned>(linear % d.grid.x), static_cast<unsigned>((linear / d.grid.x) % d.grid.y),
                  static_cast<unsigned>(linear / (std::uint64_t{d.grid.x} * d.grid.y))};
  s.nthreads = n;
  if (s.thr.size() < static_cast<std::size_t>(n)) {
    s.thr.resize(static_cast<std::size_t>(n));
    s.ctx.resize(static_cast<std::size_t>(n));
  }
  for (int t = 0; t < n; ++t) {
    const unsigned u = static_cast<unsigned>(t);
    s.ctx[u] = ThreadCtx{uint3{u % bx, (u / bx) % by, u / (bx * by)}, s.block, d.block, d.grid};
    s.thr[u].st = St::NotStarted;
  }
  s.order.resize(static_cast<std::size_t>(n));
  s.pos.resize(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) s.order[static_cast<std::size_t>(t)] = t;
  s.rng = seed;
  if (s.rng) shuffle(s.order, s.rng);
  for (int k = 0; k < n; ++k) s.pos[static_cast<std::size_t>(s.order[static_cast<std::size_t>(k)])] = k;
  s.round_order = s.order;
  prepare_shared(s, d.shared_bytes);
  prepare_static_shared(s);
  s.failure = nullptr;
  s.failure_thread = -1;
  s.switches = 0;
  struct Leave {  // whatever happens, the host thread is outside a kernel afterwards
    Sched& s;
    ~Leave() {
      s.in_block = false;
      tls_current = nullptr;
    }
  } leave{s};
  s.in_block = true;

  const int first_thread = s.order[0];
  s.thr[static_cast<std::size_t>(first_thread)].range_end = n;
  start_fiber(s, first_thread, 0);  // the runner: a plain loop over all threads, in `order`
  bool fibers = false;
  if (!s.failure && s.thr[static_cast<std::size_t>(s.cur)].st != St::Exited) {
    fibers = true;  // thread s.cur reached a barrier/collective: promote the block
    const int first = s.cur, first_pos = s.pos[static_cast<std::size_t>(first)];
    s.thr[static_cast<std::size_t>(first)].range_end = first_pos + 1;
    for (int k = first_pos + 1; k < n; ++k)  // the threads the runner has not started yet
      s.thr[static_cast<std::size_t>(s.order[static_cast<std::size_t>(k)])].slot = k - first_pos;
    schedule(s);
  }
  stats.context_switches += s.switches;
  if (s.failure) rethrow_failure(s);
  check_shared_guards(s);
  check_static_shared_guards(s);
  ++stats.blocks;
  ++(fibers ? stats.fiber_blocks : stats.plain_blocks);
}

}  // namespace detail
}  // namespace simt
