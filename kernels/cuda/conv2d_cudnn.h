// conv2d through cuDNN's legacy convolution API: the run-time switchable reference that the GPU
// parity tests compare kernels/cuda/conv2d.cu against (real CUDA builds only: conv2d_cudnn.cpp is
// compiled into the CUDA object library; callers guard their use with `#if CSGIS_HAS_CUDA`).
//
// Same contract as kernels/cuda/conv2d.h (float32, NCHW / KCRS, outputs overwritten, bias may be
// nullptr, device pointers), plus:
//   * session: from create_session (e.g. Context::cudnn_handle()), an opaque cuDNN handle plus
//     the algorithm chosen per shape and pass; the handle is bound to `stream` on every call, so
//     one session can serve several streams in turn.
//   * Math: CUDNN_FMA_MATH by default, i.e. plain fp32 FMA kernels, never TF32 tensor cores, so
//     results are comparable with the hand-written kernels at fp32 tolerances; `tensor_ops` lets
//     cuDNN use TF32 tensor cores (CUDNN_DEFAULT_MATH, PyTorch's default for convolutions), about
//     1e-3 relative error.
//   * Algorithms: the heuristic ranking of cudnnGet*Algorithm_v7; the first supported one whose
//     workspace is <= 1 GiB, preferring CUDNN_DETERMINISTIC ones for the backward passes. The
//     query runs once per shape and pass of a session (it cost more than the convolution itself
//     at the shapes of `csgis bench conv2d`, docs/perf.md), as PyTorch caches its choice.
//   * Workspace: allocated per call with cudaMallocAsync and released with cudaFreeAsync on
//     `stream` (stream-ordered; the driver's default memory pool caches it between calls).
// Errors throw std::runtime_error naming the cuDNN call and status.
#pragma once
#include <cstddef>

#include "kernels/common/conv2d_shape.h"

typedef struct CUstream_st* cudaStream_t;

namespace csgis::cudnn {

// A session owns its cuDNN handle (created bound to `stream`) and its cache of choices.
void* create_session(cudaStream_t stream);
void destroy_session(void* session) noexcept;
// How many (shape, pass) choices the session holds (for tests).
size_t cached_choices(void* session);

void conv2d_forward(void* session, const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y, cudaStream_t stream, bool tensor_ops = false);
void conv2d_backward_input(void* session, const Conv2dShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream, bool tensor_ops = false);
void conv2d_backward_weight(void* session, const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            cudaStream_t stream, bool tensor_ops = false);
void conv2d_backward_bias(void* session, const Conv2dShape& s, const float* dy, float* db,
                          cudaStream_t stream);

}  // namespace csgis::cudnn
