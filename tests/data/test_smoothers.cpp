// The classical smoothers of Table 1 beyond the guided filter: the rolling guidance filter, L0
// gradient minimisation and RTV. Hand-computed weights on tiny cases, invariants (constants), and
// what each is for (texture removed, steps kept) on synthetic images.
#include <catch2/catch.hpp>

#include <cmath>

#include "data/smoothers/l0_smoothing.h"
#include "data/smoothers/rolling_guidance.h"
#include "data/smoothers/rtv.h"
#include "engine/error.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
using namespace csgis::data::smoothers;

namespace {

// A vertical step (0.2 | 0.8, RGB-tinted) with a fine checkerboard texture of amplitude `amp`.
Image textured_step(int W, int H, float amp, Image* clean = nullptr) {
  Image img(W, H, 3);
  if (clean) *clean = Image(W, H, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        const float base = (x < W / 2 ? 0.2f : 0.8f) - 0.05f * float(c);
        if (clean) clean->at(x, y, c) = base;
        img.at(x, y, c) = base + ((x + y) % 2 ? amp : -amp);
      }
  return img;
}

double region_std(const Image& img, int x0, int x1, int c) {
  double s = 0, q = 0;
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = x0; x < x1; ++x) {
      s += img.at(x, y, c);
      q += double(img.at(x, y, c)) * img.at(x, y, c);
      ++n;
    }
  const double m = s / n;
  return std::sqrt(std::max(0.0, q / n - m * m));
}

}  // namespace

TEST_CASE("smoothers: joint bilateral weights by hand; RGF's first pass is a Gaussian", "[unit]") {
  // 3x1 grey source, guide with values 0, 0.1, 0.5; sigma_s 1 (radius 3), sigma_r 0.2; pixel 0.
  Image src(3, 1, 1), guide(3, 1, 1);
  src.pixels = {0.3f, 0.6f, 0.9f};
  guide.pixels = {0.f, 0.1f, 0.5f};
  const Image out = joint_bilateral_filter(src, guide, 1.0, 0.2);
  double num = 0, den = 0;
  for (int q = 0; q < 3; ++q) {
    const double w = std::exp(-q * q / 2.0) * std::exp(-std::pow(guide.pixels[q] - 0.0, 2) / (2 * 0.04));
    num += w * src.pixels[q];
    den += w;
  }
  CHECK(out.pixels[0] == Approx(num / den).epsilon(1e-6));

  // One iteration = Gaussian of radius ceil(3 sigma_s), clipped and renormalised at the border.
  Generator g(3);
  Image img(9, 7, 3);
  for (float& v : img.pixels) v = float(g.uniform());
  RollingGuidanceParams p;
  p.sigma_s = 1.5;
  p.iterations = 1;
  const Image gauss = rolling_guidance_filter(img, p);
  const int R = 5, px = 2, py = 4;
  for (int c = 0; c < 3; ++c) {
    double n2 = 0, d2 = 0;
    for (int y = 0; y < 7; ++y)
      for (int x = 0; x < 9; ++x) {
        if (std::abs(x - px) > R || std::abs(y - py) > R) continue;
        const double w = std::exp(-((x - px) * (x - px) + (y - py) * (y - py)) / (2 * 1.5 * 1.5));
        n2 += w * img.at(x, y, c);
        d2 += w;
      }
    CHECK(gauss.at(px, py, c) == Approx(n2 / d2).epsilon(1e-5));
  }
}

TEST_CASE("smoothers: rolling guidance removes fine texture and keeps a strong step", "[unit]") {
  Image clean;
  const Image in = textured_step(40, 24, 0.04f, &clean);
  const Image out = rolling_guidance_filter(in);  // the paper's sigma_s 4, sigma_r 0.1, 4 iterations
  for (int c = 0; c < 3; ++c) {
    // Away from the step the texture is gone...
    CHECK(region_std(out, 2, 12, c) < 0.1 * region_std(in, 2, 12, c));
    // ...and next to it each side keeps its level (a Gaussian of sigma 4 would blur it across).
    for (int y = 0; y < 24; ++y) {
      CHECK(out.at(17, y, c) == Approx(clean.at(17, y, c)).margin(0.03));
      CHECK(out.at(22, y, c) == Approx(clean.at(22, y, c)).margin(0.03));
    }
  }
  // A constant stays constant.
  const Image flat(10, 8, 3, 0.37f);
  for (float v : rolling_guidance_filter(flat).pixels) CHECK(v == Approx(0.37f).epsilon(1e-6));
  RollingGuidanceParams bad;
  bad.iterations = 0;
  CHECK_THROWS_WITH(rolling_guidance_filter(flat, bad), Catch::Contains("iterations must be >= 1"));
  CHECK_THROWS_WITH(joint_bilateral_filter(flat, Image(3, 3, 3), 1, 1), Catch::Contains("differ in size"));
}

TEST_CASE("smoothers: L0 smoothing flattens noise into few gradients and keeps edges", "[unit]") {
  // A constant image is a fixed point (no gradient to count, nothing to pay).
  const Image flat(12, 9, 3, 0.6f);
  for (float v : l0_smoothing(flat).pixels) CHECK(v == Approx(0.6f).margin(1e-9));

  // Two flat regions plus noise: the result is close to the clean image, and its non-zero
  // gradients are few (the step) where the input has them everywhere.
  Image clean;
  Image in = textured_step(32, 20, 0.f, &clean);
  Generator g(9);
  for (float& v : in.pixels) v += float(g.uniform(-0.03, 0.03));
  const Image out = l0_smoothing(in);  // lambda 0.01, kappa 2, as the paper's Table 1
  auto nonzero_gradients = [](const Image& im) {
    int n = 0;
    for (int y = 0; y < im.height; ++y)
      for (int x = 0; x + 1 < im.width; ++x)
        n += std::fabs(im.at(x + 1, y, 0) - im.at(x, y, 0)) > 1e-3f;
    return n;
  };
  CHECK(nonzero_gradients(in) > 500);
  CHECK(nonzero_gradients(out) <= 3 * 20);  // the step (and its circular twin at the border)
  double err_in = 0, err_out = 0;
  for (size_t i = 0; i < in.pixels.size(); ++i) {
    err_in += std::pow(in.pixels[i] - clean.pixels[i], 2);
    err_out += std::pow(out.pixels[i] - clean.pixels[i], 2);
  }
  CHECK(err_out < 0.2 * err_in);

  L0Params bad;
  bad.kappa = 1.0;
  CHECK_THROWS_WITH(l0_smoothing(flat, bad), Catch::Contains("kappa must be > 1"));
  CHECK_THROWS_WITH(l0_smoothing(Image(1, 5, 3)), Catch::Contains("at least 2x2"));
}

TEST_CASE("smoothers: RTV removes fine texture, keeps a strong step, fixes constants", "[unit]") {
  const Image flat(12, 9, 3, 0.45f);
  for (float v : rtv_smoothing(flat).pixels) CHECK(v == Approx(0.45f).margin(1e-6));

  Image clean;
  const Image in = textured_step(40, 24, 0.04f, &clean);
  const Image out = rtv_smoothing(in);  // the paper's lambda 0.015, sigma 3
  for (int c = 0; c < 3; ++c) {
    CHECK(region_std(out, 2, 12, c) < 0.2 * region_std(in, 2, 12, c));
    CHECK(region_std(out, 28, 38, c) < 0.2 * region_std(in, 28, 38, c));
    for (int y = 2; y < 22; ++y) {
      CHECK(out.at(17, y, c) == Approx(clean.at(17, y, c)).margin(0.05));
      CHECK(out.at(22, y, c) == Approx(clean.at(22, y, c)).margin(0.05));
    }
  }
  RtvParams bad;
  bad.sigma = 0;
  CHECK_THROWS_WITH(rtv_smoothing(flat, bad), Catch::Contains("sigma must be > 0"));
}
