// 2-D discrete Fourier transforms of image planes for the FFT-based smoothers (L0, ILS): Eigen's FFT
// (unsupported/Eigen/FFT, header-only, Debian's libeigen3-dev), every row and then every column, in
// double precision, rows and columns spread over OpenMP threads (one Eigen::FFT object each, so the
// result does not depend on the thread count). The inverse includes the 1/(W H) scaling.
// threaded = false keeps it on the calling thread: L0 smoothing, which the VOC-smooth builder runs
// on its own worker threads, one image each.
#pragma once
#include <complex>
#include <vector>

namespace csgis::data::smoothers {

// In place: `a` is a W x H row-major plane.
void fft2(std::vector<std::complex<double>>& a, int W, int H, bool inverse, bool threaded = true);

// Spectra of the circular forward differences: F(dx)[k] = exp(2 pi i k / W) - 1 for
// (dx S)(x) = S(x+1) - S(x) (and the same along y with H).
std::vector<std::complex<double>> forward_difference_spectrum(int n);

// |F(dx)|^2 + |F(dy)|^2 = 4 sin^2(pi kx / W) + 4 sin^2(pi ky / H): the spectrum of D^T D, W x H.
std::vector<double> gradient_energy_spectrum(int W, int H);

}  // namespace csgis::data::smoothers
