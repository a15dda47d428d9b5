// Evaluation metrics, the guided filter and its tuner, the example grid, and tiled inference of the
// network against a whole-image pass.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "data/smoothers/guided_filter.h"
#include "engine/autograd.h"
#include "engine/generator.h"
#include "models/jess.h"
#include "tools/lib/grid.h"
#include "tools/lib/image_metrics.h"
#include "tools/lib/tiled_inference.h"

using namespace csgis;
using namespace csgis::tools;
namespace gf = csgis::data::smoothers;

namespace {

data::Image random_image(int w, int h, int c, uint64_t seed) {
  Generator gen(seed);
  const std::vector<float> v = Tensor::rand({int64_t(w) * h * c}, 0.0, 1.0, &gen).to_vector<float>();
  data::Image img(w, h, c);
  img.pixels = v;
  return img;
}

// Smooth structure plus a little noise: closer to what the network sees than white noise.
data::Image picture(int w, int h, uint64_t seed) {
  data::Image img = random_image(w, h, 3, seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const float base = 0.5f + 0.35f * float(std::sin(0.09 * x + 0.6 * c) * std::cos(0.07 * y));
        img.at(x, y, c) = 0.85f * base + 0.15f * img.at(x, y, c);
      }
  return img;
}

// He's guided filter written out directly: O(r^2) window sums, clipped at the borders.
std::vector<float> direct_guided(const std::vector<float>& I, const std::vector<float>& p, int w, int h, int r,
                                 double eps) {
  auto mean = [&](const std::vector<double>& v, int x, int y) {
    double s = 0;
    int n = 0;
    for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
      for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r); ++xx, ++n) s += v[size_t(yy) * w + xx];
    return s / n;
  };
  const size_t n = size_t(w) * h;
  std::vector<double> Id(I.begin(), I.end()), pd(p.begin(), p.end()), II(n), Ip(n), a(n), b(n);
  for (size_t i = 0; i < n; ++i) II[i] = Id[i] * Id[i], Ip[i] = Id[i] * pd[i];
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double mI = mean(Id, x, y), mp = mean(pd, x, y);
      const double var = mean(II, x, y) - mI * mI, cov = mean(Ip, x, y) - mI * mp;
      a[size_t(y) * w + x] = cov / (var + eps);
      b[size_t(y) * w + x] = mp - a[size_t(y) * w + x] * mI;
    }
  std::vector<float> q(n);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) q[size_t(y) * w + x] = float(mean(a, x, y) * Id[size_t(y) * w + x] + mean(b, x, y));
  return q;
}

}  // namespace

TEST_CASE("metrics: PSNR exact values, infinity, size checks", "[unit]") {
  data::Image a(4, 4, 3, 0.f), b(4, 4, 3, 0.f);
  b.at(1, 2, 1) = 0.25f;  // one value off by 1/4: MSE = (1/16) / 48
  CHECK(psnr(a, b) == Approx(10.0 * std::log10(48.0 * 16.0)).epsilon(1e-12));
  data::Image half(4, 4, 3, 0.5f);  // MSE 1/4 everywhere: 10 log10 4
  CHECK(psnr(a, half) == Approx(6.020599913279624).epsilon(1e-12));
  CHECK(psnr(half, a) == psnr(a, half));
  CHECK(std::isinf(psnr(a, a)));
  CHECK_THROWS_WITH(psnr(a, data::Image(4, 5, 3)), Catch::Contains("4x4x3") && Catch::Contains("4x5x3"));
}

TEST_CASE("metrics: SSIM through the engine's metric convention", "[unit]") {
  const data::Image x = random_image(16, 13, 3, 1);
  CHECK(ssim(x, x) == Approx(1.0).margin(1e-6));
  // Constant images: mu 0.25 vs 0.75, no variance -> (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1).
  const double C1 = 1e-4, expect = (2 * 0.25 * 0.75 + C1) / (0.25 * 0.25 + 0.75 * 0.75 + C1);
  CHECK(ssim(data::Image(12, 11, 3, 0.25f), data::Image(12, 11, 3, 0.75f)) == Approx(expect).epsilon(1e-9));
  CHECK_THROWS_WITH(ssim(data::Image(10, 20, 3), data::Image(10, 20, 3)), Catch::Contains("at least 11x11"));
}

TEST_CASE("guided filter: constant image unchanged, box means, matches the direct formula", "[unit]") {
  const data::Image flat(19, 14, 3, 0.37f);
  for (gf::GuideMode g : {gf::GuideMode::SelfPerChannel, gf::GuideMode::Gray}) {
    const data::Image out = gf::guided_filter(flat, {3, 0.01, g});
    for (float v : out.pixels) REQUIRE(v == Approx(0.37f).margin(1e-6));
  }
  // box_mean against a brute-force mean over the clipped window.
  const int w = 23, h = 17;
  const data::Image img = random_image(w, h, 3, 7);
  std::vector<double> plane(size_t(w) * h);
  for (size_t i = 0; i < plane.size(); ++i) plane[i] = img.pixels[i * 3];
  const std::vector<double> bm = gf::box_mean(plane, w, h, 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      int n = 0;
      for (int yy = std::max(0, y - 4); yy <= std::min(h - 1, y + 4); ++yy)
        for (int xx = std::max(0, x - 4); xx <= std::min(w - 1, x + 4); ++xx, ++n) s += plane[size_t(yy) * w + xx];
      REQUIRE(bm[size_t(y) * w + x] == Approx(s / n).margin(1e-12));
    }
  // Whole filter, both guide modes, several radii (one wider than the image's height).
  const std::vector<float> gray = data::to_gray(img);
  for (int r : {1, 2, 9}) {
    for (gf::GuideMode g : {gf::GuideMode::SelfPerChannel, gf::GuideMode::Gray}) {
      const data::Image out = gf::guided_filter(img, {r, 0.02, g});
      for (int c = 0; c < 3; ++c) {
        std::vector<float> p(size_t(w) * h);
        for (size_t i = 0; i < p.size(); ++i) p[i] = img.pixels[i * 3 + c];
        const std::vector<float> ref = direct_guided(g == gf::GuideMode::Gray ? gray : p, p, w, h, r, 0.02);
        for (size_t i = 0; i < p.size(); ++i) REQUIRE(out.pixels[i * 3 + c] == Approx(ref[i]).margin(2e-6));
      }
    }
  }
  CHECK_THROWS_WITH(gf::guided_filter(img, {0, 0.01}), Catch::Contains("radius"));
  CHECK_THROWS_WITH(gf::guided_filter(img, {2, 0.0}), Catch::Contains("eps"));
}

TEST_CASE("guided filter tuner finds the setting that made the targets", "[unit]") {
  std::vector<std::pair<data::Image, data::Image>> pairs;
  for (int k = 0; k < 3; ++k) {
    const data::Image in = picture(24 + k, 20, 10 + uint64_t(k));
    pairs.emplace_back(in, gf::guided_filter(in, {2, 0.04}));
  }
  int calls = 0;
  const gf::GfTuneResult r = gf::tune_guided_filter(
      3, [&](int64_t i) { return pairs[size_t(i)]; }, {1, 2, 4}, {0.01, 0.04, 0.1},
      [](const data::Image& a, const data::Image& b) { return std::make_pair(psnr(a, b), ssim(a, b)); },
      gf::GuideMode::SelfPerChannel, [&](int64_t) { ++calls; });
  CHECK(calls == 3);
  REQUIRE(r.grid.size() == 9);
  CHECK(r.grid[0].radius == 1);
  CHECK(r.grid[0].eps == 0.01);
  CHECK(r.best.radius == 2);
  CHECK(r.best.eps == 0.04);
  CHECK(std::isinf(r.best.psnr));
  CHECK(r.best.ssim == Approx(1.0).margin(1e-6));
}

TEST_CASE("grid: cells, separators and padding", "[unit]") {
  const data::Image a(3, 2, 3, 0.2f), b(2, 4, 1, 0.6f), c(1, 1, 3, 0.9f);
  const data::Image g = make_grid({{a, b}, {c}}, GridStyle{1, 1.f, 0.f});
  CHECK(g.width == 1 + 3 + 1 + 2 + 1);
  CHECK(g.height == 1 + 4 + 1 + 1 + 1);
  CHECK(g.at(0, 0, 0) == 1.f);              // separator
  CHECK(g.at(1, 1, 2) == 0.2f);             // a
  CHECK(g.at(1, 3, 0) == 0.f);              // below a, inside its row: background
  CHECK(g.at(5, 4, 1) == 0.6f);             // grey b shown as grey RGB
  CHECK(g.at(1, 6, 0) == 0.9f);             // c in the second row
  CHECK(g.at(5, 6, 0) == 0.f);              // the second row's missing cell
}

TEST_CASE("tiling: windows cover the image and blending is a partition of unity", "[unit]") {
  const TileOptions opt{64, 24};
  for (int len : {10, 64, 65, 100, 150, 333, 1000, 1001}) {
    INFO("length " << len);
    const std::vector<int> s = tile_starts(len, opt);
    const int side = window_side(len, opt);
    CHECK(side <= std::min(64, len));
    CHECK(s.front() == 0);
    CHECK(s.back() + side == len);  // the last window is flush with the end
    for (size_t i = 1; i < s.size(); ++i) CHECK(s[i - 1] + side - s[i] >= 24);
    // The fewest windows of 64, and no smaller multiple of 16 would still overlap by 24.
    const size_t fewest = len <= 64 ? 1 : size_t(1 + (len - 64 + 39) / 40);
    CHECK(s.size() == fewest);
    if (s.size() > 1 && side % 16 == 0 && side > 16) {
      const int smaller = side - 16;
      std::vector<int> t(s.size(), 0);
      for (size_t i = 1; i < t.size(); ++i) t[i] = int(std::lround(double(i) * (len - smaller) / double(t.size() - 1)));
      bool ok = true;
      for (size_t i = 1; i < t.size(); ++i) ok = ok && t[i - 1] + smaller - t[i] >= 24;
      CHECK_FALSE(ok);
    }
  }
  CHECK(window_side(150, opt) == 64);  // 4 windows: 64 is needed ((150 + 3 * 24) / 4 = 55.5 -> 64)
  CHECK(window_side(100, opt) == 64);  // 2 windows: (100 + 24) / 2 = 62 -> 64
  CHECK(window_side(1000, TileOptions{384, 48}) == 368);  // 3 windows: (1000 + 2 * 48) / 3 = 365.3 -> 368
  CHECK(window_side(300, TileOptions{384, 48}) == 300);  // one window: the image itself
  CHECK_THROWS_WITH((TileOptions{64, 32}.validate()), Catch::Contains("--overlap"));
  CHECK_THROWS_WITH((TileOptions{8, 0}.validate()), Catch::Contains("--tile"));
  // Identity through the tiler returns the image itself.
  const Tensor x = data::image_to_tensor(random_image(150, 101, 3, 3));
  int tiles = 0;
  const Tensor y = tiled_apply(x, [](const Tensor& t) { return t.clone(); }, opt, [&](int d, int) { tiles = d; });
  CHECK(tiles == tile_count(101, 150, opt));
  CHECK(tiles == 4 * 2);  // 150 wide: stride 40 -> 4 windows; 101 high -> 2
  const std::vector<float> xv = x.to_vector<float>(), yv = y.to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < xv.size(); ++i) worst = std::max(worst, double(std::abs(xv[i] - yv[i])));
  CHECK(worst < 1e-6);
}

TEST_CASE("tiling: the network tiled matches the whole-image pass", "[unit]") {
  // dim 4, one rHDC block per stage: receptive-field radius 27 px (conv_in 1 + block 6 = 7 for F,
  // +3 for E, +9 for S0, +8 for R).
  Generator gen(11);
  models::Jess model(models::JessConfig{3, 3, 4, 1, 1, 1});
  {
    autograd::NoGradGuard no_grad;  // parameters are leaves that require grad
    for (Tensor& p : model.parameters()) p.copy_(Tensor::randn(p.shape(), &gen) * 0.3);
  }
  const int W = 170, H = 130, rf = 27;
  const data::Image img = picture(W, H, 5);
  const TileOptions opt{64, 24};
  const Tensor full = smooth_tensor(model, img, TileOptions{1024, 0});
  const Tensor tiled = smooth_tensor(model, img, opt);
  REQUIRE(tiled.shape() == full.shape());
  const std::vector<float> f = full.to_vector<float>(), t = tiled.to_vector<float>();
  // Distance of each pixel to the nearest inner window edge among the windows that weigh on it: a
  // pixel further than the receptive field from every such edge sees exactly what the full pass sees.
  auto clearance = [&](int len) {
    std::vector<int> d(size_t(len), 1 << 20);
    for (int s : tile_starts(len, opt)) {
      const int n = window_side(len, opt);
      const std::vector<float> w = tile_weights(s, n, len, opt.overlap);
      for (int i = 0; i < n; ++i) {
        if (w[size_t(i)] <= 0) continue;
        int e = 1 << 20;
        if (s > 0) e = std::min(e, i);
        if (s + n < len) e = std::min(e, n - 1 - i);
        d[size_t(s + i)] = std::min(d[size_t(s + i)], e);
      }
    }
    return d;
  };
  const std::vector<int> cy = clearance(H), cx = clearance(W);
  double far_err = 0, all_err = 0, range = 0, sum_err = 0;
  int far_count = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const size_t i = (size_t(c) * H + y) * W + x;
        const double e = std::abs(double(f[i]) - double(t[i]));
        range = std::max(range, std::abs(double(f[i])));
        all_err = std::max(all_err, e);
        sum_err += e;
        if (std::min(cy[size_t(y)], cx[size_t(x)]) >= rf) {
          far_err = std::max(far_err, e);
          ++far_count;
        }
      }
  INFO("output range " << range << ", far-from-seam max err " << far_err << " over " << far_count
                       << " values, max err " << all_err << ", mean err " << sum_err / f.size());
  CHECK(far_count > 1000);
  CHECK(far_err < 1e-4);
  // Measured: far 0 exactly; max 1.3e-3 (mean 5e-5) for outputs up to 2.25, at most 1/255 after
  // quantisation. Blending with no dead margin (ramp from the window edge) gave 6e-2 here.
  CHECK(all_err < 5e-3);
}

TEST_CASE("smooth output: saved PNG bytes follow the reference's truncation", "[unit]") {
  const std::vector<float> v = {0.999f, 0.5f, -0.1f, 1.2f, 254.99998f / 255.f, 0.f, 1.f / 255.f, 0.0039f, 0.7f};
  const Tensor s1 = Tensor::from_vector(v, {1, 3, 1, 3});
  const std::vector<uint8_t> want = models::jess_to_uint8(s1);
  const data::Image img = to_saved_image(s1);
  REQUIRE(img.pixels.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(data::quantize(img.pixels[i]) == want[i]);
  CHECK(want[0] == 254);  // 0.999 * 255 = 254.7: truncated, where rounding would give 255
}
