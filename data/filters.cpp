// Bilateral filtering (full window or separable), see filters.h.
#include "data/filters.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace csgis::data {

namespace {

// The filter over a (2rx+1) x (2ry+1) window: rx = ry for the full filter, one of them 0 for a
// separable pass. Range weights come from a table over the L1 distance in steps of 1/1024; C is a
// template parameter so the channel loops unroll. (A symmetric variant visiting each pair once
// measured slower: its scattered read-modify-writes cost more than the halved arithmetic saves.)
template <int C>
Image bilateral(const Image& img, int rx, int ry, float sigma_color, float sigma_space) {
  const int W = img.width, H = img.height, KX = 2 * rx + 1, KY = 2 * ry + 1;
  std::vector<float> ws(static_cast<size_t>(KX) * KY);
  for (int dy = -ry; dy <= ry; ++dy)
    for (int dx = -rx; dx <= rx; ++dx)
      ws[size_t(dy + ry) * KX + dx + rx] =
          std::exp(-float(dx * dx + dy * dy) / (2 * sigma_space * sigma_space));
  constexpr int kSteps = 1024;
  std::vector<float> wr(static_cast<size_t>(C) * kSteps + 2);
  for (size_t i = 0; i < wr.size(); ++i) {
    const float d = float(i) / kSteps;
    wr[i] = std::exp(-d * d / (2 * sigma_color * sigma_color));
  }
  const int max_bin = int(wr.size()) - 1;
  Image out(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float* p = &img.pixels[(size_t(y) * W + x) * C];
      float acc[C] = {}, wsum = 0;
      const int x0 = std::max(0, x - rx), x1 = std::min(W - 1, x + rx);
      for (int yy = std::max(0, y - ry); yy <= std::min(H - 1, y + ry); ++yy) {
        const float* wrow = &ws[size_t(yy - y + ry) * KX + rx - x];
        const float* q = &img.pixels[(size_t(yy) * W + x0) * C];
        for (int xx = x0; xx <= x1; ++xx, q += C) {
          float dist = 0;
          for (int c = 0; c < C; ++c) dist += std::fabs(q[c] - p[c]);
          const float w = wrow[xx] * wr[std::min(int(dist * kSteps + 0.5f), max_bin)];
          for (int c = 0; c < C; ++c) acc[c] += w * q[c];
          wsum += w;
        }
      }
      for (int c = 0; c < C; ++c) out.pixels[(size_t(y) * W + x) * C + c] = acc[c] / wsum;
    }
  return out;
}

template <int C>
Image run(const Image& img, int r, float sc, float ss, bool separable) {
  if (!separable) return bilateral<C>(img, r, r, sc, ss);
  return bilateral<C>(bilateral<C>(img, r, 0, sc, ss), 0, r, sc, ss);
}

}  // namespace

Image bilateral_filter(const Image& img, int radius, float sigma_color, float sigma_space,
                       bool separable) {
  CSGIS_CHECK(radius >= 0 && sigma_color > 0 && sigma_space > 0,
              "bilateral_filter: bad parameters (radius >= 0, positive sigmas)");
  CSGIS_CHECK(img.pixels.size() == size_t(img.width) * img.height * img.channels,
              "bilateral_filter: pixel buffer does not match the image size");
  switch (img.channels) {
    case 1: return run<1>(img, radius, sigma_color, sigma_space, separable);
    case 3: return run<3>(img, radius, sigma_color, sigma_space, separable);
    default: CSGIS_FAIL("bilateral_filter: 1 or 3 channels expected, got ", img.channels);
  }
}

}  // namespace csgis::data
