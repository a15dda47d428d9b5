// What the smoother kernel tests share: a structured random test image.
#pragma once
#include <cstdint>
#include <random>

#include "data/image.h"

namespace csgis::data::testing {

// Rectangles and discs of random colours over a gradient, plus noise: edges of every height,
// flat areas and texture. Values in [0, 1].
inline Image structured_image(int W, int H, int C, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  Image img(W, H, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) img.at(x, y, c) = 0.2f + 0.5f * float(x + c * y) / float(W + C * H);
  for (int k = 0; k < 6; ++k) {
    const float cx = u(rng) * W, cy = u(rng) * H, size = 3 + u(rng) * W / 3;
    const bool disc = k % 2;
    float colour[3] = {u(rng), u(rng), u(rng)};
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const float dx = x - cx, dy = y - cy;
        const bool inside = disc ? dx * dx + dy * dy < size * size : std::fabs(dx) < size && std::fabs(dy) < size / 2;
        if (inside)
          for (int c = 0; c < C; ++c) img.at(x, y, c) = colour[c];
      }
  }
  for (float& v : img.pixels) v = std::min(1.f, std::max(0.f, v + 0.08f * (u(rng) - 0.5f)));
  return img;
}

}  // namespace csgis::data::testing
