#include "kernels/cuda/cufft_plan.h"

#include <cufft.h>

#include <stdexcept>
#include <string>

namespace csgis::cuda {

namespace {
const char* status_name(cufftResult s) {
  switch (s) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "cuFFT error";
  }
}

// Kernels include nothing of the engine: errors are std::runtime_error, which the engine reports.
void check(cufftResult s, const char* what) {
  if (s != CUFFT_SUCCESS)
    throw std::runtime_error(std::string(what) + " failed: " + status_name(s) + " (" + std::to_string(int(s)) + ")");
}
}  // namespace

CufftRealPlan2d::CufftRealPlan2d(int width, int height, int batch) {
  if (width < 1 || height < 1 || batch < 1)
    throw std::runtime_error("cuFFT plan: width, height and batch must be >= 1, got " + std::to_string(width) + "x" +
                             std::to_string(height) + "x" + std::to_string(batch));
  int n[2] = {height, width};  // slowest dimension first: row-major planes
  check(cufftPlanMany(&forward_plan_, 2, n, nullptr, 1, 0, nullptr, 1, 0, CUFFT_D2Z, batch), "cufftPlanMany (D2Z)");
  has_forward_ = true;
  const cufftResult s = cufftPlanMany(&inverse_plan_, 2, n, nullptr, 1, 0, nullptr, 1, 0, CUFFT_Z2D, batch);
  if (s != CUFFT_SUCCESS) {
    cufftDestroy(forward_plan_);
    check(s, "cufftPlanMany (Z2D)");
  }
  has_inverse_ = true;
}

CufftRealPlan2d::~CufftRealPlan2d() {
  if (has_forward_) cufftDestroy(forward_plan_);
  if (has_inverse_) cufftDestroy(inverse_plan_);
}

void CufftRealPlan2d::forward(const double* real, double* spectrum, cudaStream_t stream) {
  check(cufftSetStream(forward_plan_, stream), "cufftSetStream");
  // An out-of-place D2Z does not write its input; cuFFT's signature is not const.
  check(cufftExecD2Z(forward_plan_, const_cast<cufftDoubleReal*>(real), reinterpret_cast<cufftDoubleComplex*>(spectrum)),
        "cufftExecD2Z");
}

void CufftRealPlan2d::inverse(double* spectrum, double* real, cudaStream_t stream) {
  check(cufftSetStream(inverse_plan_, stream), "cufftSetStream");
  check(cufftExecZ2D(inverse_plan_, reinterpret_cast<cufftDoubleComplex*>(spectrum), real), "cufftExecZ2D");
}

}  // namespace csgis::cuda
