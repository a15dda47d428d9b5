#pragma once
// CPU conv2d kernels (groups = 1), contiguous NCHW activations and KCRS weights.
// Explicitly instantiated for float (AVX2/FMA fast path, picked at run time) and double
// (portable path, used by double-precision gradient checks).
//
// Threading: every function parallelises with OpenMP over omp_get_max_threads() threads and
// calls no BLAS, so nothing nests and nothing oversubscribes. Results are deterministic for a
// given thread count (the weight gradient reduces per-thread partials in thread order).
#include "kernels/conv2d_shape.h"

namespace csgis::cpu {

// y[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] * x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw]
// (out-of-range x reads are zero). bias may be nullptr. y is overwritten.
template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);

// dx = d(sum y*dy)/dx: dx[n,c,h,w] = sum over (k,r,s,p,q) hitting (h,w) of w[k,c,r,s]*dy[n,k,p,q].
// dx is overwritten.
template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx);

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw]. dw is overwritten.
template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw);

// db[k] = sum_{n,p,q} dy[n,k,p,q]. db is overwritten.
template <typename T>
void conv2d_backward_bias(const Conv2dShape& s, const T* dy, T* db);

// Test hook: when false, float uses the portable (non-AVX2) path too. Default true; the AVX2
// path is only taken when the CPU reports AVX2 and FMA.
void conv2d_set_simd_enabled(bool enabled);
// When true, 3x3 stride-1 float passes (forward, backward-input) with at least 16 input and output
// channels use Winograd F(2x2, 3x3) (kernels/cpu/conv2d_winograd.h) instead of the direct kernel.
// Default false: on the machines measured so far it is not faster end to end (docs/perf.md);
// `csgis bench conv2d|train-step --winograd` measures it on the machine at hand.
void conv2d_set_winograd_enabled(bool enabled);

}  // namespace csgis::cpu
