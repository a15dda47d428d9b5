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

namespace simt {
namespace detail {
namespace {

constexpr std::size_t kGuardBytes = 1024;  // on each side of the dynamic shared memory buffer
constexpr std::size_t kShmAlign = 128;
constexpr unsigned char kShmFill = 0xFF;   // uninitialized shared memory reads as NaN / -1
constexpr std::uint64_t kGarbage = ~std::uint64_t{0};

unsigned char guard_byte(std::size_t i) { return static_cast<unsigned char>(0xA5u ^ (i * 29u)); }

enum class St : unsigned char { NotStarted, Ready, AtBarrier, AtWarp, Exited };

struct FiberStack {
  void* map = nullptr;
  std::size_t map_bytes = 0;
  char* lo = nullptr;  // usable stack, above the guard page
  std::size_t size = 0;
};

struct Thr {
  ucontext_t ctx;  // saved context of the fiber running this thread (valid while it waits)
  St st;
  Op op;
  BarrierKind barrier;
  unsigned mask;
  unsigned param;
  int width;
  int range_end;  // the fiber running this thread goes on with the next ones up to range_end
  int slot;       // fiber stack
  std::uint64_t value;
  std::uint64_t result;
  void* asan_fake;
};

struct Sched {
  std::size_t stack_bytes = 0;
  std::vector<FiberStack> stacks;
  std::vector<Thr> thr;
  std::vector<ThreadCtx> ctx;
  ucontext_t host;
  const LaunchDesc* launch = nullptr;
  uint3 block{0, 0, 0};
  int nthreads = 0;
  int cur = -1;  // thread running (or last run) on a fiber
  bool in_block = false;
  std::exception_ptr failure;
  int failure_thread = -1;
  std::vector<unsigned char> shm_store;
  unsigned char* shm = nullptr;
  std::size_t shm_bytes = 0;
  std::uint64_t switches = 0;
  const void* host_stack_bottom = nullptr;
  std::size_t host_stack_size = 0;

  Sched() = default;
  Sched(const Sched&) = delete;
  Sched& operator=(const Sched&) = delete;
  ~Sched() { release_stacks(); }
  void release_stacks() {
    for (FiberStack& s : stacks)
      if (s.map) munmap(s.map, s.map_bytes);
    stacks.clear();
  }
};

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

// ---- messages ----
std::string where(const Sched& s) {
  return describe_launch(*s.launch) + " block " + format_dim(s.block.x, s.block.y, s.block.z);
}
std::string thread_name(const Sched& s, int t) {
  const uint3& i = s.ctx[static_cast<std::size_t>(t)].thread_idx;
  return "thread " + format_dim(i.x, i.y, i.z);
}
const char* op_name(Op op) {
  switch (op) {
    case Op::SyncWarp: return "__syncwarp";
    case Op::Shfl: return "__shfl_sync";
    case Op::ShflUp: return "__shfl_up_sync";
    case Op::ShflDown: return "__shfl_down_sync";
    case Op::ShflXor: return "__shfl_xor_sync";
    case Op::Ballot: return "__ballot_sync";
    case Op::Any: return "__any_sync";
    case Op::All: return "__all_sync";
  }
  return "?";
}
const char* barrier_name(BarrierKind k) {
  switch (k) {
    case BarrierKind::Sync: return "__syncthreads";
    case BarrierKind::Count: return "__syncthreads_count";
    case BarrierKind::And: return "__syncthreads_and";
    case BarrierKind::Or: return "__syncthreads_or";
  }
  return "?";
}
std::string op_desc(const Thr& t) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s(mask 0x%08x, width %d)", op_name(t.op), t.mask, t.width);
  return buf;
}
void fail(Sched& s, const std::string& msg, cudaError_t code = cudaErrorLaunchFailure) {
  s.failure = std::make_exception_ptr(Error(msg, code));
  s.failure_thread = -1;
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
  asan_start(&fake, fs.lo, fs.size);
  swapcontext(&s.host, &th.ctx);
  asan_finish(fake, nullptr, nullptr);
}

// Fiber side: back to the host until the scheduler resumes this thread.
void yield_to_host(Sched& s) {
  Thr& th = s.thr[static_cast<std::size_t>(s.cur)];
  asan_start(&th.asan_fake, s.host_stack_bottom, s.host_stack_size);
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
      const int next = s.cur + 1;
      if (next >= th.range_end) break;
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
  th.slot = slot;
  th.asan_fake = nullptr;
#if defined(CSGIS_SIMT_ASAN)
  __asan_unpoison_memory_region(fs.lo, fs.size);  // an abandoned fiber may have left poison behind
#endif
  switch_to(s, t);
}

// ---- resolution of waits (host side) ----
void complete_collective(Sched& s, int base, unsigned part, Op op) {
  unsigned ballot = 0;
  for (unsigned m = part; m; m &= m - 1) {
    const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
    if (s.thr[static_cast<std::size_t>(base) + l].value) ballot |= 1u << l;
  }
  for (unsigned m = part; m; m &= m - 1) {
    const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
    Thr& b = s.thr[static_cast<std::size_t>(base) + l];
    const unsigned w = static_cast<unsigned>(b.width);
    const unsigned seg = l & ~(w - 1u);  // first lane of this lane's width-segment
    unsigned src = l;
    std::uint64_t r = 0;
    switch (op) {
      case Op::SyncWarp: break;
      case Op::Ballot: r = ballot; break;
      case Op::Any: r = ballot != 0u; break;
      case Op::All: r = ballot == part; break;
      case Op::Shfl: src = seg + (b.param & (w - 1u)); break;
      case Op::ShflUp: src = (l - seg) >= b.param ? l - b.param : l; break;
      case Op::ShflDown: src = std::uint64_t{l - seg} + b.param < w ? l + b.param : l; break;
      case Op::ShflXor: src = (l ^ b.param) < seg + w ? (l ^ b.param) : l; break;
    }
    if (op == Op::Shfl || op == Op::ShflUp || op == Op::ShflDown || op == Op::ShflXor)
      r = (src < 32u && ((part >> src) & 1u)) ? s.thr[static_cast<std::size_t>(base) + src].value : kGarbage;
    b.result = r;
    b.st = St::Ready;
  }
}

// Completes every collective of warp w whose named lanes all wait at it. False on failure.
bool resolve_warp(Sched& s, int w, bool& progress) {
  const int base = w * 32;
  const int lanes = std::min(32, s.nthreads - base);
  const unsigned exist = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);  // a partial warp's absent lanes
  unsigned exited = 0;
  for (int l = 0; l < lanes; ++l)
    if (s.thr[static_cast<std::size_t>(base + l)].st == St::Exited) exited |= 1u << l;
  for (int l = 0; l < lanes; ++l) {
    const Thr& a = s.thr[static_cast<std::size_t>(base + l)];
    if (a.st != St::AtWarp) continue;
    const unsigned part = a.mask & exist;
    if (part & exited) {
      const int gone = __builtin_ctz(part & exited);
      fail(s, where(s) + ": " + thread_name(s, base + l) + " waits at " + op_desc(a) + " but lane " +
                  std::to_string(gone) + " (" + thread_name(s, base + gone) + ") named in the mask has exited");
      return false;
    }
    bool ready = true;
    for (unsigned m = part; m && ready; m &= m - 1) {
      const Thr& b = s.thr[static_cast<std::size_t>(base + __builtin_ctz(m))];
      ready = b.st == St::AtWarp && b.op == a.op && b.mask == a.mask && b.width == a.width;
    }
    if (!ready) continue;
    complete_collective(s, base, part, a.op);
    progress = true;
  }
  return true;
}

std::string diagnose_deadlock(const Sched& s, int exited, int at_barrier) {
  const int n = s.nthreads;
  int first_exited = -1, first_barrier = -1, first_warp = -1;
  for (int t = n - 1; t >= 0; --t) {
    const St st = s.thr[static_cast<std::size_t>(t)].st;
    if (st == St::Exited) first_exited = t;
    if (st == St::AtBarrier) first_barrier = t;
    if (st == St::AtWarp) first_warp = t;
  }
  const std::string at = where(s) + ": ";
  if (at_barrier > 0 && exited > 0) {
    const char* bn = barrier_name(s.thr[static_cast<std::size_t>(first_barrier)].barrier);
    return at + thread_name(s, first_exited) + " exited while " + std::to_string(at_barrier) + " threads wait at " +
           bn + " (first waiting: " + thread_name(s, first_barrier) + "); every thread of a block must reach each " +
           bn + " (a hang or undefined behaviour on a GPU)";
  }
  if (at_barrier > 0 && first_warp >= 0)
    return at + thread_name(s, first_barrier) + " waits at " +
           barrier_name(s.thr[static_cast<std::size_t>(first_barrier)].barrier) + " while " +
           thread_name(s, first_warp) + " waits at " + op_desc(s.thr[static_cast<std::size_t>(first_warp)]) +
           ": divergent barrier and warp collective";
  for (int t = 0; t < n; ++t) {  // only warp collectives are left: find one that cannot complete
    const Thr& a = s.thr[static_cast<std::size_t>(t)];
    if (a.st != St::AtWarp) continue;
    const int base = t & ~31;
    for (unsigned m = a.mask; m; m &= m - 1) {
      const int p = base + __builtin_ctz(m);
      if (p >= n) break;
      const Thr& b = s.thr[static_cast<std::size_t>(p)];
      if (b.op != a.op || b.mask != a.mask || b.width != a.width)
        return at + "warp " + std::to_string(t / 32) + ": " + thread_name(s, t) + " waits at " + op_desc(a) +
               " while lane " + std::to_string(p - base) + " (" + thread_name(s, p) + ") waits at " + op_desc(b) +
               "; the lanes named in a mask must all call the same collective with the same mask";
    }
  }
  return at + "deadlock among warp collectives";
}

// True when some thread became ready again; false when the block is done or has failed.
bool resolve(Sched& s) {
  const int n = s.nthreads;
  int exited = 0, at_barrier = 0, at_warp = 0;
  for (int t = 0; t < n; ++t) {
    const St st = s.thr[static_cast<std::size_t>(t)].st;
    exited += st == St::Exited;
    at_barrier += st == St::AtBarrier;
    at_warp += st == St::AtWarp;
  }
  if (exited == n) return false;
  if (at_warp > 0) {
    bool progress = false;
    for (int w = 0; w * 32 < n; ++w)
      if (!resolve_warp(s, w, progress)) return false;
    if (progress) return true;
  }
  if (at_barrier == n) {
    const BarrierKind kind = s.thr[0].barrier;
    int count = 0;
    for (int t = 0; t < n; ++t) {
      const Thr& th = s.thr[static_cast<std::size_t>(t)];
      if (th.barrier != kind) {
        fail(s, where(s) + ": thread (0,0,0) waits at " + barrier_name(kind) + " while " + thread_name(s, t) +
                    " waits at " + barrier_name(th.barrier));
        return false;
      }
      count += th.value != 0;
    }
    const std::uint64_t r = kind == BarrierKind::Count ? static_cast<std::uint64_t>(count)
                            : kind == BarrierKind::And ? (count == n)
                            : kind == BarrierKind::Or  ? (count > 0)
                                                       : 0u;
    for (int t = 0; t < n; ++t) {
      s.thr[static_cast<std::size_t>(t)].result = r;
      s.thr[static_cast<std::size_t>(t)].st = St::Ready;
    }
    return true;
  }
  fail(s, diagnose_deadlock(s, exited, at_barrier));
  return false;
}

void schedule(Sched& s) {
  for (;;) {
    for (int t = 0; t < s.nthreads; ++t) {
      Thr& th = s.thr[static_cast<std::size_t>(t)];
      if (th.st == St::NotStarted) {
        th.range_end = t + 1;
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

bool in_kernel() { return t_sched.in_block; }

// ---- host side ----
void run_block(const LaunchDesc& d, std::uint64_t linear, std::size_t stack_bytes, LaunchStats& stats) {
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
  prepare_shared(s, d.shared_bytes);
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

  s.thr[0].range_end = n;
  start_fiber(s, 0, 0);  // the runner: a plain loop over all threads
  bool fibers = false;
  if (!s.failure && s.thr[static_cast<std::size_t>(s.cur)].st != St::Exited) {
    fibers = true;  // thread s.cur reached a barrier/collective: promote the block
    const int first = s.cur;
    s.thr[static_cast<std::size_t>(first)].range_end = first + 1;
    for (int t = first + 1; t < n; ++t) s.thr[static_cast<std::size_t>(t)].slot = t - first;
    schedule(s);
  }
  stats.context_switches += s.switches;
  if (s.failure) rethrow_failure(s);
  check_shared_guards(s);
  ++stats.blocks;
  ++(fibers ? stats.fiber_blocks : stats.plain_blocks);
}

}  // namespace detail
}  // namespace simt
