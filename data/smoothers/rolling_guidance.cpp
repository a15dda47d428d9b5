#include "data/smoothers/rolling_guidance.h"

#include <cmath>
#include <vector>

#include "engine/error.h"

namespace csgis::data::smoothers {

void RollingGuidanceParams::validate() const {
  CSGIS_CHECK(sigma_s > 0 && std::isfinite(sigma_s), "rolling guidance: sigma_s must be > 0, got ", sigma_s);
  CSGIS_CHECK(sigma_r > 0 && std::isfinite(sigma_r), "rolling guidance: sigma_r must be > 0, got ", sigma_r);
  CSGIS_CHECK(iterations >= 1, "rolling guidance: iterations must be >= 1, got ", iterations);
}

Image joint_bilateral_filter(const Image& src, const Image& guide, double sigma_s, double sigma_r) {
  CSGIS_CHECK(src.width == guide.width && src.height == guide.height, "joint bilateral: source ", src.width, "x",
              src.height, " and guide ", guide.width, "x", guide.height, " differ in size");
  CSGIS_CHECK((src.channels == 1 || src.channels == 3) && (guide.channels == 1 || guide.channels == 3),
              "joint bilateral: 1 or 3 channels expected, got ", src.channels, " and ", guide.channels);
  CSGIS_CHECK(sigma_s > 0 && sigma_r > 0, "joint bilateral: sigmas must be > 0");
  const int W = src.width, H = src.height, C = src.channels, G = guide.channels;
  const int R = int(std::ceil(3.0 * sigma_s));
  // Spatial weights once per call; range weights per pair (the guide changes every iteration).
  std::vector<double> spatial(size_t(2 * R + 1) * (2 * R + 1));
  for (int dy = -R; dy <= R; ++dy)
    for (int dx = -R; dx <= R; ++dx)
      spatial[size_t(dy + R) * (2 * R + 1) + (dx + R)] = std::exp(-(dx * dx + dy * dy) / (2.0 * sigma_s * sigma_s));
  const double inv_2r2 = 1.0 / (2.0 * sigma_r * sigma_r);
  Image out(W, H, C);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float* gp = &guide.pixels[(size_t(y) * W + x) * G];
      double acc[3] = {0, 0, 0}, norm = 0;
      for (int qy = std::max(0, y - R); qy <= std::min(H - 1, y + R); ++qy)
        for (int qx = std::max(0, x - R); qx <= std::min(W - 1, x + R); ++qx) {
          const float* gq = &guide.pixels[(size_t(qy) * W + qx) * G];
          double d2 = 0;
          for (int c = 0; c < G; ++c) d2 += double(gp[c] - gq[c]) * double(gp[c] - gq[c]);
          const double w = spatial[size_t(qy - y + R) * (2 * R + 1) + (qx - x + R)] * std::exp(-d2 * inv_2r2);
          const float* s = &src.pixels[(size_t(qy) * W + qx) * C];
          for (int c = 0; c < C; ++c) acc[c] += w * s[c];
          norm += w;
        }
      for (int c = 0; c < C; ++c) out.pixels[(size_t(y) * W + x) * C + c] = float(acc[c] / norm);
    }
  return out;
}

Image rolling_guidance_filter(const Image& img, const RollingGuidanceParams& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "rolling guidance: 1 or 3 channels expected, got ",
              img.channels);
  // A constant guide makes every range weight 1: the first pass is the Gaussian of the image.
  Image guide(img.width, img.height, img.channels, 0.f);
  for (int t = 0; t < p.iterations; ++t) guide = joint_bilateral_filter(img, guide, p.sigma_s, p.sigma_r);
  return guide;
}

}  // namespace csgis::data::smoothers
