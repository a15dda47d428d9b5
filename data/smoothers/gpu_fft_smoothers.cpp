#include "data/smoothers/gpu_fft_smoothers.h"

#include "data/smoothers/fft2d.h"
#include "data/smoothers/gpu_fft.h"
#include "data/smoothers/gpu_smoothers.h"
#include "engine/dispatch.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/fft_smoothers.h"
#include "kernels/gpu.h"

namespace csgis::data::smoothers {

namespace {
// What both solvers hold on the device: the image as C double planes, two more plane sets for the
// gradients (or Welsch terms), the data term's spectrum, a spectrum to work in, and the shared
// denominator table; plus the FFT plans.
struct FftSolverState {
  HwcShape shape;  // first: checked before anything is allocated
  int W, H, C;
  Tensor hwc_in;
  Device device;
  GpuRealFft2d fft;
  Tensor planes, gx, gy, data_spectrum, spectrum, otf2;

  FftSolverState(const Tensor& hwc, const char* op)
      : shape(check_hwc_image(hwc, op)),
        W(shape.width),
        H(shape.height),
        C(shape.channels),
        hwc_in(dense(hwc)),
        device(hwc_in.device()),
        fft(device, W, H, C) {
    CSGIS_CHECK(W >= 2 && H >= 2, op, ": image must be at least 2x2, got ", W, "x", H);
    const int64_t n = fft.plane_size() * C, ns = fft.spectrum_size() * C;
    planes = Tensor::empty({n}, DType::F64, device);
    gx = Tensor::empty({n}, DType::F64, device);
    gy = Tensor::empty({n}, DType::F64, device);
    data_spectrum = Tensor::empty({2 * ns}, DType::F64, device);
    spectrum = Tensor::empty({2 * ns}, DType::F64, device);
    otf2 = Tensor::from_vector(half_gradient_energy_spectrum(W, H), {fft.spectrum_size()}, device);
    CSGIS_GPU_CALL(device, hwc_to_planes_f64, hwc_in.data<float>(), p(planes), W, H, C);
    fft.forward(p(planes), p(data_spectrum));
  }

  static double* p(Tensor& t) { return t.data<double>(); }

  Tensor result() {
    Tensor out = Tensor::empty(hwc_in.shape(), DType::F32, device);
    CSGIS_GPU_CALL(device, planes_to_hwc_f32, p(planes), out.data<float>(), W, H, C);
    return out;
  }
};
}  // namespace

Tensor l0_smoothing_gpu(const Tensor& hwc, const L0Params& params) {
  params.validate();
  FftSolverState st(hwc, "l0_smoothing_gpu");
  const double inv_n = 1.0 / double(st.fft.plane_size());
  for (double beta = 2 * params.lambda; beta < params.beta_max; beta *= params.kappa) {
    CSGIS_GPU_CALL(st.device, l0_sparse_gradients, st.p(st.planes), st.p(st.gx), st.p(st.gy), st.W, st.H, st.C,
                   params.lambda / beta);
    // S is dead until the inverse transform rewrites it: the divergence goes there.
    CSGIS_GPU_CALL(st.device, circular_divergence, st.p(st.gx), st.p(st.gy), st.p(st.planes), st.W, st.H, st.C);
    st.fft.forward(st.p(st.planes), st.p(st.spectrum));
    CSGIS_GPU_CALL(st.device, spectral_solve, st.p(st.data_spectrum), st.p(st.spectrum), nullptr, st.p(st.otf2),
                   st.fft.spectrum_size(), st.C, beta, beta, inv_n);
    st.fft.inverse(st.p(st.spectrum), st.p(st.planes));
  }
  return st.result();
}

Tensor ils_smoothing_gpu(const Tensor& hwc, const IlsParams& params) {
  params.validate();
  FftSolverState st(hwc, "ils_smoothing_gpu");
  const double inv_n = 1.0 / double(st.fft.plane_size());
  const double half_lambda = params.lambda / 2, inv_two_gamma2 = 1.0 / (2 * params.gamma * params.gamma);
  for (int it = 0; it < params.iterations; ++it) {
    CSGIS_GPU_CALL(st.device, ils_welsch_terms, st.p(st.planes), st.p(st.gx), st.p(st.gy), st.W, st.H, st.C,
                   kIlsWelschC, inv_two_gamma2);
    CSGIS_GPU_CALL(st.device, circular_divergence, st.p(st.gx), st.p(st.gy), st.p(st.planes), st.W, st.H, st.C);
    st.fft.forward(st.p(st.planes), st.p(st.spectrum));
    // accumulate: the solved spectrum (before the FFT's 1/(W H)) is the next iteration's data term.
    CSGIS_GPU_CALL(st.device, spectral_solve, st.p(st.data_spectrum), st.p(st.spectrum),
                   params.accumulate ? st.p(st.data_spectrum) : nullptr, st.p(st.otf2), st.fft.spectrum_size(),
                   st.C, half_lambda, half_lambda * kIlsWelschC, inv_n);
    st.fft.inverse(st.p(st.spectrum), st.p(st.planes));
  }
  return st.result();
}

Image l0_smoothing_gpu(const Image& img, const L0Params& params, Device device) {
  return hwc_to_image(l0_smoothing_gpu(image_to_hwc(img, device), params));
}

Image ils_smoothing_gpu(const Image& img, const IlsParams& params, Device device) {
  return hwc_to_image(ils_smoothing_gpu(image_to_hwc(img, device), params));
}

}  // namespace csgis::data::smoothers
