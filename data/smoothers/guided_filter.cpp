#include "data/smoothers/guided_filter.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace csgis::data::smoothers {

std::string guide_mode_name(GuideMode mode) { return mode == GuideMode::Gray ? "gray" : "self"; }

void GuidedFilterParams::validate() const {
  CSGIS_CHECK(radius >= 1, "guided filter: radius must be >= 1, got ", radius);
  CSGIS_CHECK(eps > 0 && std::isfinite(eps), "guided filter: eps must be a positive number, got ", eps);
}

std::vector<double> box_mean(const std::vector<double>& in, int w, int h, int r) {
  CSGIS_CHECK(w > 0 && h > 0 && in.size() == size_t(w) * size_t(h) && r >= 0,
              "box_mean: bad arguments ", w, "x", h, " r ", r, " size ", in.size());
  // Integral image with a zero first row and column: S(x1+1, y1+1) - S(x0, y1+1) - ... sums any
  // rectangle in four reads, so the cost does not depend on r.
  const size_t W = size_t(w) + 1;
  std::vector<double> S(W * (size_t(h) + 1), 0.0);
  for (int y = 0; y < h; ++y) {
    double row = 0;
    for (int x = 0; x < w; ++x) {
      row += in[size_t(y) * w + x];
      S[(y + 1) * W + x + 1] = S[y * W + x + 1] + row;
    }
  }
  std::vector<double> out(in.size());
  // Threads only pay off on large images: a parallel region per box filter costs more than a
  // small image's whole filter, and far more on a loaded machine.
#pragma omp parallel for schedule(static) if (size_t(w) * size_t(h) >= (size_t(1) << 18))
  for (int y = 0; y < h; ++y) {
    const int y0 = std::max(0, y - r), y1 = std::min(h - 1, y + r);
    for (int x = 0; x < w; ++x) {
      const int x0 = std::max(0, x - r), x1 = std::min(w - 1, x + r);
      const double s = S[(y1 + 1) * W + x1 + 1] - S[y0 * W + x1 + 1] - S[(y1 + 1) * W + x0] + S[y0 * W + x0];
      out[size_t(y) * w + x] = s / double((x1 - x0 + 1) * (y1 - y0 + 1));
    }
  }
  return out;
}

std::vector<float> guided_filter_channel(const std::vector<float>& guide, const std::vector<float>& src,
                                         int w, int h, int radius, double eps) {
  const size_t n = size_t(w) * size_t(h);
  CSGIS_CHECK(guide.size() == n && src.size() == n, "guided_filter_channel: expected ", n,
              " values per plane, got ", guide.size(), " and ", src.size());
  std::vector<double> I(n), p(n), II(n), Ip(n);
  for (size_t i = 0; i < n; ++i) {
    I[i] = guide[i];
    p[i] = src[i];
    II[i] = I[i] * I[i];
    Ip[i] = I[i] * p[i];
  }
  const std::vector<double> mI = box_mean(I, w, h, radius), mp = box_mean(p, w, h, radius);
  const std::vector<double> mII = box_mean(II, w, h, radius), mIp = box_mean(Ip, w, h, radius);
  std::vector<double> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    // Population variance; E[I^2] - E[I]^2 can dip a hair below zero in floating point.
    const double var = std::max(0.0, mII[i] - mI[i] * mI[i]);
    const double cov = mIp[i] - mI[i] * mp[i];
    a[i] = cov / (var + eps);
    b[i] = mp[i] - a[i] * mI[i];
  }
  const std::vector<double> ma = box_mean(a, w, h, radius), mb = box_mean(b, w, h, radius);
  std::vector<float> q(n);
  for (size_t i = 0; i < n; ++i) q[i] = float(ma[i] * I[i] + mb[i]);
  return q;
}

Image guided_filter(const Image& img, const GuidedFilterParams& params) {
  params.validate();
  CSGIS_CHECK(!img.empty() && (img.channels == 1 || img.channels == 3),
              "guided filter: expected a grey or RGB image, got ", img.width, "x", img.height, "x",
              img.channels);
  const int w = img.width, h = img.height, C = img.channels;
  const size_t n = size_t(w) * size_t(h);
  std::vector<float> gray;
  if (params.guide == GuideMode::Gray) gray = to_gray(img);
  Image out(w, h, C);
  std::vector<float> plane(n);
  for (int c = 0; c < C; ++c) {
    for (size_t i = 0; i < n; ++i) plane[i] = img.pixels[i * C + c];
    const std::vector<float> q =
        guided_filter_channel(params.guide == GuideMode::Gray ? gray : plane, plane, w, h, params.radius, params.eps);
    for (size_t i = 0; i < n; ++i) out.pixels[i * C + c] = q[i];
  }
  return out;
}

GfTuneResult tune_guided_filter(int64_t count, const GfPairLoader& load, const std::vector<int>& radii,
                                const std::vector<double>& eps_values, const GfScorer& score,
                                GuideMode guide, const std::function<void(int64_t)>& progress) {
  CSGIS_CHECK(!radii.empty() && !eps_values.empty(), "tune_guided_filter: empty parameter grid");
  CSGIS_CHECK(count > 0, "tune_guided_filter: no samples to tune on");
  GfTuneResult result;
  for (int r : radii)
    for (double e : eps_values) {
      GuidedFilterParams{r, e, guide}.validate();  // fail before any work
      result.grid.push_back({r, e, 0.0, 0.0});
    }
  // Sample-major: each pair is read from disk once and filtered with every setting.
  for (int64_t i = 0; i < count; ++i) {
    const std::pair<Image, Image> pair = load(i);
    for (GfScore& g : result.grid) {
      const std::pair<double, double> s = score(guided_filter(pair.first, {g.radius, g.eps, guide}), pair.second);
      g.psnr += s.first;
      g.ssim += s.second;
    }
    if (progress) progress(i + 1);
  }
  for (GfScore& g : result.grid) {
    g.psnr /= double(count);
    g.ssim /= double(count);
  }
  result.best = result.grid.front();
  for (const GfScore& g : result.grid)
    if (g.psnr > result.best.psnr) result.best = g;
  return result;
}

}  // namespace csgis::data::smoothers
