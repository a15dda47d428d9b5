// The reference's augmentation ranges: multiplicative brightness, contrast range, hue shift and
// large rotations (data/augment.h), checked on hand-computed pixels and on map alignment.
#include <catch2/catch.hpp>

#include <cmath>

#include "data/augment.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;

namespace {

// A sample of one colour per pixel given as a list, input = gt = over, labels distinct per pixel.
Sample colour_sample(const std::vector<std::array<float, 3>>& colours) {
  Sample s;
  s.name = "colours";
  const int W = int(colours.size());
  s.input = Image(W, 1, 3);
  s.edge = LabelMap(W, 1);
  s.seg = LabelMap(W, 1);
  for (int x = 0; x < W; ++x) {
    for (int c = 0; c < 3; ++c) s.input.at(x, 0, c) = colours[size_t(x)][size_t(c)];
    s.edge.at(x, 0) = uint8_t(x % 2);
    s.seg.at(x, 0) = uint8_t(x + 3);
  }
  s.gt = s.over = s.input;
  return s;
}

// Random colours on an odd-sized sample; gt and over differ from the input (so "the same
// transform" is not trivially the same numbers).
Sample random_sample(int W, int H, uint64_t seed) {
  Generator g(seed);
  Sample s;
  s.name = "random";
  for (Image* img : {&s.input, &s.gt, &s.over}) {
    *img = Image(W, H, 3);
    for (float& v : img->pixels) v = float(g.uniform());
  }
  s.edge = LabelMap(W, H);
  s.seg = LabelMap(W, H);
  for (size_t i = 0; i < s.seg.data.size(); ++i) {
    s.edge.data[i] = uint8_t(g.randint(2));
    s.seg.data[i] = uint8_t(g.randint(21));
  }
  return s;
}

// 8x8 blocks of constant colour; channels 0 and 1 encode the block id in two unrelated ways (a blend
// across a border is then never mistaken for a block colour), seg holds it, edge its parity.
Sample block_sample(int W, int H) {
  Sample s;
  s.name = "blocks";
  s.input = Image(W, H, 3);
  s.seg = LabelMap(W, H);
  s.edge = LabelMap(W, H);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int id = ((x / 8) * 5 + (y / 8) * 3) % 20;
      s.input.at(x, y, 0) = float(id) / 20.f;
      s.input.at(x, y, 1) = float((id * 7) % 13) / 13.f;
      s.input.at(x, y, 2) = float(y) / float(H);
      s.seg.at(x, y) = uint8_t(id);
      s.edge.at(x, y) = uint8_t(id % 2);
    }
  s.gt = s.over = s.input;
  return s;
}

AugmentConfig reference_config(int patch) {  // the CSGIS-Net reference's ranges
  AugmentConfig c;
  c.patch = patch;
  c.rot90 = false;
  c.max_angle_deg = 45.f;
  c.brightness = 0.f;
  c.brightness_factor_lo = 0.3f;
  c.brightness_factor_hi = 1.7f;
  c.use_contrast_range = true;
  c.contrast_lo = 0.3f;
  c.contrast_hi = 1.7f;
  c.saturation = 0.f;
  c.hue = 0.3f;
  return c;
}

}  // namespace

TEST_CASE("augment: hue shift moves H by turns of the colour wheel", "[unit]") {
  Sample s = colour_sample({{1, 0, 0}, {0.8f, 0.4f, 0.2f}, {0.3f, 0.3f, 0.3f}, {0, 0, 1}});
  shift_hue(s, 1.f / 3.f);
  // pure red -> pure green
  CHECK(s.gt.at(0, 0, 0) == Approx(0).margin(1e-6));
  CHECK(s.gt.at(0, 0, 1) == Approx(1).margin(1e-6));
  CHECK(s.gt.at(0, 0, 2) == Approx(0).margin(1e-6));
  // (0.8, 0.4, 0.2): H = 1/18, S = 0.75, V = 0.8; H + 1/3 = 7/18 -> sector 2, f = 1/3:
  // (V(1-S), V, V(1 - S(1 - f))) = (0.2, 0.8, 0.4)
  CHECK(s.gt.at(1, 0, 0) == Approx(0.2f).margin(1e-6));
  CHECK(s.gt.at(1, 0, 1) == Approx(0.8f).margin(1e-6));
  CHECK(s.gt.at(1, 0, 2) == Approx(0.4f).margin(1e-6));
  CHECK(s.gt.at(2, 0, 0) == 0.3f);  // grey has no hue
  CHECK(s.gt.at(3, 0, 0) == Approx(1).margin(1e-6));  // blue wraps round to red
  CHECK(s.gt.at(3, 0, 2) == Approx(0).margin(1e-6));
  CHECK(s.input.pixels == s.gt.pixels);
  CHECK(s.over.pixels == s.gt.pixels);
  // A sixth of a turn back from red is magenta.
  Sample m = colour_sample({{1, 0, 0}});
  shift_hue(m, -1.f / 6.f);
  CHECK(m.gt.at(0, 0, 0) == Approx(1).margin(1e-6));
  CHECK(m.gt.at(0, 0, 1) == Approx(0).margin(1e-6));
  CHECK(m.gt.at(0, 0, 2) == Approx(1).margin(1e-6));

  // 0 is the identity, bit for bit; a full turn is the identity up to rounding.
  const Sample r = random_sample(7, 5, 3);
  Sample zero = r, full = r;
  shift_hue(zero, 0.f);
  CHECK(zero.input.pixels == r.input.pixels);
  CHECK(zero.over.pixels == r.over.pixels);
  shift_hue(full, 1.f);
  for (size_t i = 0; i < r.gt.pixels.size(); ++i) REQUIRE(full.gt.pixels[i] == Approx(r.gt.pixels[i]).margin(1e-5));
  // A third of a turn three times comes back.
  Sample thirds = r;
  for (int i = 0; i < 3; ++i) shift_hue(thirds, 1.f / 3.f);
  for (size_t i = 0; i < r.gt.pixels.size(); ++i)
    REQUIRE(thirds.gt.pixels[i] == Approx(r.gt.pixels[i]).margin(1e-5));
}

TEST_CASE("augment: brightness and contrast factors follow ColorJitter on hand-computed pixels", "[unit]") {
  Sample b = colour_sample({{0.4f, 0.2f, 0.7f}, {0.1f, 0.9f, 0.5f}});
  scale_brightness(b, 1.5f);
  CHECK(b.gt.at(0, 0, 0) == Approx(0.6f));
  CHECK(b.gt.at(0, 0, 1) == Approx(0.3f));
  CHECK(b.gt.at(0, 0, 2) == Approx(1.0f));  // 1.05 clamped
  CHECK(b.gt.at(1, 0, 1) == Approx(1.0f));  // 1.35 clamped
  CHECK(b.gt.at(1, 0, 0) == Approx(0.15f));
  CHECK(b.over.pixels == b.gt.pixels);
  scale_brightness(b, 0.f);
  for (float v : b.input.pixels) CHECK(v == 0.f);

  // Contrast blends with the gt's mean grey: greys 0.2 and 0.6, mean 0.4; factor 1.5 -> 0.1, 0.7;
  // factor 0.3 -> 0.34, 0.46. input and over use the gt's pivot.
  Sample c = colour_sample({{0.2f, 0.2f, 0.2f}, {0.6f, 0.6f, 0.6f}});
  c.input.at(0, 0, 0) = 0.9f;
  Sample d = c;
  colour_jitter(c, 0.f, 1.5f, 1.f);
  CHECK(c.gt.at(0, 0, 1) == Approx(0.1f));
  CHECK(c.gt.at(1, 0, 2) == Approx(0.7f));
  CHECK(c.input.at(0, 0, 0) == 1.f);  // 0.4 + 1.5 (0.9 - 0.4) = 1.15, clamped
  colour_jitter(d, 0.f, 0.3f, 1.f);
  CHECK(d.gt.at(0, 0, 0) == Approx(0.34f));
  CHECK(d.gt.at(1, 0, 0) == Approx(0.46f));
  CHECK(d.input.at(0, 0, 0) == Approx(0.4f + 0.3f * 0.5f));
  CHECK(d.seg.data == c.seg.data);
}

TEST_CASE("augment: the reference's colour ranges transform input, gt and over alike; labels untouched", "[unit]") {
  const Sample s = random_sample(41, 37, 11);
  Sample same = s;
  same.gt = same.over = same.input;
  const AugmentConfig cfg = reference_config(24);
  AugmentConfig geometry_only = cfg;
  geometry_only.brightness_factor_lo = geometry_only.brightness_factor_hi = 1.f;
  geometry_only.contrast_lo = geometry_only.contrast_hi = 1.f;
  geometry_only.hue = 0.f;
  int changed = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Generator g1(seed), g2(seed), g3(seed);
    const Sample a = augment(s, cfg, g1), plain = augment(s, geometry_only, g2), t = augment(same, cfg, g3);
    // The same draws in both: the geometry (and the labels) agree; colour is applied on top.
    CHECK(a.seg.data == plain.seg.data);
    CHECK(a.edge.data == plain.edge.data);
    changed += a.gt.pixels != plain.gt.pixels;
    CHECK(t.input.pixels == t.gt.pixels);
    CHECK(t.over.pixels == t.gt.pixels);
    for (float v : a.input.pixels) REQUIRE((v >= 0.f && v <= 1.f));
  }
  CHECK(changed == 10);
}

TEST_CASE("augment: rotation up to 45 degrees fits where the margin allows and keeps maps aligned", "[unit]") {
  // A P patch turned by a spans (P-1)(|cos a| + |sin a|) pixel centres.
  CHECK(max_fitting_angle_deg(256, 128) == 45.0);
  CHECK(max_fitting_angle_deg(182, 128) == 45.0);
  CHECK(max_fitting_angle_deg(181, 128) < 45.0);
  CHECK(max_fitting_angle_deg(96, 64) == 45.0);
  CHECK(max_fitting_angle_deg(128, 128) == 0.0);
  CHECK(max_fitting_angle_deg(129, 128) == 0.0);  // floor(1 / 2) = 0: no margin on the crop grid
  CHECK(max_fitting_angle_deg(130, 128) > 0.0);
  const double a = max_fitting_angle_deg(150, 128) * M_PI / 180.0;  // 11 px of margin a side
  CHECK(63.5 * (std::cos(a) + std::sin(a)) == Approx(63.5 + 11));

  // Blocks: wherever the bilinear sample lies inside one block, the label must be that block's.
  const Sample s = block_sample(83, 77);
  AugmentConfig cfg = reference_config(48);
  cfg.hue = 0.f;
  cfg.brightness_factor_lo = cfg.brightness_factor_hi = 1.f;
  cfg.use_contrast_range = false;
  cfg.contrast = 0.f;
  AugmentConfig straight = cfg;
  straight.max_angle_deg = 0.f;
  int rotated = 0;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    Generator g(seed), h(seed);
    const Sample r = augment(s, cfg, g), u = augment(s, straight, h);
    rotated += r.seg.data != u.seg.data;
    int interior = 0;
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 48; ++x) {
        const float v = r.input.at(x, y, 0) * 20.f;
        if (std::fabs(v - std::round(v)) > 1e-4f) continue;  // a blend across a block border
        const int id = int(std::lround(v));
        if (std::fabs(r.input.at(x, y, 1) - float((id * 7) % 13) / 13.f) > 1e-5f) continue;
        ++interior;
        REQUIRE(r.seg.at(x, y) == int(std::lround(v)));
        REQUIRE(r.edge.at(x, y) == int(std::lround(v)) % 2);
      }
    CHECK(interior > 48 * 48 / 2);
  }
  CHECK(rotated >= 10);

  // A source of exactly the patch size leaves no margin: the rotation is dropped, not clipped.
  const Sample tight = block_sample(48, 48);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    Generator g(seed), h(seed);
    CHECK(augment(tight, cfg, g).gt.pixels == augment(tight, straight, h).gt.pixels);
  }
  cfg.max_angle_deg = 50.f;
  Generator g(1);
  CHECK_THROWS_WITH(augment(s, cfg, g), Catch::Contains("max_angle_deg must be in [0, 45]"));
}
