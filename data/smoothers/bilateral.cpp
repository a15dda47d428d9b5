#include "data/smoothers/bilateral.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/smoothers/bilateral_simd.h"
#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {

struct Tap {
  int dx, dy;
  float w;  // spatial weight
};

// The window's taps in row-major order (dy, then dx ascending): the summation order of the filter.
std::vector<Tap> window_taps(const BilateralPass& p) {
  std::vector<Tap> taps;
  for (int dy = -p.ry; dy <= p.ry; ++dy)
    for (int dx = -p.rx; dx <= p.rx; ++dx) {
      if (p.window == BilateralWindow::Disc && dx * dx + dy * dy > p.rx * p.rx) continue;
      taps.push_back({dx, dy, std::exp(-float(dx * dx + dy * dy) / (2 * p.sigma_s * p.sigma_s))});
    }
  return taps;
}

// OpenCV's BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), repeated for windows wider than the image.
int reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// The legacy table of data::bilateral_filter: nearest bin of the L1 distance in steps of 1/1024.
struct TableRange {
  static constexpr int kSteps = 1024;
  std::vector<float> table;
  int max_bin;
  TableRange(float sigma_r, int channels) : table(static_cast<size_t>(channels) * kSteps + 2) {
    for (size_t i = 0; i < table.size(); ++i) {
      const float d = float(i) / kSteps;
      table[i] = std::exp(-d * d / (2 * sigma_r * sigma_r));
    }
    max_bin = int(table.size()) - 1;
  }
  float operator()(float dist) const { return table[size_t(std::min(int(dist * kSteps + 0.5f), max_bin))]; }
};

template <int C, class Range>
Image run(const Image& img, const BilateralPass& p, const Range& range) {
  const int W = img.width, H = img.height;
  const std::vector<Tap> taps = window_taps(p);
  const bool clip = p.border == BilateralBorder::Clip;
  // Source column / row of each window position x + dx in [-rx, W + rx) (reflect-101 only).
  std::vector<int> xmap(size_t(W + 2 * p.rx)), ymap(size_t(H + 2 * p.ry));
  for (int i = 0; i < W + 2 * p.rx; ++i) xmap[size_t(i)] = reflect101(i - p.rx, W);
  for (int i = 0; i < H + 2 * p.ry; ++i) ymap[size_t(i)] = reflect101(i - p.ry, H);
  Image out(W, H, C);
#pragma omp parallel for schedule(static) if (p.parallel && size_t(W) * H * taps.size() > (1u << 16))
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float* centre = &img.pixels[(size_t(y) * W + x) * C];
      float acc[C] = {}, wsum = 0;
      for (const Tap& t : taps) {
        int xx = x + t.dx, yy = y + t.dy;
        if (clip) {
          if (xx < 0 || xx >= W || yy < 0 || yy >= H) continue;
        } else {
          xx = xmap[size_t(xx + p.rx)];
          yy = ymap[size_t(yy + p.ry)];
        }
        const float* q = &img.pixels[(size_t(yy) * W + xx) * C];
        float dist = 0;
        for (int c = 0; c < C; ++c) dist += std::fabs(q[c] - centre[c]);
        const float w = t.w * range(dist);
        for (int c = 0; c < C; ++c) acc[c] += w * q[c];
        wsum += w;
      }
      for (int c = 0; c < C; ++c) out.pixels[(size_t(y) * W + x) * C + c] = acc[c] / wsum;
    }
  return out;
}

// Exact range weights: the vectorised engine, w = exp(-(|q-p|^2 / (2 sigma_s^2) + d^2 / (2 sigma_r^2))).
Image run_exact(const Image& img, const BilateralPass& p) {
  JointBilateralSpec spec;
  for (const Tap& t : window_taps(p))
    spec.taps.push_back({t.dx, t.dy, float(t.dx * t.dx + t.dy * t.dy) / (2 * p.sigma_s * p.sigma_s)});
  spec.range_coefficient = 1.f / (2 * p.sigma_r * p.sigma_r);
  spec.distance = RangeDistance::L1Squared;
  spec.border = p.border;
  spec.parallel = p.parallel;
  return joint_bilateral_simd(img, img, spec);
}

template <int C>
Image dispatch_range(const Image& img, const BilateralPass& p) {
  if (p.range == BilateralRange::Exact) return run_exact(img, p);
  return run<C>(img, p, TableRange(p.sigma_r, C));
}

}  // namespace

void BilateralParams::validate() const {
  CSGIS_CHECK(sigma_s > 0 && std::isfinite(sigma_s), "bilateral filter: sigma_s must be > 0, got ", sigma_s);
  CSGIS_CHECK(sigma_r > 0 && std::isfinite(sigma_r), "bilateral filter: sigma_r must be > 0, got ", sigma_r);
  CSGIS_CHECK(radius >= 0, "bilateral filter: radius must be >= 0 (0: from sigma_s), got ", radius);
}

int BilateralParams::window_radius() const {
  if (radius > 0) return radius;
  return std::max(1, int(std::lrint(1.5 * sigma_s)));  // cvRound: nearest, ties to even
}

Image bilateral_pass(const Image& img, const BilateralPass& p) {
  CSGIS_CHECK(p.rx >= 0 && p.ry >= 0 && p.sigma_s > 0 && p.sigma_r > 0,
              "bilateral filter: bad parameters (radii >= 0, positive sigmas)");
  CSGIS_CHECK(p.window == BilateralWindow::Rectangle || p.rx == p.ry,
              "bilateral filter: a disc window needs equal radii, got ", p.rx, " and ", p.ry);
  CSGIS_CHECK(img.pixels.size() == size_t(img.width) * img.height * img.channels,
              "bilateral filter: pixel buffer does not match the image size");
  switch (img.channels) {
    case 1: return dispatch_range<1>(img, p);
    case 3: return dispatch_range<3>(img, p);
    default: CSGIS_FAIL("bilateral filter: 1 or 3 channels expected, got ", img.channels);
  }
}

Image bilateral(const Image& img, const BilateralParams& params) {
  params.validate();
  BilateralPass p;
  p.rx = p.ry = params.window_radius();
  p.sigma_s = float(params.sigma_s);
  p.sigma_r = float(params.sigma_r);
  p.border = params.border;
  return bilateral_pass(img, p);
}

}  // namespace csgis::data::smoothers
