// The remaining classical smoothers of the paper's comparisons: the bilateral filter (OpenCV's
// conventions), WLS (Farbman et al.), the SD filter (Ham et al.) and ILS (Liu et al.). Each is checked
// against something written independently here: a brute-force double-precision bilateral filter, the
// WLS linear system applied by stencil, the SD filter's energy, and ILS's closed form in the
// quadratic limit; plus invariants (constants) and what each is for (noise removed, steps kept).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "data/smoothers/bilateral.h"
#include "data/smoothers/ils.h"
#include "data/smoothers/sd_filter.h"
#include "data/smoothers/wls.h"
#include "engine/error.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
using namespace csgis::data::smoothers;

namespace {

// Smooth shading, a vertical step at x = W/2 and uniform noise of amplitude `noise`.
Image structured(int W, int H, int C, float noise, uint64_t seed) {
  Generator g(seed);
  Image img(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c)
        img.at(x, y, c) = (x < W / 2 ? 0.2f : 0.75f) + 0.05f * float(c) + 0.004f * float(y) +
                          float(g.uniform(-noise, noise));
  return img;
}

double max_abs_diff(const Image& a, const Image& b) {
  double m = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) m = std::max(m, std::fabs(double(a.pixels[i]) - b.pixels[i]));
  return m;
}

// RMS of the horizontal differences of channel 0 over the columns [x0, x1): the noise (the test
// images' shading is vertical).
double roughness(const Image& img, int x0, int x1) {
  double q = 0;
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = x0; x + 1 < x1; ++x, ++n) q += std::pow(img.at(x + 1, y, 0) - img.at(x, y, 0), 2);
  return std::sqrt(q / n);
}

// Mean over rows of out(x1) - out(x0), channel 0: the contrast across a step between columns x0, x1.
double step_contrast(const Image& img, int x0, int x1) {
  double d = 0;
  for (int y = 0; y < img.height; ++y) d += img.at(x1, y, 0) - img.at(x0, y, 0);
  return d / img.height;
}

int mirror101(int i, int n) { return i < 0 ? -i : (i >= n ? 2 * n - 2 - i : i); }

// Straight from the definition, in double: disc window, L1 colour distance, reflect-101 or clipped.
Image brute_force_bilateral(const Image& img, int R, double ss, double sr, bool clip) {
  Image out(img.width, img.height, img.channels);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      std::vector<double> acc(size_t(img.channels), 0.0);
      double wsum = 0;
      for (int dy = -R; dy <= R; ++dy)
        for (int dx = -R; dx <= R; ++dx) {
          if (dx * dx + dy * dy > R * R) continue;
          int xx = x + dx, yy = y + dy;
          if (clip && (xx < 0 || yy < 0 || xx >= img.width || yy >= img.height)) continue;
          xx = mirror101(xx, img.width);
          yy = mirror101(yy, img.height);
          double d = 0;
          for (int c = 0; c < img.channels; ++c) d += std::fabs(double(img.at(xx, yy, c)) - img.at(x, y, c));
          const double w = std::exp(-(dx * dx + dy * dy) / (2 * ss * ss)) * std::exp(-d * d / (2 * sr * sr));
          for (int c = 0; c < img.channels; ++c) acc[size_t(c)] += w * img.at(xx, yy, c);
          wsum += w;
        }
      for (int c = 0; c < img.channels; ++c) out.at(x, y, c) = float(acc[size_t(c)] / wsum);
    }
  return out;
}

}  // namespace

TEST_CASE("smoothers: bilateral filter equals a brute-force reference (OpenCV conventions)", "[unit]") {
  // OpenCV's radius rule: cvRound(1.5 sigma_s), ties to even, at least 1.
  BilateralParams p;
  CHECK(p.window_radius() == 4);  // 4.5 -> 4
  p.sigma_s = 1.0;
  CHECK(p.window_radius() == 2);  // 1.5 -> 2
  p.sigma_s = 0.2;
  CHECK(p.window_radius() == 1);
  p.sigma_s = 3.0;
  p.radius = 5;
  CHECK(p.window_radius() == 5);

  for (int C : {1, 3}) {
    const Image img = structured(31, 23, C, 0.08f, 11 + uint64_t(C));
    BilateralParams q;  // sigma_s 3 (radius 4), sigma_r 0.1, reflect-101
    CHECK(max_abs_diff(bilateral(img, q), brute_force_bilateral(img, 4, 3.0, 0.1, false)) < 2e-6);
    q.sigma_s = 1.3;
    q.sigma_r = 0.25;
    q.border = BilateralBorder::Clip;
    CHECK(max_abs_diff(bilateral(img, q), brute_force_bilateral(img, 2, 1.3, 0.25, true)) < 2e-6);
    // The border convention matters at the border only.
    q.border = BilateralBorder::Reflect101;
    const Image reflect = bilateral(img, q);
    q.border = BilateralBorder::Clip;
    const Image clipped = bilateral(img, q);
    CHECK(std::fabs(reflect.at(0, 0, 0) - clipped.at(0, 0, 0)) > 1e-4);
    CHECK(reflect.at(15, 11, 0) == clipped.at(15, 11, 0));
  }
  const Image flat(9, 7, 3, 0.42f);
  for (float v : bilateral(flat).pixels) CHECK(v == Approx(0.42f).margin(1e-6));

  BilateralParams bad;
  bad.sigma_s = 0;
  CHECK_THROWS_WITH(bilateral(flat, bad), Catch::Contains("sigma_s must be > 0"));
  bad = {};
  bad.sigma_r = -0.1;
  CHECK_THROWS_WITH(bilateral(flat, bad), Catch::Contains("sigma_r must be > 0"));
  bad = {};
  bad.radius = -2;
  CHECK_THROWS_WITH(bilateral(flat, bad), Catch::Contains("radius must be >= 0"));
  CHECK_THROWS_WITH(bilateral(Image(4, 4, 2)), Catch::Contains("1 or 3 channels"));
}

TEST_CASE("smoothers: WLS solves its linear system, keeps constants and steps", "[unit]") {
  const int W = 31, H = 23;
  for (int C : {1, 3}) {
    const Image img = structured(W, H, C, 0.06f, 5 + uint64_t(C));
    WlsParams p;
    p.lambda = 0.5;
    const Image u = wls_filter(img, p);
    // Weights from the formula: luma (BT.601), L = log(luma + 1e-4), a = lambda / (|dL|^alpha + 1e-4).
    std::vector<double> L(size_t(W) * H);
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const double luma = C == 1 ? img.at(x, y, 0)
                                   : 0.299 * img.at(x, y, 0) + 0.587 * img.at(x, y, 1) + 0.114 * img.at(x, y, 2);
        L[size_t(y) * W + x] = std::log(luma + 1e-4);
      }
    auto weight = [&](size_t i, size_t j) { return p.lambda / (std::pow(std::fabs(L[j] - L[i]), p.alpha) + 1e-4); };
    std::vector<double> ax, ay;
    wls_weights(img, p, ax, ay);
    CHECK(ax[5] == Approx(weight(5, 6)).epsilon(1e-5));
    CHECK(ay[40] == Approx(weight(40, 40 + W)).epsilon(1e-5));
    CHECK(ax[W - 1] == 0);  // no link across the border
    // (I + L_a) u = g, applied pixel by pixel: residual relative to |g|.
    double res2 = 0, g2 = 0, input_res2 = 0;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        for (int c = 0; c < C; ++c) {
          const size_t i = size_t(y) * W + x;
          double Au = u.at(x, y, c), Ag = img.at(x, y, c);
          auto link = [&](int xx, int yy) {
            const size_t j = size_t(yy) * W + xx;
            const double w = weight(std::min(i, j), std::max(i, j));
            Au += w * (u.at(x, y, c) - u.at(xx, yy, c));
            Ag += w * (img.at(x, y, c) - img.at(xx, yy, c));
          };
          if (x > 0) link(x - 1, y);
          if (x + 1 < W) link(x + 1, y);
          if (y > 0) link(x, y - 1);
          if (y + 1 < H) link(x, y + 1);
          res2 += std::pow(Au - img.at(x, y, c), 2);
          input_res2 += std::pow(Ag - img.at(x, y, c), 2);
          g2 += std::pow(img.at(x, y, c), 2);
        }
    // The float output limits the residual (weights reach lambda / 1e-4); the input's is ~1.
    CHECK(std::sqrt(res2 / g2) < 1e-4);
    CHECK(std::sqrt(input_res2 / g2) > 0.05);
  }
  const Image flat(12, 9, 3, 0.55f);
  for (float v : wls_filter(flat).pixels) CHECK(v == Approx(0.55f).margin(1e-5));

  // A noisy step: WLS removes the noise about as well as a Gaussian of sigma 2 but keeps the step.
  const Image step = structured(W, H, 1, 0.04f, 21);
  const Image u = wls_filter(step);
  Image gauss(W, H, 1);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double n = 0, d = 0;
      for (int yy = 0; yy < H; ++yy)
        for (int xx = 0; xx < W; ++xx) {
          const double w = std::exp(-((xx - x) * (xx - x) + (yy - y) * (yy - y)) / 8.0);
          n += w * step.at(xx, yy, 0);
          d += w;
        }
      gauss.at(x, y, 0) = float(n / d);
    }
  CHECK(roughness(u, 2, 12) < 0.5 * roughness(step, 2, 12));
  CHECK(roughness(gauss, 2, 12) < 0.5 * roughness(step, 2, 12));
  CHECK(step_contrast(u, 14, 15) > 0.4);  // the step is 0.55
  CHECK(step_contrast(u, 14, 15) > 2 * step_contrast(gauss, 14, 15));
  WlsParams bad;
  bad.alpha = 0;
  CHECK_THROWS_WITH(wls_filter(flat, bad), Catch::Contains("alpha must be > 0"));
  bad = {};
  bad.lambda = -1;
  CHECK_THROWS_WITH(wls_filter(flat, bad), Catch::Contains("lambda must be > 0"));
}

namespace {

// The SD filter's energy as its header states it (8 links, s from f, weight floors 1e-5).
double sd_energy(const Image& u, const Image& f, const SdFilterParams& p) {
  const int W = f.width, H = f.height, C = f.channels;
  auto dist = [&](const Image& im, int x0, int y0, int x1, int y1) {
    double d = 0;
    for (int c = 0; c < C; ++c) d += std::pow(double(im.at(x0, y0, c)) - im.at(x1, y1, c), 2);
    return d;
  };
  const int offsets[4][2] = {{1, 0}, {0, 1}, {1, 1}, {-1, 1}};
  double s = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (const auto& o : offsets)
        if (x + o[0] >= 0 && x + o[0] < W && y + o[1] < H) s = std::max(s, dist(f, x, y, x + o[0], y + o[1]));
  double e = 0;
  for (size_t i = 0; i < f.pixels.size(); ++i) e += std::pow(double(u.pixels[i]) - f.pixels[i], 2);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (const auto& o : offsets) {
        const int xx = x + o[0], yy = y + o[1];
        if (xx < 0 || xx >= W || yy >= H) continue;
        const double phi = std::exp(-p.mu * dist(f, x, y, xx, yy) / s) + 1e-5;
        const double t = dist(u, x, y, xx, yy) / s;
        e += p.lambda * phi * s * ((1 - std::exp(-p.nu * t)) / p.nu + 1e-5 * t);
      }
  return e;
}

}  // namespace

TEST_CASE("smoothers: SD filter steps decrease its energy, keep constants and steps", "[unit]") {
  CHECK(sd_filter_links(3, 2).size() == 2 * 2 + 3 * 1 + 2 + 2);  // right, down, two diagonals
  for (int C : {1, 3}) {
    const Image f = structured(31, 23, C, 0.05f, 31 + uint64_t(C));
    SdFilterParams p;  // lambda 30, mu 50, nu 400
    const Image start(f.width, f.height, C, 1.f);  // u^0
    double previous = sd_energy(start, f, p);
    for (int k = 1; k <= 5; ++k) {
      p.steps = k;
      const double e = sd_energy(sd_filter(f, p), f, p);
      INFO("channels " << C << ", step " << k << ": " << previous << " -> " << e);
      CHECK(e <= previous * (1 + 1e-6));
      if (k == 1) CHECK(e < previous * 0.5);  // from the constant u^0
      previous = e;
    }
    // Smoothed: the noise mostly gone away from the step, both levels kept beside it.
    p.steps = 10;
    const Image u = sd_filter(f, p);
    CHECK(roughness(u, 2, 12) < 0.5 * roughness(f, 2, 12));
    CHECK(step_contrast(u, 13, 17) > 0.45);  // the step is 0.55
  }
  const Image flat(11, 8, 3, 0.3f);
  for (float v : sd_filter(flat).pixels) CHECK(v == Approx(0.3f).margin(1e-5));
  SdFilterParams bad;
  bad.steps = 0;
  CHECK_THROWS_WITH(sd_filter(flat, bad), Catch::Contains("steps must be >= 1"));
  bad = {};
  bad.nu = 0;
  CHECK_THROWS_WITH(sd_filter(flat, bad), Catch::Contains("nu must be > 0"));
  bad = {};
  bad.mu = -1;
  CHECK_THROWS_WITH(sd_filter(flat, bad), Catch::Contains("mu must be >= 0"));
  bad = {};
  bad.lambda = 0;
  CHECK_THROWS_WITH(sd_filter(flat, bad), Catch::Contains("lambda must be > 0"));
}

namespace {

// u + lambda D^T D u - f with circular forward differences (D^T D u = 4u - the four neighbours).
double circular_screened_residual(const Image& u, const Image& f, double lambda) {
  const int W = u.width, H = u.height;
  double m = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < u.channels; ++c) {
        const double lap = 4.0 * u.at(x, y, c) - u.at((x + 1) % W, y, c) - u.at((x + W - 1) % W, y, c) -
                           u.at(x, (y + 1) % H, c) - u.at(x, (y + H - 1) % H, c);
        m = std::max(m, std::fabs(u.at(x, y, c) + lambda * lap - f.at(x, y, c)));
      }
  return m;
}

}  // namespace

TEST_CASE("smoothers: ILS in the quadratic limit is the closed form; it flattens noise, keeps steps", "[unit]") {
  const Image f = structured(31, 23, 3, 0.05f, 41);
  // gamma >> every gradient: phi(x) = x^2, so one iteration solves (1 + lambda D^T D) u = f.
  IlsParams q;
  q.lambda = 2.0;
  q.gamma = 1e4;
  q.iterations = 1;
  const Image u1 = ils_smoothing(f, q);
  CHECK(circular_screened_residual(u1, f, q.lambda) < 1e-5);
  CHECK(max_abs_diff(u1, f) > 0.05);  // it did smooth
  // The released code's data term: the second iteration starts from the first one's result...
  q.iterations = 2;
  CHECK(max_abs_diff(ils_smoothing(f, q), ils_smoothing(u1, [&] {
          IlsParams one = q;
          one.iterations = 1;
          return one;
        }())) < 1e-5);
  // ...where the paper's (accumulate = false) has reached its fixed point after one.
  q.accumulate = false;
  CHECK(max_abs_diff(ils_smoothing(f, q), u1) < 1e-6);

  // Welsch with the defaults (lambda 30, gamma 10/255, 10 iterations): noise below gamma goes, the
  // step (far above gamma) stays.
  const Image noisy = structured(31, 23, 1, 0.02f, 43);
  const Image u = ils_smoothing(noisy);
  auto gradient_energy = [](const Image& im, int x0, int x1) {
    double e = 0;
    for (int y = 0; y + 1 < im.height; ++y)
      for (int x = x0; x < x1; ++x)
        e += std::pow(im.at(x + 1, y, 0) - im.at(x, y, 0), 2) + std::pow(im.at(x, y + 1, 0) - im.at(x, y, 0), 2);
    return e;
  };
  CHECK(gradient_energy(u, 2, 12) < 0.05 * gradient_energy(noisy, 2, 12));
  CHECK(step_contrast(u, 14, 15) > 0.45);  // the step is 0.55
  const Image flat(10, 8, 3, 0.61f);
  for (float v : ils_smoothing(flat).pixels) CHECK(v == Approx(0.61f).margin(1e-6));

  IlsParams bad;
  bad.iterations = 0;
  CHECK_THROWS_WITH(ils_smoothing(flat, bad), Catch::Contains("iterations must be >= 1"));
  bad = {};
  bad.gamma = 0;
  CHECK_THROWS_WITH(ils_smoothing(flat, bad), Catch::Contains("gamma must be > 0"));
  bad = {};
  bad.lambda = -3;
  CHECK_THROWS_WITH(ils_smoothing(flat, bad), Catch::Contains("lambda must be > 0"));
}
