// Batched 2-D real FFTs of double planes in the memory of a device that runs the kernels/cuda
// sources, for the FFT-based smoothers there (data/smoothers/gpu_fft_smoothers.h):
//   * `cuda`: cuFFT (kernels/cuda/cufft_plan.h, D2Z / Z2D plans made once), queued on the
//     device's current stream;
//   * `simt`: the emulated device's memory is host memory, so the transforms run in place on the
//     calling thread's OpenMP team with the CPU smoothers' Eigen FFT (data/smoothers/fft2d.h
//     real_fft2): cuFFT does not exist there.
// Layout (cuFFT's): `planes` real width x height row-major planes back to back <-> as many
// (width/2 + 1) x height half spectra back to back, complex values as interleaved (re, im) doubles.
// The inverse is unnormalised, as cuFFT's: forward then inverse multiplies by width x height (the
// smoothers fold the 1/(width height) into their spectral solve).
#pragma once
#include <cstdint>
#include <memory>

#include "engine/device.h"

namespace csgis::data::smoothers {

class GpuRealFft2d {
 public:
  // throws csgis::Error for a device that runs no kernels/cuda code, or sizes < 1
  GpuRealFft2d(Device device, int width, int height, int planes);
  ~GpuRealFft2d();
  GpuRealFft2d(const GpuRealFft2d&) = delete;
  GpuRealFft2d& operator=(const GpuRealFft2d&) = delete;

  int64_t plane_size() const { return int64_t(width_) * height_; }
  int64_t spectrum_size() const { return int64_t(width_ / 2 + 1) * height_; }  // complex values per plane

  // Device pointers. forward leaves `real` as it is; inverse may overwrite `spectrum`.
  void forward(const double* real, double* spectrum);
  void inverse(double* spectrum, double* real);

 private:
  struct CudaPlan;
  Device device_;
  int width_, height_, planes_;
  std::unique_ptr<CudaPlan> cuda_;  // only on `cuda`
};

}  // namespace csgis::data::smoothers
