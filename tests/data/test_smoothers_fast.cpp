// The fast guided, bilateral, rolling guidance and L0 smoothers against straightforward references
// written out here (the previous implementations, in double where they were): max abs difference
// <= 1e-5 on [0,1] images of odd sizes (widths that are not whole vectors of 8 pixels, windows
// wider than the image), and the same bits whatever the number of OpenMP threads.
#include <catch2/catch.hpp>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <vector>

#include "data/smoothers/bilateral.h"
#include "data/smoothers/fft2d.h"
#include "data/smoothers/guided_filter.h"
#include "data/smoothers/l0_smoothing.h"
#include "data/smoothers/rolling_guidance.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
using namespace csgis::data::smoothers;

namespace {

// Flat patches of their own colour (edges), plus noise: values in [0,1].
Image patchy(int W, int H, int C, uint64_t seed) {
  Generator g(seed);
  std::vector<float> colours(64 * 3);
  for (float& v : colours) v = float(g.uniform(0.1, 0.9));
  Image img(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int patch = (x / 7 + 5 * (y / 9)) % 64;
      for (int c = 0; c < C; ++c)
        img.at(x, y, c) = std::clamp(colours[size_t(patch) * 3 + c] + float(g.uniform(-0.06, 0.06)), 0.f, 1.f);
    }
  return img;
}

double max_abs_diff(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double m = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) m = std::max(m, std::fabs(double(a.pixels[i]) - b.pixels[i]));
  return m;
}

// Runs f with 1, 2 and 3 OpenMP threads; all results must be bit-identical.
void check_thread_independent(const std::function<Image()>& f) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const Image one = f();
  omp_set_num_threads(2);
  const Image two = f();
  omp_set_num_threads(3);
  const Image three = f();
  omp_set_num_threads(saved);
  CHECK(one.pixels == two.pixels);
  CHECK(one.pixels == three.pixels);
}

// ---- guided filter: He's formula over integral-image box means (gf's box_mean), in double ----
std::vector<float> reference_gf_channel(const std::vector<float>& guide, const std::vector<float>& src, int w, int h,
                                        int r, double eps) {
  const size_t n = guide.size();
  std::vector<double> I(n), p(n), II(n), Ip(n);
  for (size_t i = 0; i < n; ++i) I[i] = guide[i], p[i] = src[i], II[i] = I[i] * I[i], Ip[i] = I[i] * p[i];
  const auto mI = box_mean(I, w, h, r), mp = box_mean(p, w, h, r), mII = box_mean(II, w, h, r),
             mIp = box_mean(Ip, w, h, r);
  std::vector<double> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = (mIp[i] - mI[i] * mp[i]) / (std::max(0.0, mII[i] - mI[i] * mI[i]) + eps);
    b[i] = mp[i] - a[i] * mI[i];
  }
  const auto ma = box_mean(a, w, h, r), mb = box_mean(b, w, h, r);
  std::vector<float> q(n);
  for (size_t i = 0; i < n; ++i) q[i] = float(ma[i] * I[i] + mb[i]);
  return q;
}

Image reference_gf(const Image& img, int r, double eps, GuideMode mode) {
  const int C = img.channels;
  const size_t n = size_t(img.width) * img.height;
  const std::vector<float> gray = to_gray(img);
  Image out(img.width, img.height, C);
  std::vector<float> plane(n);
  for (int c = 0; c < C; ++c) {
    for (size_t i = 0; i < n; ++i) plane[i] = img.pixels[i * C + c];
    const auto q = reference_gf_channel(mode == GuideMode::Gray ? gray : plane, plane, img.width, img.height, r, eps);
    for (size_t i = 0; i < n; ++i) out.pixels[i * C + c] = q[i];
  }
  return out;
}

// ---- bilateral (OpenCV conventions): per-pixel loop over the disc, double ----
int mirror(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

Image reference_bf(const Image& img, int R, double ss, double sr, bool clip) {
  const int W = img.width, H = img.height, C = img.channels;
  Image out(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double acc[3] = {0, 0, 0}, norm = 0;
      for (int dy = -R; dy <= R; ++dy)
        for (int dx = -R; dx <= R; ++dx) {
          if (dx * dx + dy * dy > R * R) continue;
          int qx = x + dx, qy = y + dy;
          if (clip && (qx < 0 || qx >= W || qy < 0 || qy >= H)) continue;
          qx = mirror(qx, W), qy = mirror(qy, H);
          double d = 0;
          for (int c = 0; c < C; ++c) d += std::fabs(double(img.at(qx, qy, c)) - img.at(x, y, c));
          const double w = std::exp(-(dx * dx + dy * dy) / (2 * ss * ss)) * std::exp(-d * d / (2 * sr * sr));
          for (int c = 0; c < C; ++c) acc[c] += w * img.at(qx, qy, c);
          norm += w;
        }
      for (int c = 0; c < C; ++c) out.at(x, y, c) = float(acc[c] / norm);
    }
  return out;
}

// ---- rolling guidance: brute-force joint bilateral over the cut square window, double ----
Image reference_joint(const Image& src, const Image& guide, double ss, double sr) {
  const int W = src.width, H = src.height, C = src.channels, G = guide.channels, R = int(std::ceil(3 * ss));
  Image out(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double acc[3] = {0, 0, 0}, norm = 0;
      for (int qy = std::max(0, y - R); qy <= std::min(H - 1, y + R); ++qy)
        for (int qx = std::max(0, x - R); qx <= std::min(W - 1, x + R); ++qx) {
          double d2 = 0;
          for (int g = 0; g < G; ++g) d2 += std::pow(double(guide.at(x, y, g)) - guide.at(qx, qy, g), 2);
          const double w = std::exp(-((qx - x) * (qx - x) + (qy - y) * (qy - y)) / (2 * ss * ss)) *
                           std::exp(-d2 / (2 * sr * sr));
          for (int c = 0; c < C; ++c) acc[c] += w * src.at(qx, qy, c);
          norm += w;
        }
      for (int c = 0; c < C; ++c) out.at(x, y, c) = float(acc[c] / norm);
    }
  return out;
}

Image reference_rgf(const Image& img, const RollingGuidanceParams& p) {
  Image guide(img.width, img.height, img.channels, 0.f);  // constant: the first pass is a Gaussian
  for (int t = 0; t < p.iterations; ++t) guide = reference_joint(img, guide, p.sigma_s, p.sigma_r);
  return guide;
}

// ---- L0: the authors' iteration with full complex 2-D transforms of h and v (fft2d's fft2) ----
Image reference_l0(const Image& img, const L0Params& p) {
  using cplx = std::complex<double>;
  const int W = img.width, H = img.height, C = img.channels;
  const size_t N = size_t(W) * H;
  const std::vector<double> otf2 = gradient_energy_spectrum(W, H);
  const std::vector<cplx> fdx = forward_difference_spectrum(W), fdy = forward_difference_spectrum(H);
  std::vector<std::vector<cplx>> FI(static_cast<size_t>(C), std::vector<cplx>(N));
  std::vector<std::vector<double>> S(static_cast<size_t>(C), std::vector<double>(N));
  for (int c = 0; c < C; ++c) {
    for (size_t i = 0; i < N; ++i) S[size_t(c)][i] = img.pixels[i * C + c], FI[size_t(c)][i] = S[size_t(c)][i];
    fft2(FI[size_t(c)], W, H, false, false);
  }
  std::vector<double> h(N * C), v(N * C);
  for (double beta = 2 * p.lambda; beta < p.beta_max; beta *= p.kappa) {
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const size_t i = size_t(y) * W + x, ix = size_t(y) * W + (x + 1) % W, iy = size_t((y + 1) % H) * W + x;
        double mag = 0;
        for (int c = 0; c < C; ++c) {
          h[i * C + c] = S[size_t(c)][ix] - S[size_t(c)][i];
          v[i * C + c] = S[size_t(c)][iy] - S[size_t(c)][i];
          mag += h[i * C + c] * h[i * C + c] + v[i * C + c] * v[i * C + c];
        }
        if (mag < p.lambda / beta)
          for (int c = 0; c < C; ++c) h[i * C + c] = v[i * C + c] = 0;
      }
    for (int c = 0; c < C; ++c) {
      std::vector<cplx> fh(N), fv(N), rhs(N);
      for (size_t i = 0; i < N; ++i) fh[i] = h[i * C + c], fv[i] = v[i * C + c];
      fft2(fh, W, H, false, false);
      fft2(fv, W, H, false, false);
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const size_t i = size_t(y) * W + x;
          rhs[i] = (FI[size_t(c)][i] + beta * (std::conj(fdx[size_t(x)]) * fh[i] + std::conj(fdy[size_t(y)]) * fv[i])) /
                   (1.0 + beta * otf2[i]);
        }
      fft2(rhs, W, H, true, false);
      for (size_t i = 0; i < N; ++i) S[size_t(c)][i] = rhs[i].real();
    }
  }
  Image out(W, H, C);
  for (size_t i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) out.pixels[i * C + c] = float(S[size_t(c)][i]);
  return out;
}

}  // namespace

TEST_CASE("fast guided filter equals the integral-image formula (<= 1e-5), thread-independent", "[unit]") {
  for (int C : {1, 3})
    for (GuideMode mode : {GuideMode::SelfPerChannel, GuideMode::Gray})
      for (int r : {1, 2, 5, 40}) {  // 40: wider than the image
        const Image img = patchy(61, 37, C, 11 + uint64_t(r));
        const double eps = r == 5 ? 0.001 : 0.01;
        CHECK(max_abs_diff(guided_filter(img, {r, eps, mode}), reference_gf(img, r, eps, mode)) <= 1e-5);
      }
  // guided_filter_channel with a guide other than the source.
  const Image a = patchy(45, 52, 1, 3), b = patchy(45, 52, 1, 4);
  const std::vector<float> q = guided_filter_channel(a.pixels, b.pixels, 45, 52, 3, 0.02);
  const std::vector<float> want = reference_gf_channel(a.pixels, b.pixels, 45, 52, 3, 0.02);
  double m = 0;
  for (size_t i = 0; i < q.size(); ++i) m = std::max(m, std::fabs(double(q[i]) - want[i]));
  CHECK(m <= 1e-5);
  // Large enough for the threaded path (>= 2^17 pixels) and several bands of rows.
  const Image big = patchy(411, 333, 3, 5);
  check_thread_independent([&] { return guided_filter(big, {2, 0.01, GuideMode::SelfPerChannel}); });
  check_thread_independent([&] { return guided_filter(big, {7, 0.01, GuideMode::Gray}); });
}

TEST_CASE("fast bilateral equals a per-pixel double loop (<= 1e-5) at any width, thread-independent", "[unit]") {
  for (int C : {1, 3})
    for (int W : {1, 5, 13, 32, 43})
      for (bool clip : {false, true}) {
        const Image img = patchy(W, 19, C, 20 + uint64_t(W));
        BilateralParams p;
        p.sigma_s = 2.0;
        p.sigma_r = 0.15;
        p.border = clip ? BilateralBorder::Clip : BilateralBorder::Reflect101;
        CHECK(max_abs_diff(bilateral(img, p), reference_bf(img, 3, 2.0, 0.15, clip)) <= 1e-5);
      }
  const Image big = patchy(203, 91, 3, 8);
  check_thread_independent([&] { return bilateral(big); });
}

TEST_CASE("fast rolling guidance equals brute-force joint bilateral passes (<= 1e-5), thread-independent",
          "[unit]") {
  RollingGuidanceParams p;
  p.sigma_s = 2.0;
  p.sigma_r = 0.1;
  p.iterations = 3;
  for (int C : {1, 3}) {
    const Image img = patchy(29, 23, C, 30 + uint64_t(C));
    CHECK(max_abs_diff(rolling_guidance_filter(img, p), reference_rgf(img, p)) <= 1e-5);
  }
  // A guide with other channels than the source, either way round; window wider than the image.
  const Image rgb = patchy(11, 17, 3, 40), grey = patchy(11, 17, 1, 41);
  CHECK(max_abs_diff(joint_bilateral_filter(rgb, grey, 2.5, 0.2), reference_joint(rgb, grey, 2.5, 0.2)) <= 1e-5);
  CHECK(max_abs_diff(joint_bilateral_filter(grey, rgb, 4.0, 0.2), reference_joint(grey, rgb, 4.0, 0.2)) <= 1e-5);
  const Image big = patchy(157, 64, 3, 9);
  check_thread_independent([&] { return rolling_guidance_filter(big, p); });
}

TEST_CASE("fast L0 smoothing equals the full complex-FFT iteration (<= 1e-5), thread-independent", "[unit]") {
  // Even widths take kissfft's packed real path (multiples of 4) or its generic one; odd ones too.
  for (int C : {1, 3})
    for (auto [W, H] : {std::pair{40, 28}, std::pair{37, 22}, std::pair{30, 33}}) {
      const Image img = patchy(W, H, C, 50 + uint64_t(W));
      CHECK(max_abs_diff(l0_smoothing(img), reference_l0(img, {})) <= 1e-5);
    }
  L0Params p;
  p.lambda = 0.02;
  p.kappa = 3.0;
  const Image img = patchy(26, 19, 3, 60);
  CHECK(max_abs_diff(l0_smoothing(img, p), reference_l0(img, p)) <= 1e-5);
  const Image big = patchy(160, 130, 3, 10);  // above the threaded size
  check_thread_independent([&] { return l0_smoothing(big, p); });
}
