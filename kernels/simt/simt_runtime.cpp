// kernels/simt/simt_runtime.cpp — launch checks, the blocks-to-host-threads loop, the emulated
// runtime API (last error, memcpy/memset) and the per-host-thread settings.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "kernels/simt/simt_internal.h"

namespace {

thread_local cudaError_t t_last_error = cudaSuccess;
thread_local std::string t_last_message;
thread_local simt::LaunchStats t_last_stats;
thread_local std::uint64_t t_launch_count = 0;  // every launch of this host thread, failed ones too
thread_local int t_host_threads = 0;           // 0: CSGIS_SIMT_THREADS
thread_local std::size_t t_stack_bytes = 0;    // 0: CSGIS_SIMT_STACK_KB
thread_local bool t_schedule_set = false;     // false: CSGIS_SIMT_SCHEDULE decides
thread_local std::uint64_t t_schedule_seed = 0;
thread_local std::uint64_t t_launches = 0;       // launches made by this host thread (varies the shuffles)

// The order of a launch's blocks: i -> (a * i + c) mod total with a coprime to total (a bijection),
// or the identity when the schedule is not shuffled.
struct BlockOrder {
  std::uint64_t total = 1, a = 1, c = 0;
  BlockOrder(std::uint64_t n, std::uint64_t& rng) : total(n) {
    if (!rng || n < 2) return;
    c = simt::detail::next_random(rng) % n;
    for (;;) {
      a = simt::detail::next_random(rng) % n;
      std::uint64_t x = a, y = n;  // gcd(a, n) == 1
      while (y) { const std::uint64_t r = x % y; x = y; y = r; }
      if (a && x == 1) break;
    }
  }
  std::uint64_t operator()(std::uint64_t i) const {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(a) * i + c) % total);
  }
};
// The seed of block b's thread shuffle (0 when not shuffled).
std::uint64_t block_seed(std::uint64_t launch_seed, std::uint64_t b) {
  if (!launch_seed) return 0;
  std::uint64_t st = launch_seed ^ (b * 0xD6E8FEB86659FD93ull);
  const std::uint64_t r = simt::detail::next_random(st);
  return r ? r : 1;
}

constexpr std::size_t kMinStackBytes = 16 * 1024;

cudaError_t record(cudaError_t e, std::string message) {
  t_last_error = e;
  t_last_message = std::move(message);
  return e;
}

long env_positive(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long r = std::strtol(v, &end, 10);
  return (end && *end == '\0' && r > 0) ? r : fallback;
}

void validate(const simt::detail::LaunchDesc& d) {
  const auto bad = [&](const std::string& why, cudaError_t code) {
    throw simt::Error(simt::detail::describe_launch(d) + ": invalid launch: " + why, code);
  };
  if (d.kernel_addr == 0 || d.invoke == nullptr) bad("the kernel is a null pointer", cudaErrorInvalidValue);
  if (d.grid.x == 0 || d.grid.y == 0 || d.grid.z == 0 || d.block.x == 0 || d.block.y == 0 || d.block.z == 0)
    bad("a grid or block dimension is 0", cudaErrorInvalidConfiguration);
  const std::uint64_t threads = std::uint64_t{d.block.x} * d.block.y * d.block.z;
  if (threads > simt::kMaxThreadsPerBlock)
    bad("a block of " + std::to_string(threads) + " threads exceeds the limit of 1024 threads per block",
        cudaErrorInvalidConfiguration);
  if (d.block.x > 1024 || d.block.y > 1024) bad("blockDim.x and blockDim.y are limited to 1024", cudaErrorInvalidConfiguration);
  if (d.block.z > 64) bad("blockDim.z = " + std::to_string(d.block.z) + " exceeds 64", cudaErrorInvalidConfiguration);
  if (d.grid.x > 2147483647u) bad("gridDim.x exceeds 2^31-1", cudaErrorInvalidConfiguration);
  if (d.grid.y > 65535 || d.grid.z > 65535) bad("gridDim.y and gridDim.z are limited to 65535", cudaErrorInvalidConfiguration);
  if (d.shared_bytes > simt::kMaxDynamicSharedBytes)
    bad(std::to_string(d.shared_bytes) + " bytes of dynamic shared memory exceed the default limit of 48 KiB",
        cudaErrorInvalidValue);
}

void run_parallel(const simt::detail::LaunchDesc& d, std::uint64_t total, int nthreads, std::size_t stack,
                  simt::LaunchStats& stats, const BlockOrder& order, std::uint64_t launch_seed) {
  struct Out {
    simt::LaunchStats stats;
    std::exception_ptr error;
    std::uint64_t block = 0;
  };
  std::vector<Out> outs(static_cast<std::size_t>(nthreads));
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> stop{false};
  const auto work = [&](int w) {
    Out& o = outs[static_cast<std::size_t>(w)];
    try {
      for (;;) {
        if (stop.load()) break;
        const std::uint64_t i = next.fetch_add(1);
        if (i >= total) break;
        const std::uint64_t b = order(i);
        o.block = i;  // the first failure in launch order is the one reported
        simt::detail::run_block(d, b, stack, o.stats, block_seed(launch_seed, b));
      }
    } catch (...) {
      o.error = std::current_exception();
      stop.store(true);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(nthreads - 1));
  try {
    for (int w = 1; w < nthreads; ++w) pool.emplace_back(work, w);
  } catch (...) {
    stop.store(true);
    for (std::thread& t : pool) t.join();
    throw;
  }
  work(0);
  for (std::thread& t : pool) t.join();
  const Out* first_error = nullptr;
  for (const Out& o : outs) {
    stats.blocks += o.stats.blocks;
    stats.plain_blocks += o.stats.plain_blocks;
    stats.fiber_blocks += o.stats.fiber_blocks;
    stats.context_switches += o.stats.context_switches;
    if (o.error && (!first_error || o.block < first_error->block)) first_error = &o;
  }
  if (first_error) std::rethrow_exception(first_error->error);
}

}  // namespace

namespace simt {
namespace detail {

std::string format_dim(unsigned x, unsigned y, unsigned z) {
  return "(" + std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(z) + ")";
}

std::string describe_launch(const LaunchDesc& d) {
  std::string name;
  if (d.name) {
    name = d.name;
  } else {
    char buf[40];
    std::snprintf(buf, sizeof buf, "kernel@0x%llx", static_cast<unsigned long long>(d.kernel_addr));
    name = buf;
  }
  return "simt: kernel '" + name + "' <<<" + format_dim(d.grid.x, d.grid.y, d.grid.z) + ", " +
         format_dim(d.block.x, d.block.y, d.block.z) + ", " + std::to_string(d.shared_bytes) + ">>>";
}

void run_launch(const LaunchDesc& d) {
  LaunchStats stats;
  ++t_launch_count;
  try {
    if (in_kernel())
      throw Error(describe_launch(d) + ": launching a kernel from inside a kernel is not supported");
    validate(d);
    const std::uint64_t total = std::uint64_t{d.grid.x} * d.grid.y * d.grid.z;
    const std::size_t stack = fiber_stack_size();
    long nthreads = t_host_threads > 0 ? t_host_threads : env_positive("CSGIS_SIMT_THREADS", 1);
    if (static_cast<std::uint64_t>(nthreads) > total) nthreads = static_cast<long>(total);
    if (nthreads > 256) nthreads = 256;
    stats.host_threads = static_cast<unsigned>(nthreads);
    const std::uint64_t seed = schedule_seed();
    std::uint64_t launch_seed = 0;
    if (seed) {
      std::uint64_t st = seed ^ (++t_launches * 0xA24BAED4963EE407ull);
      launch_seed = next_random(st) | 1;
    }
    std::uint64_t order_rng = launch_seed;
    const BlockOrder order(total, order_rng);
    if (nthreads <= 1) {
      for (std::uint64_t i = 0; i < total; ++i) {
        const std::uint64_t b = order(i);
        run_block(d, b, stack, stats, block_seed(launch_seed, b));
      }
    } else {
      run_parallel(d, total, static_cast<int>(nthreads), stack, stats, order, launch_seed);
    }
    check_device_memory(d);
  } catch (const Error& e) {
    t_last_stats = stats;
    // A launch that failed may also have written outside an allocation: say so now, rather than
    // blame the next launch.
    const std::string damage = repair_device_memory();
    if (!damage.empty()) {
      const std::string msg = std::string(e.what()) + "; also: " + damage;
      record(e.code(), msg);
      throw Error(msg, e.code());
    }
    record(e.code(), e.what());
    throw;
  } catch (const std::exception& e) {
    t_last_stats = stats;
    record(cudaErrorLaunchFailure, e.what());
    throw;
  }
  t_last_stats = stats;
}

}  // namespace detail

LaunchStats last_launch_stats() { return t_last_stats; }
std::uint64_t launch_count() { return t_launch_count; }
std::string last_error_message() { return t_last_message; }
void set_host_threads(int n) { t_host_threads = n > 0 ? n : 0; }
void set_fiber_stack_size(std::size_t bytes) { t_stack_bytes = bytes; }
void set_schedule_seed(std::uint64_t seed) { t_schedule_set = true, t_schedule_seed = seed, t_launches = 0; }
void reset_schedule_seed() { t_schedule_set = false, t_schedule_seed = 0; }

std::uint64_t schedule_seed() {
  if (t_schedule_set) return t_schedule_seed;
  const char* v = std::getenv("CSGIS_SIMT_SCHEDULE");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const unsigned long long r = std::strtoull(v, &end, 10);
  if (!end || *end != '\0' || *v == '-')
    throw Error(std::string("CSGIS_SIMT_SCHEDULE must be a non-negative integer (0: no shuffling), got '") + v + "'",
                cudaErrorInvalidValue);
  return r;
}

std::size_t fiber_stack_size() {
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kDefaultKiB = 256;
#else
  constexpr long kDefaultKiB = 64;
#endif
  const std::size_t bytes =
      t_stack_bytes ? t_stack_bytes : static_cast<std::size_t>(env_positive("CSGIS_SIMT_STACK_KB", kDefaultKiB)) * 1024;
  return bytes < kMinStackBytes ? kMinStackBytes : bytes;
}

}  // namespace simt

// ---- runtime API ----
cudaError_t cudaGetLastError() {
  const cudaError_t e = t_last_error;
  t_last_error = cudaSuccess;
  t_last_message.clear();
  return e;
}

cudaError_t cudaPeekAtLastError() { return t_last_error; }

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorUnknown: return "unknown error";
  }
  return "unrecognized error code";
}

cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t /*stream*/) {
  if (bytes == 0) return cudaSuccess;
  if (!ptr) return record(cudaErrorInvalidValue, "cudaMemsetAsync: null pointer");
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t /*stream*/) {
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault)
    return record(cudaErrorInvalidMemcpyDirection, "cudaMemcpyAsync: invalid cudaMemcpyKind");
  if (bytes == 0) return cudaSuccess;
  if (!dst || !src) return record(cudaErrorInvalidValue, "cudaMemcpyAsync: null pointer");
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) { return cudaMemsetAsync(ptr, value, bytes, nullptr); }

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

cudaError_t cudaStreamSynchronize(cudaStream_t /*stream*/) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
