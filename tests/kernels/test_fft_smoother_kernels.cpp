// The FFT-based smoothers on a device (data/smoothers/gpu_fft_smoothers.h: L0 gradient minimisation
// and ILS, kernels/cuda/fft_smoothers.cu + data/smoothers/gpu_fft.h) against their CPU versions
// (data/smoothers/l0_smoothing.cpp, data/smoothers/ils.cpp): on the SIMT emulator ([simt]) and on a
// real GPU ([gpu], skipped without one). Random structured images (flat regions with steps, a
// gradient, noise) of odd sizes, 1 and 3 channels, two parameter sets each. Tolerance 1e-5 max
// |difference|; for L0 a pixel whose gradient energy lies within rounding of lambda / beta may go
// the other way, so L0 allows a few pixels (<= 0.5% of them) past 1e-5 and still bounds the rest.
// The half-spectrum FFT pair of the simt path is checked against a direct DFT.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <iostream>
#include <random>
#include <vector>

#include "data/smoothers/fft2d.h"
#include "data/smoothers/gpu_fft_smoothers.h"
#include "data/smoothers/gpu_smoothers.h"
#include "engine/error.h"
#include "smoother_test_util.h"

using namespace csgis;
using namespace csgis::data;
using namespace csgis::data::smoothers;

namespace {

using testing::structured_image;

struct Agreement {
  double max_diff = 0;         // over every value
  double max_diff_rest = 0;    // over the pixels none of whose channels differs by > 1e-5
  int differing_pixels = 0;    // pixels with a channel that differs by > 1e-5
};

Agreement compare(const Image& a, const Image& b) {
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  REQUIRE(a.channels == b.channels);
  Agreement r;
  const size_t C = size_t(a.channels);
  for (size_t p = 0; p < a.pixels.size() / C; ++p) {
    double m = 0;
    for (size_t c = 0; c < C; ++c) m = std::max(m, std::fabs(double(a.pixels[p * C + c]) - b.pixels[p * C + c]));
    r.max_diff = std::max(r.max_diff, m);
    if (m > 1e-5)
      ++r.differing_pixels;
    else
      r.max_diff_rest = std::max(r.max_diff_rest, m);
  }
  return r;
}

struct Size {
  int W, H;
};
constexpr Size kSizes[] = {{37, 29}, {31, 23}};

void check_l0(Device dev) {
  const L0Params cases[] = {{0.01, 2.0, 1e5}, {0.004, 1.6, 1e4}};
  for (const Size sz : kSizes)
    for (int C : {1, 3})
      for (const L0Params& p : cases) {
        INFO(sz.W << "x" << sz.H << " channels " << C << " lambda " << p.lambda << " kappa " << p.kappa);
        const Image img = structured_image(sz.W, sz.H, C, 5u + uint32_t(C) + uint32_t(sz.W));
        const Image cpu = l0_smoothing(img, p);
        const Image gpu = l0_smoothing_gpu(img, p, dev);
        const Agreement a = compare(cpu, gpu);
        INFO("max diff " << a.max_diff << ", " << a.differing_pixels << " pixels past 1e-5");
        CHECK(a.differing_pixels <= sz.W * sz.H / 200);
        CHECK(a.max_diff_rest <= 1e-5);
        CHECK(compare(cpu, img).max_diff > 1e-2);  // the smoother did something
      }
}

void check_ils(Device dev) {
  const IlsParams cases[] = {{30.0, 10.0 / 255, 10, true}, {5.0, 0.05, 4, false}};
  for (const Size sz : kSizes)
    for (int C : {1, 3})
      for (const IlsParams& p : cases) {
        INFO(sz.W << "x" << sz.H << " channels " << C << " lambda " << p.lambda << " accumulate " << p.accumulate);
        const Image img = structured_image(sz.W, sz.H, C, 17u + uint32_t(C) + uint32_t(sz.H));
        const Image cpu = ils_smoothing(img, p);
        const Image gpu = ils_smoothing_gpu(img, p, dev);
        CHECK(compare(cpu, gpu).max_diff <= 1e-5);
        CHECK(compare(cpu, img).max_diff > 1e-2);
      }
}

}  // namespace

TEST_CASE("fft smoothers: real_fft2 and its unnormalised inverse vs a direct DFT", "[unit]") {
  for (const Size sz : {Size{7, 5}, Size{6, 9}, Size{8, 4}}) {
    INFO(sz.W << "x" << sz.H);
    const int W = sz.W, H = sz.H, Wh = W / 2 + 1;
    std::mt19937 rng(3u + uint32_t(W));
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<double> plane(size_t(W) * H), back(plane.size());
    for (double& v : plane) v = u(rng);
    std::vector<std::complex<double>> spec(size_t(Wh) * H);
    real_fft2(plane.data(), spec.data(), W, H, false);
    double err = 0;
    for (int ky = 0; ky < H; ++ky)
      for (int kx = 0; kx < Wh; ++kx) {
        std::complex<double> s = 0;
        for (int y = 0; y < H; ++y)
          for (int x = 0; x < W; ++x)
            s += plane[size_t(y) * W + x] * std::polar(1.0, -2 * M_PI * (double(kx) * x / W + double(ky) * y / H));
        err = std::max(err, std::abs(s - spec[size_t(ky) * Wh + kx]));
      }
    CHECK(err < 1e-12);
    unnormalised_inverse_real_fft2(spec.data(), back.data(), W, H, false);
    double round_trip = 0;
    for (size_t i = 0; i < plane.size(); ++i) round_trip = std::max(round_trip, std::fabs(back[i] / (W * H) - plane[i]));
    CHECK(round_trip < 1e-13);
  }
}

TEST_CASE("fft smoothers: the GPU entry points reject bad input in one line", "[unit]") {
  const Image img = structured_image(9, 7, 3, 1u);
  CHECK_THROWS_WITH(l0_smoothing_gpu(image_to_hwc(img, Device::cpu()), L0Params{}),
                    Catch::Contains("cuda or simt device"));
  CHECK_THROWS_WITH(ils_smoothing_gpu(img, IlsParams{30, 0.04, 0, true}, Device::simt()),
                    Catch::Contains("iterations"));
  CHECK_THROWS_WITH(l0_smoothing_gpu(structured_image(1, 7, 1, 2u), L0Params{}, Device::simt()),
                    Catch::Contains("at least 2x2"));
}

TEST_CASE("fft smoothers: L0 smoothing, SIMT vs CPU", "[simt]") { check_l0(Device::simt()); }

TEST_CASE("fft smoothers: ILS, SIMT vs CPU (<= 1e-5)", "[simt]") { check_ils(Device::simt()); }

TEST_CASE("fft smoothers: L0 and ILS on a real GPU vs CPU", "[gpu]") {
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  SECTION("L0") { check_l0(Device::cuda()); }
  SECTION("ILS") { check_ils(Device::cuda()); }
}
