// 2-D discrete Fourier transforms of image planes for the FFT-based smoothers (ILS: fft2; L0:
// PlaneFft, real planes through half spectra): Eigen's FFT
// (unsupported/Eigen/FFT, header-only, Debian's libeigen3-dev), every row and then every column, in
// double precision, rows and columns spread over OpenMP threads (one Eigen::FFT object each, so the
// result does not depend on the thread count). The inverse includes the 1/(W H) scaling.
// threaded = false keeps it on the calling thread.
#pragma once
#include <complex>
#include <functional>
#include <memory>
#include <vector>

namespace csgis::data::smoothers {

// In place: `a` is a W x H row-major plane.
void fft2(std::vector<std::complex<double>>& a, int W, int H, bool inverse, bool threaded = true);

// Half-spectrum 2-D transforms of whole real planes (the GPU smoothers on the `simt` device,
// data/smoothers/gpu_fft.h), the layout of cuFFT's D2Z / Z2D: a W x H real plane <-> its
// (W/2 + 1) x H half spectrum, row-major. `unnormalised_inverse` is the inverse without the
// 1/(W H) (cuFFT's convention); `in` is overwritten (as cuFFT's out-of-place Z2D may).
void real_fft2(const double* in, std::complex<double>* out, int W, int H, bool threaded = true);
void unnormalised_inverse_real_fft2(std::complex<double>* in, double* out, int W, int H, bool threaded = true);

// Real planes through half spectra, for callers that run their own OpenMP region (L0 smoothing:
// a few barriers per iteration instead of several per transform). One PlaneFft per thread; it keeps
// Eigen's plans and scratch buffers. The half spectrum of a real W x H plane is (W/2 + 1) x H
// complex, row-major, kx in [0, W/2] (the rest is its complex conjugate). A 2-D transform is
// row_forward on every row, then column_block on every block of columns; its inverse the same
// backwards. Rows are real transforms (Eigen's kissfft packs an even-length real row into a
// half-length complex transform), columns complex ones, kColumnBlock at a time so that each pass
// reads whole cache lines.
class PlaneFft {
 public:
  static constexpr int kColumnBlock = 8;
  PlaneFft();
  ~PlaneFft();
  PlaneFft(const PlaneFft&) = delete;
  PlaneFft& operator=(const PlaneFft&) = delete;
  // A real row of W values -> its W/2 + 1 spectrum values.
  void row_forward(const double* in, std::complex<double>* out, int W);
  // W/2 + 1 spectrum values -> the real row of W values (scaled by 1/W).
  void row_inverse(const std::complex<double>* in, double* out, int W);
  // Forward transforms of the columns [x0, x0 + kColumnBlock) (cut at row_len) of a row_len x H
  // row-major array. With `in_frequency`, it is then called on each transformed column (its index
  // x and its H values) and the columns are transformed back (scaled by 1/H): one pass over memory
  // filters the block.
  void column_block(std::complex<double>* a, int row_len, int H, int x0,
                    const std::function<void(int x, std::complex<double>* column)>& in_frequency = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Spectra of the circular forward differences: F(dx)[k] = exp(2 pi i k / W) - 1 for
// (dx S)(x) = S(x+1) - S(x) (and the same along y with H).
std::vector<std::complex<double>> forward_difference_spectrum(int n);

// |F(dx)|^2 + |F(dy)|^2 = 4 sin^2(pi kx / W) + 4 sin^2(pi ky / H): the spectrum of D^T D, W x H.
std::vector<double> gradient_energy_spectrum(int W, int H);
// The same on the half spectrum: kx in [0, W/2], (W/2 + 1) x H.
std::vector<double> half_gradient_energy_spectrum(int W, int H);

}  // namespace csgis::data::smoothers
