// kernels/simt/simt.h — SIMT emulation: runs CUDA kernel source on the CPU for tests.
//
// Every kernels/cuda/*.cu file is also compiled by the host compiler with -DCSGIS_SIMT=1 (through a
// wrapper .cpp that #includes it); kernels/cuda/cuda_common.cuh then includes this header instead of
// <cuda_runtime.h>. The emulation aims to be faithful, not fast:
//   * A launch runs every block of the grid. Inside a block, the threads run one after the other as a
//     plain loop until one of them reaches a barrier or warp collective; from then on every thread of
//     that block runs as its own fiber (ucontext) and fibers switch only at __syncthreads*() and the
//     warp collectives (__syncwarp, __shfl*_sync, __ballot_sync, __any_sync, __all_sync).
//   * Misuse is reported by throwing simt::Error from the launch (and setting the error returned by
//     cudaGetLastError()): a barrier that not every thread of a block reaches, threads of a warp that
//     wait at different collectives, a collective whose mask names exited lanes, a launch beyond the
//     hardware limits, a write outside the dynamic shared memory buffer.
//
// What a kernel author must know:
//   * Static shared arrays: declare them with CSGIS_STATIC_SHARED(T, name, dims) (kernels/cuda/
//     cuda_common.cuh). Each block then gets fresh copies filled with 0xFF bytes (NaN), a write just
//     before or past one is caught by the 64-byte guard gaps on both sides, checked after the block
//     (a stride that jumps a gap is not), and their bytes plus the dynamic ones are checked against
//     the 48 KiB limit when each declaration first runs (one on a path no thread takes is not
//     counted: the GPU counts it). A plain `__shared__` variable still becomes
//     `static thread_local`: shared by the threads of one block but NOT reset between blocks or
//     launches, unchecked and uncounted (the emulator's own tests use it).
//   * Dynamic shared memory: declare it with CSGIS_DYNAMIC_SHARED(T, name) (not `extern __shared__`).
//     It is filled with 0xFF bytes (NaN for float) before each block, and guard bytes around it are
//     checked after each block.
//   * Warp-synchronous code without __syncwarp()/collectives (legacy "volatile" reductions) does not
//     work: threads of a warp do not run in lock step. It is undefined behaviour on Volta+ as well.
//   * Reading a __shfl*_sync source lane that does not take part in the call yields garbage (all bits
//     set), as undefined on hardware. Lanes beyond the end of a partial last warp count as absent,
//     lanes that exited count as an error when named in the mask.
//   * __activemask() returns the lanes of the warp that exist and have not exited.
//   * __CUDA_ARCH__ is not defined. threadIdx/blockIdx/blockDim/gridDim are macros: do not use these
//     names for ordinary variables in a file compiled for emulation.
//   * A kernel's arguments are copied into the launch once; each thread gets its own copy of them.
//   * For a template kernel take its address first: `auto k = my_kernel<float, 4>; CSGIS_LAUNCH(k, ...)`.
//   * An aborted launch abandons the fibers still waiting: destructors of objects living on those
//     threads' stacks do not run.
//   * Environment: CSGIS_SIMT_THREADS=n runs the blocks of a launch on n host threads (default 1);
//     CSGIS_SIMT_STACK_KB sets the fiber stack size (default 64 KiB, 256 KiB in ASan builds);
//     CSGIS_SIMT_SCHEDULE=seed shuffles the order of blocks and threads (see simt_checks.h).
//   * Device memory of the engine's SIMT device starts as NaN and is guarded on both sides (see
//     simt_checks.h).
#pragma once

#if defined(__CUDACC__)
#error "kernels/simt/simt.h is the CPU emulation header; nvcc must use <cuda_runtime.h>"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/simt/simt_checks.h"

// ------------------------------------------------------------------------------------------------
// Built-in vector and index types.
struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

struct __attribute__((aligned(8))) float2 { float x, y; };
struct float3 { float x, y, z; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) int2 { int x, y; };
struct int3 { int x, y, z; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
struct __attribute__((aligned(8))) uint2 { unsigned int x, y; };
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
struct __attribute__((aligned(16))) double2 { double x, y; };
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int3 make_int3(int x, int y, int z) { return int3{x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
inline uint2 make_uint2(unsigned int x, unsigned int y) { return uint2{x, y}; }
inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }

constexpr int warpSize = 32;

// ------------------------------------------------------------------------------------------------
// Qualifiers. (__restrict__ is understood by g++ already; __noinline__ is left alone because system
// headers spell __attribute__((__noinline__)).)
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// One instance per host thread, and a host thread runs one block at a time: shared by a block.
#define __shared__ static thread_local

// ------------------------------------------------------------------------------------------------
// Minimal runtime API. Memory is host memory; streams are ignored; everything is synchronous.
typedef struct CUstream_st* cudaStream_t;

enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorLaunchFailure = 719,
  cudaErrorUnknown = 999
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};

cudaError_t cudaGetLastError();   // returns and clears this host thread's last error
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes);
cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize();

// ------------------------------------------------------------------------------------------------
namespace simt {

// Thrown by a launch that fails a check; code() is what cudaGetLastError() reports afterwards.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, cudaError_t code = cudaErrorLaunchFailure)
      : std::runtime_error(what), code_(code) {}
  cudaError_t code() const noexcept { return code_; }

 private:
  cudaError_t code_;
};

constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr std::size_t kMaxDynamicSharedBytes = 48 * 1024;  // default limit without the opt-in attribute

// Device memory checks and shuffled schedules: kernels/simt/simt_checks.h (included above).

// Counters of the last launch made by this host thread.
struct LaunchStats {
  std::uint64_t blocks = 0;
  std::uint64_t plain_blocks = 0;      // ran as a plain loop, no thread reached a barrier/collective
  std::uint64_t fiber_blocks = 0;      // switched to one fiber per thread
  std::uint64_t context_switches = 0;  // host <-> fiber switches
  unsigned host_threads = 1;
};
LaunchStats last_launch_stats();
// Kernel launches this host thread has made (tests: did an op take the device path?).
std::uint64_t launch_count();
std::string last_error_message();  // detail of the error cudaGetLastError() would return ("" if none)

// Settings of the calling host thread (0 = from the environment, see the top of this file).
void set_host_threads(int n);
void set_fiber_stack_size(std::size_t bytes);
std::size_t fiber_stack_size();

namespace detail {

struct ThreadCtx {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
// Points at the context of the emulated thread running on this host thread (null outside kernels).
inline thread_local const ThreadCtx* tls_current = nullptr;
inline const ThreadCtx& current() noexcept { return *tls_current; }

enum class Op : unsigned char { SyncWarp, Shfl, ShflUp, ShflDown, ShflXor, Ballot, Any, All };
enum class BarrierKind : unsigned char { Sync, Count, And, Or };

// Suspend the calling thread until its partners arrive; these switch fibers.
std::uint64_t warp_collective(Op op, unsigned mask, std::uint64_t value, unsigned param, int width);
int block_barrier(BarrierKind kind, int predicate);
unsigned active_mask();
void* dynamic_shared_ptr();
// The block's copy of the static shared array declared at `key` (CSGIS_STATIC_SHARED): NaN-filled
// at block start, followed by a guard gap checked after the block; static plus dynamic bytes are
// checked against kMaxDynamicSharedBytes (48 KiB).
void* static_shared(const void* key, std::size_t bytes);

struct LaunchDesc {
  const char* name;          // may be null: then the kernel address names the launch
  std::uintptr_t kernel_addr;
  dim3 grid, block;
  std::size_t shared_bytes;
  void (*invoke)(const void* call);  // runs the kernel body once for the current thread
  const void* call;
};
void run_launch(const LaunchDesc& desc);  // throws simt::Error
void check_device_memory(const LaunchDesc& desc);  // throws simt::Error on a damaged guard zone
std::string repair_device_memory();  // the first damaged guard zone ("" if none); all are repaired

template <class... P>
struct KernelCall {
  void (*kernel)(P...);
  std::tuple<std::decay_t<P>...> args;  // the launch's copies; each thread copies from them
  static void invoke(const void* self) {
    const KernelCall* c = static_cast<const KernelCall*>(self);
    std::apply(c->kernel, c->args);
  }
};

template <class T>
T collective_bits(Op op, unsigned mask, T value, unsigned param, int width) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8,
                "warp shuffles take trivially copyable values of at most 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = warp_collective(op, mask, bits, param, width);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

}  // namespace detail

template <class... P, class... A>
void launch_named(const char* name, dim3 grid, dim3 block, std::size_t dynamic_shared_bytes,
                  void (*kernel)(P...), A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "simt::launch: wrong number of kernel arguments");
  const detail::KernelCall<P...> call{kernel, std::tuple<std::decay_t<P>...>(std::forward<A>(args)...)};
  const detail::LaunchDesc desc{name,  reinterpret_cast<std::uintptr_t>(kernel),
                                grid,  block,
                                dynamic_shared_bytes, &detail::KernelCall<P...>::invoke,
                                &call};
  detail::run_launch(desc);
}

template <class... P, class... A>
void launch(dim3 grid, dim3 block, std::size_t dynamic_shared_bytes, void (*kernel)(P...), A&&... args) {
  launch_named(nullptr, grid, block, dynamic_shared_bytes, kernel, std::forward<A>(args)...);
}

namespace detail {
// CSGIS_LAUNCH(k, grid, block, shm, stream, args...) -> configure_launch(...)(args...): this form
// also accepts kernels without parameters and uses the stream argument.
template <class... P>
struct ConfiguredLaunch {
  const char* name;
  dim3 grid, block;
  std::size_t shared_bytes;
  void (*kernel)(P...);
  template <class... A>
  void operator()(A&&... args) const {
    launch_named(name, grid, block, shared_bytes, kernel, std::forward<A>(args)...);
  }
};
template <class... P>
ConfiguredLaunch<P...> configure_launch(const char* name, dim3 grid, dim3 block, std::size_t shared_bytes,
                                        cudaStream_t /*stream: emulation is synchronous*/,
                                        void (*kernel)(P...)) {
  return ConfiguredLaunch<P...>{name, grid, block, shared_bytes, kernel};
}
}  // namespace detail
}  // namespace simt

// ------------------------------------------------------------------------------------------------
// Per-thread built-in variables.
#define threadIdx (::simt::detail::current().thread_idx)
#define blockIdx (::simt::detail::current().block_idx)
#define blockDim (::simt::detail::current().block_dim)
#define gridDim (::simt::detail::current().grid_dim)

// ------------------------------------------------------------------------------------------------
// Barriers and warp collectives.
inline void __syncthreads() { ::simt::detail::block_barrier(::simt::detail::BarrierKind::Sync, 1); }
inline int __syncthreads_count(int predicate) {
  return ::simt::detail::block_barrier(::simt::detail::BarrierKind::Count, predicate);
}
inline int __syncthreads_and(int predicate) {
  return ::simt::detail::block_barrier(::simt::detail::BarrierKind::And, predicate);
}
inline int __syncthreads_or(int predicate) {
  return ::simt::detail::block_barrier(::simt::detail::BarrierKind::Or, predicate);
}
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::simt::detail::warp_collective(::simt::detail::Op::SyncWarp, mask, 0, 0, warpSize);
}
template <class T>
inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize) {
  return ::simt::detail::collective_bits(::simt::detail::Op::Shfl, mask, var, static_cast<unsigned>(srcLane), width);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {
  return ::simt::detail::collective_bits(::simt::detail::Op::ShflUp, mask, var, delta, width);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {
  return ::simt::detail::collective_bits(::simt::detail::Op::ShflDown, mask, var, delta, width);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize) {
  return ::simt::detail::collective_bits(::simt::detail::Op::ShflXor, mask, var, static_cast<unsigned>(laneMask), width);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return static_cast<unsigned>(
      ::simt::detail::warp_collective(::simt::detail::Op::Ballot, mask, predicate != 0, 0, warpSize));
}
inline int __any_sync(unsigned mask, int predicate) {
  return static_cast<int>(::simt::detail::warp_collective(::simt::detail::Op::Any, mask, predicate != 0, 0, warpSize));
}
inline int __all_sync(unsigned mask, int predicate) {
  return static_cast<int>(::simt::detail::warp_collective(::simt::detail::Op::All, mask, predicate != 0, 0, warpSize));
}
inline unsigned __activemask() { return ::simt::detail::active_mask(); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ------------------------------------------------------------------------------------------------
// Atomics: GCC __atomic builtins, so they stay correct when blocks run on several host threads.
namespace simt {
namespace detail {
template <class T, class F>
inline T atomic_update(T* address, F f) {  // CAS loop; returns the old value
  T old;
  __atomic_load(address, &old, __ATOMIC_SEQ_CST);
  T desired = f(old);
  while (!__atomic_compare_exchange(address, &old, &desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    desired = f(old);
  return old;
}
}  // namespace detail
}  // namespace simt

#define CSGIS_SIMT_ATOMIC_INT_(T)                                                                     \
  inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST); }                \
  inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST); }                \
  inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST); }                \
  inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST); }                  \
  inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST); }                \
  inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST); }              \
  inline T atomicMax(T* a, T v) {                                                                     \
    return ::simt::detail::atomic_update(a, [v](T o) { return o < v ? v : o; });                      \
  }                                                                                                   \
  inline T atomicMin(T* a, T v) {                                                                     \
    return ::simt::detail::atomic_update(a, [v](T o) { return v < o ? v : o; });                      \
  }                                                                                                   \
  inline T atomicCAS(T* a, T compare, T v) {                                                          \
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);           \
    return compare;                                                                                   \
  }
CSGIS_SIMT_ATOMIC_INT_(int)
CSGIS_SIMT_ATOMIC_INT_(unsigned int)
CSGIS_SIMT_ATOMIC_INT_(unsigned long long)
#undef CSGIS_SIMT_ATOMIC_INT_
inline long long atomicMax(long long* a, long long v) {
  return ::simt::detail::atomic_update(a, [v](long long o) { return o < v ? v : o; });
}
inline long long atomicMin(long long* a, long long v) {
  return ::simt::detail::atomic_update(a, [v](long long o) { return v < o ? v : o; });
}
inline float atomicAdd(float* a, float v) {
  return ::simt::detail::atomic_update(a, [v](float o) { return o + v; });
}
inline double atomicAdd(double* a, double v) {
  return ::simt::detail::atomic_update(a, [v](double o) { return o + v; });
}
inline float atomicExch(float* a, float v) {
  float old;
  __atomic_exchange(a, &v, &old, __ATOMIC_SEQ_CST);
  return old;
}
inline unsigned int atomicInc(unsigned int* a, unsigned int limit) {
  return ::simt::detail::atomic_update(a, [limit](unsigned int o) { return o >= limit ? 0u : o + 1u; });
}
inline unsigned int atomicDec(unsigned int* a, unsigned int limit) {
  return ::simt::detail::atomic_update(a, [limit](unsigned int o) { return (o == 0u || o > limit) ? limit : o - 1u; });
}

// ------------------------------------------------------------------------------------------------
// Intrinsics and math. fminf/fmaxf/expf/... come from <cmath> (C library, global namespace).
template <class T>
inline T __ldg(const T* p) { return *p; }
inline float __expf(float x) { return std::exp(x); }
inline float __exp10f(float x) { return std::pow(10.0f, x); }
inline float __logf(float x) { return std::log(x); }
inline float __log2f(float x) { return std::log2(x); }
inline float __log10f(float x) { return std::log10(x); }
inline float __powf(float x, float y) { return std::pow(x, y); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanf(float x) { return std::tan(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __saturatef(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }  // NaN -> 0
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return std::sqrt(x); }
inline int __float2int_rn(float x) { return static_cast<int>(std::nearbyint(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline int __float_as_int(float x) { int r; std::memcpy(&r, &x, sizeof r); return r; }
inline float __int_as_float(int x) { float r; std::memcpy(&r, &x, sizeof r); return r; }
inline unsigned int __float_as_uint(float x) { unsigned int r; std::memcpy(&r, &x, sizeof r); return r; }
inline float __uint_as_float(unsigned int x) { float r; std::memcpy(&r, &x, sizeof r); return r; }
inline long long __double_as_longlong(double x) { long long r; std::memcpy(&r, &x, sizeof r); return r; }
inline double __longlong_as_double(long long x) { double r; std::memcpy(&r, &x, sizeof r); return r; }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline unsigned int __brev(unsigned int x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
  return (x >> 16) | (x << 16);
}

// CUDA's global min/max overloads: plain functions (not macros, not templates), so std::min/std::max
// stay untouched and an unqualified call with equal types prefers these.
#define CSGIS_SIMT_MINMAX_(A, B, R)                                                                   \
  inline R min(A a, B b) { return static_cast<R>(a) < static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); } \
  inline R max(A a, B b) { return static_cast<R>(a) < static_cast<R>(b) ? static_cast<R>(b) : static_cast<R>(a); }
CSGIS_SIMT_MINMAX_(int, int, int)
CSGIS_SIMT_MINMAX_(unsigned int, unsigned int, unsigned int)
CSGIS_SIMT_MINMAX_(int, unsigned int, unsigned int)
CSGIS_SIMT_MINMAX_(unsigned int, int, unsigned int)
CSGIS_SIMT_MINMAX_(long, long, long)
CSGIS_SIMT_MINMAX_(unsigned long, unsigned long, unsigned long)
CSGIS_SIMT_MINMAX_(long, unsigned long, unsigned long)
CSGIS_SIMT_MINMAX_(unsigned long, long, unsigned long)
CSGIS_SIMT_MINMAX_(long long, long long, long long)
CSGIS_SIMT_MINMAX_(unsigned long long, unsigned long long, unsigned long long)
CSGIS_SIMT_MINMAX_(long long, unsigned long long, unsigned long long)
CSGIS_SIMT_MINMAX_(unsigned long long, long long, unsigned long long)
#undef CSGIS_SIMT_MINMAX_
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
inline double min(float a, double b) { return std::fmin(static_cast<double>(a), b); }
inline double max(float a, double b) { return std::fmax(static_cast<double>(a), b); }
inline double min(double a, float b) { return std::fmin(a, static_cast<double>(b)); }
inline double max(double a, float b) { return std::fmax(a, static_cast<double>(b)); }
