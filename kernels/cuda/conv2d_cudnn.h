// conv2d through cuDNN's legacy convolution API: the run-time switchable reference that the GPU
// parity tests compare kernels/cuda/conv2d.cu against (real CUDA builds only: conv2d_cudnn.cpp is
// compiled into the CUDA object library; callers guard their use with `#if CSGIS_HAS_CUDA`).
//
// Same contract as kernels/cuda/conv2d.h (float32, NCHW / KCRS, outputs overwritten, bias may be
// nullptr, device pointers), plus:
//   * handle: a cudnnHandle_t passed as void* (e.g. Context::cudnn_handle()); it is bound to
//     `stream` on every call, so one handle can serve several streams in turn.
//   * Math: CUDNN_FMA_MATH, i.e. plain fp32 FMA kernels, never TF32 tensor cores, so results are
//     comparable with the hand-written kernels at fp32 tolerances.
//   * Algorithms: the heuristic ranking of cudnnGet*Algorithm_v7; the first supported one whose
//     workspace is <= 1 GiB, preferring CUDNN_DETERMINISTIC ones for the backward passes.
//   * Workspace: allocated per call with cudaMallocAsync and released with cudaFreeAsync on
//     `stream` (stream-ordered; the driver's default memory pool caches it between calls).
// Errors throw std::runtime_error naming the cuDNN call and status.
#pragma once
#include "kernels/common/conv2d_shape.h"

typedef struct CUstream_st* cudaStream_t;

namespace csgis::cudnn {

void conv2d_forward(void* handle, const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y, cudaStream_t stream);
void conv2d_backward_input(void* handle, const Conv2dShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream);
void conv2d_backward_weight(void* handle, const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            cudaStream_t stream);
void conv2d_backward_bias(void* handle, const Conv2dShape& s, const float* dy, float* db,
                          cudaStream_t stream);

}  // namespace csgis::cudnn
