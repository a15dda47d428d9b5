// The per-host-program state of the engine: which CUDA device and stream kernels run on, the
// allocators, the random generator, the cuBLAS/cuDNN handles and run-time switches.
//
// Nothing here is a hidden global: a host program creates a Context around its own cudaStream_t
// and makes it current on a thread with ContextGuard. Code that never does so gets a default
// context (device 0, default stream) created on first use.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>

#include "engine/allocator.h"
#include "engine/cpu_isa.h"
#include "engine/device.h"
#include "engine/generator.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

class OpProfile;
namespace cpu {
class ScratchArena;  // kernels/cpu/scratch.h
}


class Context {
 public:
  // Adopts `stream` (not owned, never destroyed by us); nullptr means CUDA's default stream.
  explicit Context(int cuda_device = 0, cudaStream_t stream = nullptr, uint64_t seed = 0x5eed);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int cuda_device() const { return cuda_device_; }
  cudaStream_t stream() const { return stream_; }
  void set_stream(cudaStream_t s) { stream_ = s; }

  // Allocator for tensors on `d` (shared so that storages keep it alive).
  std::shared_ptr<Allocator> allocator_for(Device d);
  CachingAllocator& cuda_allocator();
  CachingAllocator& simt_allocator();

  // The context's random stream (parameter initialisation, randn): one thread at a time draws from
  // it (it is not locked: a draw per element would pay a lock each); threads that create random
  // tensors at once use a context each.
  Generator& generator() { return generator_; }

  // Run-time switches, read by the ops when they run (so two contexts on two threads may differ):
  // convolutions on CUDA use cuDNN instead of our implicit-GEMM kernels;
  bool use_cudnn = false;
  // ... and let cuDNN use TF32 tensor cores (PyTorch's default for convolutions; else FP32 FMA);
  bool cudnn_tf32 = false;
  // matmul/bmm on CUDA use cuBLAS (else the hand-written tiled kernel);
  bool use_cublas = true;
  // The micro-kernels of float convolutions on the CPU: the portable loops (Generic), AVX2/FMA or
  // AVX-512F (where the CPU lacks a path, the best one below it). Default: the process's CPU path
  // (engine/cpu_isa.h: CSGIS_CPU_ISA or the best the CPU has; throws csgis::Error when
  // CSGIS_CPU_ISA cannot be honoured).
  CpuIsa cpu_conv_isa = selected_cpu_isa();
  // Winograd F(2x2, 3x3) for 3x3 stride-1 layers (off: not faster here yet, docs/perf.md).
  bool cpu_conv_winograd = false;
  CpuIsa cpu_isa() const { return cpu_conv_isa; }
  void set_cpu_isa(CpuIsa isa) { cpu_conv_isa = isa; }
  // When set, ops report their forward and backward times to it (engine/profiler.h). Not owned.
  OpProfile* profile = nullptr;

  // Lazily created (once, thread-safe), owned by this context (opaque so that this header needs
  // no CUDA include).
  // cudnn_handle() is a cuDNN session: the handle plus the algorithm chosen per conv shape.
  void* cublas_handle();
  void* cudnn_handle();

  // Waits for all work queued on this context's stream.
  void synchronize();

  // The scratch memory of the CPU kernels (kernels/cpu/scratch.h): grow-only buffers reused from
  // call to call, freed with the context or by release_cpu_scratch(). Ops take it through a
  // ScratchLease; cpu_scratch_bytes() is what it holds now.
  cpu::ScratchArena& cpu_scratch() { return *cpu_scratch_; }
  std::size_t cpu_scratch_bytes() const;
  void release_cpu_scratch();

 private:
  int cuda_device_;
  cudaStream_t stream_;
  Generator generator_;
  // Created on first use, once even when several threads share the context (the default one).
  std::once_flag cuda_alloc_once_, simt_alloc_once_, cublas_once_, cudnn_once_;
  std::shared_ptr<CachingAllocator> cuda_alloc_;
  std::shared_ptr<CachingAllocator> simt_alloc_;
  void* cublas_ = nullptr;
  void* cudnn_ = nullptr;
  std::unique_ptr<cpu::ScratchArena> cpu_scratch_;
};

// The context's CPU scratch arena for one kernel call. A context shared by several host threads
// (the default one, say) lends its arena to one call at a time: while another thread holds it,
// get() is nullptr and the kernel uses scratch of its own for the call.
class ScratchLease {
 public:
  explicit ScratchLease(Context& ctx);
  cpu::ScratchArena* get() const { return arena_; }

 private:
  std::unique_lock<std::mutex> lock_;
  cpu::ScratchArena* arena_ = nullptr;
};

// The context of this thread (the default one unless a ContextGuard is active).
Context& current_context();

// Makes `ctx` the thread's current context and, on a machine with a GPU, its CUDA device the
// thread's current device; both are put back when the guard ends.
class ContextGuard {
 public:
  explicit ContextGuard(Context& ctx);
  ~ContextGuard();
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;

 private:
  Context* previous_;
  int previous_device_ = -1;  // the device to restore, when the guard changed it
};

// The stream kernels for device `d` are queued on (nullptr for CPU and SIMT).
cudaStream_t current_stream(Device d);

}  // namespace csgis
#pragma GCC visibility pop
