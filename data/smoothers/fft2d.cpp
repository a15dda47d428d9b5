#include "data/smoothers/fft2d.h"

#include <algorithm>
#include <cmath>

#include <unsupported/Eigen/FFT>

namespace csgis::data::smoothers {

using cplx = std::complex<double>;

void fft2(std::vector<cplx>& a, int W, int H, bool inverse, bool threaded) {
#pragma omp parallel if (threaded && size_t(W) * H > 16384)
  {
    Eigen::FFT<double> fft;
    std::vector<cplx> in(static_cast<size_t>(W)), out;
#pragma omp for schedule(static)
    for (int y = 0; y < H; ++y) {
      std::copy(a.begin() + size_t(y) * W, a.begin() + size_t(y + 1) * W, in.begin());
      inverse ? fft.inv(out, in) : fft.fwd(out, in);
      std::copy(out.begin(), out.end(), a.begin() + size_t(y) * W);
    }
    in.resize(size_t(H));
#pragma omp for schedule(static)
    for (int x = 0; x < W; ++x) {
      for (int y = 0; y < H; ++y) in[size_t(y)] = a[size_t(y) * W + x];
      inverse ? fft.inv(out, in) : fft.fwd(out, in);
      for (int y = 0; y < H; ++y) a[size_t(y) * W + x] = out[size_t(y)];
    }
  }
}

void real_fft2(const double* in, cplx* out, int W, int H, bool threaded) {
  const int Wh = W / 2 + 1;
#pragma omp parallel if (threaded && size_t(W) * H > 16384)
  {
    Eigen::FFT<double> half, full;
    half.SetFlag(Eigen::FFT<double>::HalfSpectrum);
    std::vector<cplx> column(static_cast<size_t>(H)), transformed(static_cast<size_t>(H));
#pragma omp for schedule(static)
    for (int y = 0; y < H; ++y) half.fwd(out + size_t(y) * Wh, in + size_t(y) * W, W);
#pragma omp for schedule(static)
    for (int x = 0; x < Wh; ++x) {
      for (int y = 0; y < H; ++y) column[size_t(y)] = out[size_t(y) * Wh + x];
      full.fwd(transformed.data(), column.data(), H);
      for (int y = 0; y < H; ++y) out[size_t(y) * Wh + x] = transformed[size_t(y)];
    }
  }
}

void unnormalised_inverse_real_fft2(cplx* in, double* out, int W, int H, bool threaded) {
  const int Wh = W / 2 + 1;
#pragma omp parallel if (threaded && size_t(W) * H > 16384)
  {
    Eigen::FFT<double> half, full;
    half.SetFlag(Eigen::FFT<double>::HalfSpectrum);
    half.SetFlag(Eigen::FFT<double>::Unscaled);
    full.SetFlag(Eigen::FFT<double>::Unscaled);
    std::vector<cplx> column(static_cast<size_t>(H)), transformed(static_cast<size_t>(H));
#pragma omp for schedule(static)
    for (int x = 0; x < Wh; ++x) {
      for (int y = 0; y < H; ++y) column[size_t(y)] = in[size_t(y) * Wh + x];
      full.inv(transformed.data(), column.data(), H);
      for (int y = 0; y < H; ++y) in[size_t(y) * Wh + x] = transformed[size_t(y)];
    }
#pragma omp for schedule(static)
    for (int y = 0; y < H; ++y) half.inv(out + size_t(y) * W, in + size_t(y) * Wh, W);
  }
}

struct PlaneFft::Impl {
  Eigen::FFT<double> half;  // real rows, half spectra
  Eigen::FFT<double> full;  // complex columns
  std::vector<cplx> block, column;
  Impl() { half.SetFlag(Eigen::FFT<double>::HalfSpectrum); }
};

PlaneFft::PlaneFft() : impl_(std::make_unique<Impl>()) {}
PlaneFft::~PlaneFft() = default;

void PlaneFft::row_forward(const double* in, cplx* out, int W) { impl_->half.fwd(out, in, W); }

void PlaneFft::row_inverse(const cplx* in, double* out, int W) { impl_->half.inv(out, in, W); }

void PlaneFft::column_block(cplx* a, int row_len, int H, int x0,
                            const std::function<void(int x, cplx* column)>& in_frequency) {
  const int n = std::min(kColumnBlock, row_len - x0);
  std::vector<cplx>& block = impl_->block;
  std::vector<cplx>& column = impl_->column;
  block.resize(size_t(H) * kColumnBlock);
  column.resize(size_t(H));
  for (int y = 0; y < H; ++y)
    for (int j = 0; j < n; ++j) block[size_t(j) * H + y] = a[size_t(y) * row_len + x0 + j];
  for (int j = 0; j < n; ++j) {
    cplx* col = &block[size_t(j) * H];
    impl_->full.fwd(column.data(), col, H);
    if (in_frequency) {
      in_frequency(x0 + j, column.data());
      impl_->full.inv(col, column.data(), H);
    } else {
      std::copy(column.begin(), column.end(), col);
    }
  }
  for (int y = 0; y < H; ++y)
    for (int j = 0; j < n; ++j) a[size_t(y) * row_len + x0 + j] = block[size_t(j) * H + y];
}

std::vector<cplx> forward_difference_spectrum(int n) {
  std::vector<cplx> f(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) f[size_t(k)] = std::polar(1.0, 2 * M_PI * k / n) - 1.0;
  return f;
}

namespace {
std::vector<double> gradient_energy_columns(int W, int H, int columns) {
  std::vector<double> s(size_t(columns) * H);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < columns; ++x) {
      const double sx = std::sin(M_PI * x / W), sy = std::sin(M_PI * y / H);
      s[size_t(y) * columns + x] = 4.0 * (sx * sx + sy * sy);
    }
  return s;
}
}  // namespace

std::vector<double> gradient_energy_spectrum(int W, int H) { return gradient_energy_columns(W, H, W); }

std::vector<double> half_gradient_energy_spectrum(int W, int H) { return gradient_energy_columns(W, H, W / 2 + 1); }

}  // namespace csgis::data::smoothers
