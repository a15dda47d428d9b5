#pragma once
// CPU conv2d kernels (groups = 1), contiguous NCHW activations and KCRS weights.
// Explicitly instantiated for float (AVX2/FMA or AVX-512F fast paths, picked at run time) and double
// (portable path, used by double-precision gradient checks).
//
// Threading: every function parallelises with OpenMP over omp_get_max_threads() threads and
// calls no BLAS, so nothing nests and nothing oversubscribes. Results are deterministic for a
// given thread count (the weight gradient reduces per-thread partials in thread order).
#include "kernels/common/conv2d_shape.h"

namespace csgis::cpu {

class ScratchArena;  // kernels/cpu/scratch.h

// The micro-kernels of a float call: the portable loops, AVX2/FMA, or AVX-512F (wider tiles). A
// path the CPU lacks falls back to the best one below it. Forward sums are the same bits on AVX2
// and AVX-512; weight gradients differ in rounding (16 partial sums per accumulator instead of 8).
// Double always takes the portable loops.
enum class ConvIsa { Portable, Avx2, Avx512 };

// Which float code paths the kernels may take, and where their scratch lives. The engine passes its
// Context's switches (Context::cpu_conv_isa, Context::cpu_conv_winograd) and arena
// (Context::cpu_scratch); tests pass them directly.
struct Conv2dCpuOptions {
  ConvIsa isa = ConvIsa::Avx2;
  bool winograd = false;  // 3x3 stride-1 passes with >= 16 channels through Winograd F(2x2, 3x3)
  bool relu = false;      // forward only: y = max(0, conv + bias) as it is written (NaN stays NaN)
  // Scratch buffers (the gathered input, packed weights, per-thread partials); nullptr: an arena
  // of the call's own, freed when it returns. Used by one call at a time.
  ScratchArena* scratch = nullptr;
};

// y[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] * x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw]
// (out-of-range x reads are zero). bias may be nullptr. y is overwritten.
template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y,
                    const Conv2dCpuOptions& opt = {});

// dx = d(sum y*dy)/dx: dx[n,c,h,w] = sum over (k,r,s,p,q) hitting (h,w) of w[k,c,r,s]*dy[n,k,p,q].
// dx is overwritten.
template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx, const Conv2dCpuOptions& opt = {});

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw]. dw is overwritten.
template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, const Conv2dCpuOptions& opt = {});

// db[k] = sum_{n,p,q} dy[n,k,p,q]. db is overwritten.
template <typename T>
void conv2d_backward_bias(const Conv2dShape& s, const T* dy, T* db);

}  // namespace csgis::cpu
