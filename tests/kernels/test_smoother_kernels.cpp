// The smoother kernels of kernels/cuda/{guided_filter,bilateral}.cu against their CPU versions
// (data/smoothers/guided_filter, data/smoothers/rolling_guidance, data::bilateral_filter): on the
// SIMT emulator ([simt]) and on a real GPU ([gpu], skipped without one). Random structured images
// (flat regions with steps, a gradient, noise) of odd sizes, 1 and 3 channels, several parameter
// sets, tolerances as stated in data/smoothers/gpu_smoothers.h. The reflect-101 border, which has
// no CPU version yet, is checked against an independent brute-force loop over a padded copy.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <random>
#include <vector>

#include "data/filters.h"
#include "data/smoothers/gpu_smoothers.h"
#include "engine/error.h"
#include "smoother_test_util.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/bilateral.h"
#include "kernels/gpu.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/guided_filter.h"
#include "kernels/gpu.h"

using namespace csgis;
using namespace csgis::data;
using namespace csgis::data::smoothers;

namespace {

using testing::structured_image;

double max_abs_diff(const Image& a, const Image& b) {
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  REQUIRE(a.channels == b.channels);
  double m = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) m = std::max(m, std::fabs(double(a.pixels[i]) - b.pixels[i]));
  return m;
}

// Reflect-101 bilateral by brute force over an explicitly mirrored, padded copy (the mirror built
// by walking back and forth, not by the kernels' modular formula), in double except for the CPU's
// 1/1024 quantisation of the colour distance.
Image bilateral_reflect101_reference(const Image& img, int r, float sc, float ss) {
  const int W = img.width, H = img.height, C = img.channels, PW = W + 2 * r, PH = H + 2 * r;
  auto mirror = [](int u, int n) {  // walk from 0 to u, bouncing at 0 and n-1
    int pos = 0, dir = u >= 0 ? 1 : -1;
    for (int s = 0; s < std::abs(u); ++s) {
      if (n > 1 && (pos + dir < 0 || pos + dir >= n)) dir = -dir;
      if (n > 1) pos += dir;
    }
    return pos;
  };
  Image padded(PW, PH, C);
  for (int y = 0; y < PH; ++y)
    for (int x = 0; x < PW; ++x)
      for (int c = 0; c < C; ++c) padded.at(x, y, c) = img.at(mirror(x - r, W), mirror(y - r, H), c);
  Image out(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double acc[3] = {0, 0, 0}, norm = 0;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          float dist = 0;
          for (int c = 0; c < C; ++c) dist += std::fabs(padded.at(x + r + dx, y + r + dy, c) - img.at(x, y, c));
          const double d = std::min(int(dist * 1024 + 0.5f), C * 1024 + 1) / 1024.0;
          const double w = std::exp(-(dx * dx + dy * dy) / (2.0 * ss * ss)) * std::exp(-d * d / (2.0 * sc * sc));
          for (int c = 0; c < C; ++c) acc[c] += w * padded.at(x + r + dx, y + r + dy, c);
          norm += w;
        }
      for (int c = 0; c < C; ++c) out.at(x, y, c) = float(acc[c] / norm);
    }
  return out;
}

void check_guided_filter(Device dev) {
  struct Case {
    int radius;
    double eps;
    GuideMode guide;
  };
  // r = 20 overhangs the whole 37 x 29 image: every window is clipped.
  const Case cases[] = {{1, 0.01, GuideMode::SelfPerChannel},
                        {3, 1e-3, GuideMode::SelfPerChannel},
                        {2, 0.01, GuideMode::Gray},
                        {20, 0.05, GuideMode::Gray}};
  for (int C : {1, 3})
    for (const Case& k : cases) {
      INFO("channels " << C << " radius " << k.radius << " eps " << k.eps << " " << guide_mode_name(k.guide));
      const Image img = structured_image(37, 29, C, 11u + C);
      const GuidedFilterParams p{k.radius, k.eps, k.guide};
      const Image cpu = guided_filter(img, p);
      const Image gpu = guided_filter_gpu(img, p, dev);
      CHECK(max_abs_diff(cpu, gpu) <= 1e-4);
      CHECK(max_abs_diff(cpu, img) > 1e-2);  // the filter did something
    }
}

void check_rolling_guidance(Device dev) {
  const RollingGuidanceParams cases[] = {{1.5, 0.1, 3}, {2.0, 0.2, 1}, {1.0, 0.05, 4}};
  for (int C : {1, 3})
    for (const RollingGuidanceParams& p : cases) {
      INFO("channels " << C << " sigma_s " << p.sigma_s << " sigma_r " << p.sigma_r << " iterations " << p.iterations);
      const Image img = structured_image(31, 23, C, 5u + C);
      const Image cpu = rolling_guidance_filter(img, p);
      CHECK(max_abs_diff(cpu, rolling_guidance_filter_gpu(img, p, dev)) <= 1e-4);
      CHECK(max_abs_diff(cpu, img) > 1e-2);
    }
}

void check_bilateral_clip(Device dev) {
  struct Case {
    int radius;
    float sc, ss;
    bool separable;
  };
  const Case cases[] = {{2, 0.1f, 2.f, false}, {4, 0.5f, 3.f, false}, {3, 0.2f, 1000.f, true}, {0, 0.1f, 1.f, false}};
  for (int C : {1, 3})
    for (const Case& k : cases) {
      INFO("channels " << C << " radius " << k.radius << " sigma_color " << k.sc << " separable " << k.separable);
      const Image img = structured_image(37, 29, C, 23u + C);
      const Image cpu = bilateral_filter(img, k.radius, k.sc, k.ss, k.separable);
      GpuBilateralParams p;
      p.radius = k.radius;
      p.sigma_color = k.sc;
      p.sigma_space = k.ss;
      p.separable = k.separable;
      CHECK(max_abs_diff(cpu, bilateral_filter_gpu(img, p, dev)) <= 1e-5);
    }
}

}  // namespace

TEST_CASE("smoother kernels: reflect101_index by hand", "[unit]") {
  // [a b c] mirrored both ways: a b c b | a b c | b a b c
  const int expect[] = {0, 1, 2, 1, 0, 1, 2, 1, 0};  // u = -4 .. 4
  for (int u = -4; u <= 4; ++u) CHECK(reflect101_index(u, 3) == expect[u + 4]);
  CHECK(reflect101_index(-7, 1) == 0);
  CHECK(reflect101_index(5, 2) == 1);
  CHECK(reflect101_index(-1, 2) == 1);
}

TEST_CASE("smoother kernels: the GPU entry points reject bad input in one line", "[unit]") {
  const Image img = structured_image(9, 7, 3, 1);
  CHECK_THROWS_WITH(guided_filter_gpu(image_to_hwc(img, Device::cpu()), GuidedFilterParams{}),
                    Catch::Contains("cuda or simt device"));
  CHECK_THROWS_WITH(bilateral_filter_gpu(Tensor::zeros({7, 9, 2}, DType::F32, Device::simt()), GpuBilateralParams{}),
                    Catch::Contains("C = 1 or 3"));
  GpuBilateralParams bad;
  bad.sigma_color = 0;
  CHECK_THROWS_WITH(bilateral_filter_gpu(img, bad, Device::simt()), Catch::Contains("sigma_color"));
  CHECK_THROWS_WITH(rolling_guidance_filter_gpu(img, RollingGuidanceParams{4, 0.1, 0}, Device::simt()),
                    Catch::Contains("iterations"));
}

TEST_CASE("smoother kernels: guided filter, SIMT vs CPU (<= 1e-4)", "[simt]") { check_guided_filter(Device::simt()); }

TEST_CASE("smoother kernels: rolling guidance, SIMT vs CPU (<= 1e-4)", "[simt]") {
  check_rolling_guidance(Device::simt());
}

TEST_CASE("smoother kernels: joint bilateral with a guide of other channels, SIMT vs CPU", "[simt]") {
  // The launcher on host memory directly (SIMT device memory is host memory): RGB source with a
  // grey guide and the reverse, which the rolling guidance filter itself never asks for.
  for (int C : {1, 3}) {
    const int G = 4 - C;
    INFO("source channels " << C << ", guide channels " << G);
    const Image src = structured_image(23, 19, C, 3), guide = structured_image(23, 19, G, 4);
    const Image cpu = joint_bilateral_filter(src, guide, 1.7, 0.15);
    Image gpu(src.width, src.height, C);
    simt_cuda::joint_bilateral_filter(src.pixels.data(), guide.pixels.data(), gpu.pixels.data(), src.width,
                                      src.height, C, G, int(std::ceil(3 * 1.7)), 1.7f, 0.15f, nullptr);
    CHECK(max_abs_diff(cpu, gpu) <= 1e-5);
  }
}

TEST_CASE("smoother kernels: bilateral (cut window), SIMT vs data::bilateral_filter (<= 1e-5)", "[simt]") {
  check_bilateral_clip(Device::simt());
}

TEST_CASE("smoother kernels: bilateral (reflect-101), SIMT vs a brute-force reference (<= 1e-5)", "[simt]") {
  for (int C : {1, 3}) {
    // r = 6 > the 5-pixel height: the mirror bounces more than once.
    for (int r : {2, 6}) {
      INFO("channels " << C << " radius " << r);
      const Image img = structured_image(17, 5, C, 31u + C);
      GpuBilateralParams p;
      p.radius = r;
      p.sigma_color = 0.2f;
      p.sigma_space = 2.5f;
      p.border = WindowBorder::Reflect101;
      const Image gpu = bilateral_filter_gpu(img, p, Device::simt());
      CHECK(max_abs_diff(bilateral_reflect101_reference(img, r, p.sigma_color, p.sigma_space), gpu) <= 1e-5);
      p.border = WindowBorder::Clip;
      CHECK(max_abs_diff(bilateral_filter_gpu(img, p, Device::simt()), gpu) > 1e-4);  // the border matters
    }
  }
}

TEST_CASE("smoother kernels: repeated runs give identical bits", "[simt]") {
  const Image img = structured_image(21, 15, 3, 9);
  const GuidedFilterParams gp{2, 0.01, GuideMode::SelfPerChannel};
  CHECK(guided_filter_gpu(img, gp, Device::simt()).pixels == guided_filter_gpu(img, gp, Device::simt()).pixels);
  const RollingGuidanceParams rp{1.5, 0.1, 2};
  CHECK(rolling_guidance_filter_gpu(img, rp, Device::simt()).pixels ==
        rolling_guidance_filter_gpu(img, rp, Device::simt()).pixels);
}

TEST_CASE("smoother kernels: guided, rolling guidance and bilateral on a real GPU vs CPU", "[gpu]") {
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  SECTION("guided filter") { check_guided_filter(Device::cuda()); }
  SECTION("rolling guidance") { check_rolling_guidance(Device::cuda()); }
  SECTION("bilateral") { check_bilateral_clip(Device::cuda()); }
}
