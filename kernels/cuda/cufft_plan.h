// Batched 2-D real FFTs in double precision through cuFFT (real CUDA builds only: cufft_plan.cpp is
// compiled into the CUDA object library, and callers guard their use with `#if CSGIS_HAS_CUDA`, as
// matmul_cublas.h's). Used by data/smoothers/gpu_fft.cpp on the `cuda` device.
#pragma once

typedef struct CUstream_st* cudaStream_t;

namespace csgis::cuda {

// `batch` real width x height planes, row-major, back to back <-> their (width/2 + 1) x height half
// spectra (cufftDoubleComplex, i.e. interleaved re, im doubles), back to back: cufftPlanMany D2Z and
// Z2D plans with the default (packed) layouts.
class CufftRealPlan2d {
 public:
  CufftRealPlan2d(int width, int height, int batch);  // throws csgis::Error naming cuFFT's status
  ~CufftRealPlan2d();
  CufftRealPlan2d(const CufftRealPlan2d&) = delete;
  CufftRealPlan2d& operator=(const CufftRealPlan2d&) = delete;

  // Queued on `stream`. forward leaves `real` as it is; inverse is unnormalised (a forward and an
  // inverse multiply by width x height) and may overwrite `spectrum` (cuFFT's out-of-place C2R).
  void forward(const double* real, double* spectrum, cudaStream_t stream);
  void inverse(double* spectrum, double* real, cudaStream_t stream);

 private:
  int forward_plan_ = 0, inverse_plan_ = 0;  // cufftHandle (an int)
  bool has_forward_ = false, has_inverse_ = false;
};

}  // namespace csgis::cuda
