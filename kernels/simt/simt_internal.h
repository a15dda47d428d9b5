// kernels/simt/simt_internal.h — shared by the scheduler (simt.cpp) and the launch/runtime layer
// (simt_runtime.cpp). Not for kernels.
#pragma once

#include <ucontext.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "kernels/simt/simt.h"

namespace simt {
namespace detail {

// "kernel 'name' <<<(gx,gy,gz), (bx,by,bz), shm>>>"
std::string describe_launch(const LaunchDesc& desc);
std::string format_dim(unsigned x, unsigned y, unsigned z);

// Runs block `linear_block` of the launch on the calling host thread (fibers as needed) and adds to
// `stats`. Throws simt::Error (or an Error nesting the kernel's own exception) on failure.
// `seed` 0 runs the threads in thread order; another value shuffles them (see simt.h, "Schedules").
void run_block(const LaunchDesc& desc, std::uint64_t linear_block, std::size_t stack_bytes, LaunchStats& stats,
               std::uint64_t seed = 0);

// splitmix64: the schedules' random numbers (state advanced in place).
inline std::uint64_t next_random(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// True while the calling host thread is inside a block (a kernel is running on it).
bool in_kernel();

// State of an emulated thread of the running block.
enum class St : unsigned char { NotStarted, Ready, AtBarrier, AtWarp, Exited };

struct FiberStack {
  void* map = nullptr;
  std::size_t map_bytes = 0;
  char* lo = nullptr;  // usable stack, above the guard page
  std::size_t size = 0;
  void* tsan_fiber = nullptr;  // ThreadSanitizer's fiber for the context started on this stack
};

struct Thr {
  ucontext_t ctx;  // saved context of the fiber running this thread (valid while it waits)
  St st;
  Op op;
  BarrierKind barrier;
  unsigned mask;
  unsigned param;
  int width;
  int range_end;  // the fiber running this thread goes on with the next ones in `order` up to this position
  int slot;       // fiber stack
  std::uint64_t value;
  std::uint64_t result;
  void* asan_fake;
};

// The scheduler state of one host thread (one block at a time).
struct Sched {
  std::size_t stack_bytes = 0;
  std::vector<FiberStack> stacks;
  std::vector<Thr> thr;
  std::vector<ThreadCtx> ctx;
  std::vector<int> order;        // the block's threads in the order the runner starts them
  std::vector<int> pos;          // pos[t]: thread t's place in `order`
  std::vector<int> round_order;  // the order of one scheduling round (shuffled per round when seeded)
  std::uint64_t rng = 0;         // 0: thread order; else the shuffles' random state
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
  // Static shared memory (CSGIS_STATIC_SHARED): one fixed buffer, so pointers never move; each
  // declaration of the running block gets a slice followed by a guard gap. Cleared per block.
  struct StaticSlice {
    const void* key;       // the declaration (address of its function-local tag)
    std::size_t offset, bytes;
  };
  std::vector<unsigned char> static_store;
  std::vector<StaticSlice> static_slices;
  std::size_t static_end = 0;    // bytes of static_store in use, gaps included
  std::size_t static_bytes = 0;  // what the declarations asked for (counted against the limit)
  std::uint64_t switches = 0;
  const void* host_stack_bottom = nullptr;
  std::size_t host_stack_size = 0;
  void* tsan_host = nullptr;  // ThreadSanitizer's fiber of the host side (its thread's own)

  Sched() = default;
  Sched(const Sched&) = delete;
  Sched& operator=(const Sched&) = delete;
  ~Sched();
  void release_stacks();  // unmaps the fiber stacks
};

// Messages (simt_resolve.cpp).
std::string where(const Sched& s);  // describe_launch + " block (x,y,z)"
std::string thread_name(const Sched& s, int t);
const char* op_name(Op op);
const char* barrier_name(BarrierKind k);
std::string op_desc(const Thr& t);
void fail(Sched& s, const std::string& msg, cudaError_t code = cudaErrorLaunchFailure);  // records a failure

// Host side, once no fiber is ready: completes the warp collectives and the block barrier that can
// complete. True when some thread became ready; false when the block is done or has failed (then
// s.failure says why: a deadlock is diagnosed).
bool resolve(Sched& s);

}  // namespace detail
}  // namespace simt
