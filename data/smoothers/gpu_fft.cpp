#include "data/smoothers/gpu_fft.h"

#include <complex>

#include "data/smoothers/fft2d.h"
#include "engine/context.h"
#include "engine/error.h"
#if CSGIS_HAS_CUDA
#include "kernels/cuda/cufft_plan.h"
#endif

namespace csgis::data::smoothers {

#if CSGIS_HAS_CUDA
struct GpuRealFft2d::CudaPlan {
  cuda::CufftRealPlan2d plan;
  CudaPlan(int width, int height, int planes) : plan(width, height, planes) {}
};
#else
struct GpuRealFft2d::CudaPlan {};
#endif

GpuRealFft2d::GpuRealFft2d(Device device, int width, int height, int planes)
    : device_(device), width_(width), height_(height), planes_(planes) {
  CSGIS_CHECK(device.runs_cuda_kernels(), "GPU FFT: expects a cuda or simt device, got ", device.str());
  CSGIS_CHECK(width >= 1 && height >= 1 && planes >= 1, "GPU FFT: width, height and planes must be >= 1, got ",
              width, "x", height, "x", planes);
  if (device.is_cuda()) {
#if CSGIS_HAS_CUDA
    cuda_ = std::make_unique<CudaPlan>(width, height, planes);
#else
    CSGIS_FAIL("GPU FFT: this build has no CUDA (configure with -DCSGIS_CUDA=ON)");
#endif
  }
}

GpuRealFft2d::~GpuRealFft2d() = default;

void GpuRealFft2d::forward(const double* real, double* spectrum) {
#if CSGIS_HAS_CUDA
  if (cuda_) return cuda_->plan.forward(real, spectrum, current_stream(device_));
#endif
  auto* out = reinterpret_cast<std::complex<double>*>(spectrum);
  for (int p = 0; p < planes_; ++p) real_fft2(real + p * plane_size(), out + p * spectrum_size(), width_, height_);
}

void GpuRealFft2d::inverse(double* spectrum, double* real) {
#if CSGIS_HAS_CUDA
  if (cuda_) return cuda_->plan.inverse(spectrum, real, current_stream(device_));
#endif
  auto* in = reinterpret_cast<std::complex<double>*>(spectrum);
  for (int p = 0; p < planes_; ++p)
    unnormalised_inverse_real_fft2(in + p * spectrum_size(), real + p * plane_size(), width_, height_);
}

}  // namespace csgis::data::smoothers
