// GIMP patterns (hand-made and Debian's gimp-data), the train/validation split and eq. 14-16 blending.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include "data/textures.h"
#include "data_test_util.h"
#include "engine/error.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
using csgis::data::testing::TempDir;
using Catch::Contains;

namespace {

std::vector<uint8_t> make_pat(uint32_t w, uint32_t h, uint32_t bpp, const std::string& name,
                              const std::vector<uint8_t>& px, const char* magic = "GPAT",
                              uint32_t version = 1) {
  std::vector<uint8_t> b;
  auto be = [&](uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(x >> s));
  };
  be(uint32_t(24 + name.size() + 1));
  be(version);
  be(w);
  be(h);
  be(bpp);
  b.insert(b.end(), magic, magic + 4);
  b.insert(b.end(), name.begin(), name.end());
  b.push_back(0);
  b.insert(b.end(), px.begin(), px.end());
  return b;
}

}  // namespace

TEST_CASE("data: hand-made .pat files of 1, 3 and 4 bytes per pixel", "[unit]") {
  // 2x1 RGB: red, blue.
  const auto rgb = make_pat(2, 1, 3, "Tiny", {255, 0, 0, 0, 0, 255});
  const Texture t = parse_pat(rgb.data(), rgb.size(), "tiny.pat");
  CHECK(t.title == "Tiny");
  REQUIRE(t.rgb.width == 2);
  REQUIRE(t.rgb.height == 1);
  CHECK(t.rgb.at(0, 0, 0) == 1.f);
  CHECK(t.rgb.at(1, 0, 2) == 1.f);
  CHECK(t.gray[0] == Approx(0.299f));
  CHECK(t.gray[1] == Approx(0.114f));

  const auto grey = make_pat(1, 2, 1, "G", {0, 51});
  const Texture g = parse_pat(grey.data(), grey.size(), "g.pat");
  CHECK(g.rgb.at(0, 1, 1) == Approx(0.2f));
  CHECK(g.gray[1] == Approx(0.2f));

  // RGBA: alpha 0 becomes mid-grey, alpha 255 keeps the colour.
  const auto rgba = make_pat(2, 1, 4, "A", {255, 255, 255, 0, 0, 0, 0, 255});
  const Texture a = parse_pat(rgba.data(), rgba.size(), "a.pat");
  CHECK(a.rgb.at(0, 0, 0) == Approx(0.5f));
  CHECK(a.rgb.at(1, 0, 0) == 0.f);
}

TEST_CASE("data: corrupt .pat files give errors naming the file", "[unit]") {
  const std::vector<uint8_t> px(12, 7);
  auto fails = [](const std::vector<uint8_t>& b, const std::string& what) {
    CHECK_THROWS_WITH(parse_pat(b.data(), b.size(), "bad.pat"), Contains("'bad.pat'") && Contains(what));
  };
  fails(make_pat(2, 2, 3, "x", px, "GIMP"), "magic");
  fails(make_pat(2, 2, 3, "x", px, "GPAT", 2), "version 2");
  fails(make_pat(2, 2, 5, "x", std::vector<uint8_t>(20)), "bytes per pixel 5");
  fails(make_pat(4, 4, 3, "x", px), "truncated");
  fails(std::vector<uint8_t>(10, 0), "header alone");
  TempDir dir;
  CHECK_THROWS_WITH(load_pat(dir / "none.pat"), Contains("none.pat"));
  CHECK_THROWS_WITH(load_texture_dir(dir / "nope"), Contains("does not exist"));
  CHECK_THROWS_WITH(load_texture_dir(dir.path), Contains("no .pat file"));
  // One corrupt file in a directory makes the whole load fail, naming it.
  std::filesystem::create_directories(dir / "Cat");
  const auto good = make_pat(2, 2, 3, "ok", px);
  const auto bad = make_pat(4, 4, 3, "bad", px);
  std::ofstream(dir / "Cat/good.pat", std::ios::binary).write((const char*)good.data(), good.size());
  std::ofstream(dir / "Cat/zbad.pat", std::ios::binary).write((const char*)bad.data(), bad.size());
  CHECK_THROWS_WITH(load_texture_dir(dir.path), Contains("zbad.pat") && Contains("truncated"));
  std::filesystem::remove(dir / "Cat/zbad.pat");
  const auto ts = load_texture_dir(dir.path);
  REQUIRE(ts.size() == 1);
  CHECK(ts[0].name == "Cat/good");
  CHECK(ts[0].title == "ok");
}

TEST_CASE("data: Debian gimp-data textures load, sorted, and split disjointly", "[unit]") {
  if (!std::filesystem::is_directory(default_texture_dir())) {
    WARN("skipped: " << default_texture_dir() << " is absent (tools/setup-deps.sh installs gimp-data)");
    return;
  }
  const std::vector<Texture> all = load_texture_dir(default_texture_dir());
  CHECK(all.size() >= 50);
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].name < all[i].name);
  for (const Texture& t : all) {
    CHECK(t.rgb.width > 0);
    CHECK(t.gray.size() == size_t(t.rgb.width) * t.rgb.height);
  }
  const TextureSplit sp = split_textures(all);
  std::set<std::string> train, val;
  for (const auto& t : sp.train) train.insert(t.name);
  for (const auto& t : sp.val) val.insert(t.name);
  CHECK(train.size() + val.size() == all.size());
  for (const auto& n : val) CHECK(train.count(n) == 0);
  CHECK(val.size() >= all.size() / 10);
  CHECK(val.size() <= all.size() / 3);
}

TEST_CASE("data: the split depends on each texture's own name only", "[unit]") {
  const auto ts = testing::synthetic_textures(6);
  const TextureSplit a = split_textures(ts, 30);
  CHECK(!a.train.empty());
  CHECK(!a.val.empty());
  // Dropping a training texture moves no other texture across the split.
  std::vector<Texture> fewer;
  for (const auto& t : ts)
    if (t.name != a.train[0].name) fewer.push_back(t);
  const TextureSplit b = split_textures(fewer, 30);
  std::set<std::string> va, vb;
  for (const auto& t : a.val) va.insert(t.name);
  for (const auto& t : b.val) vb.insert(t.name);
  CHECK(va == vb);
  // Degenerate percentages still leave both sides non-empty.
  CHECK(split_textures(ts, 0).val.size() == 1);
  CHECK(split_textures(ts, 100).train.size() == 1);
  CHECK(split_textures({ts[0]}, 20).val.size() + split_textures({ts[0]}, 20).train.size() == 1);
}

TEST_CASE("data: texture blending follows eq. 14-16 on a tiny case", "[unit]") {
  // Texture 2x1 grey: 0.2, 0.6 -> tiled over a 3x1 image from offset 1: 0.6, 0.2, 0.6,
  // mean 1.4/3; I = clip(S + T - mean).
  Image tex(2, 1, 1);
  tex.pixels = {0.2f, 0.6f};
  const Texture t = make_texture("t", tex);
  Image s(3, 1, 3);
  s.pixels = {0.5f, 0.5f, 0.5f, 0.1f, 0.2f, 0.3f, 0.9f, 0.95f, 1.0f};
  const Image out = blend_texture(s, t, 1, 0);
  const float mean = (0.6f + 0.2f + 0.6f) / 3.f;
  const float T[3] = {0.6f, 0.2f, 0.6f};
  for (int x = 0; x < 3; ++x)
    for (int c = 0; c < 3; ++c)
      CHECK(out.at(x, 0, c) == Approx(std::clamp(s.at(x, 0, c) + T[x] - mean, 0.f, 1.f)).margin(1e-6));
  CHECK(out.at(2, 0, 2) == 1.f);  // clipped

  // Colour textures use 0.299 R + 0.587 G + 0.114 B; strength scales the zero-mean layer.
  Image ctex(2, 1, 3);
  ctex.pixels = {1, 0, 0, 0, 0, 1};
  const Image o2 = blend_texture(Image(2, 1, 3, 0.5f), make_texture("c", ctex), 0, 0, 2.f);
  const float m = (0.299f + 0.114f) / 2;
  CHECK(o2.at(0, 0, 1) == Approx(0.5f + 2 * (0.299f - m)));
  CHECK(o2.at(1, 0, 0) == Approx(0.5f + 2 * (0.114f - m)));

  // The random offset comes from the generator: same seed, same result.
  Generator g1(3), g2(3);
  const auto ts = testing::synthetic_textures(1);
  CHECK(testing::same_image(blend_texture(Image(9, 9, 3, 0.5f), ts[0], g1),
                            blend_texture(Image(9, 9, 3, 0.5f), ts[0], g2)));
}

TEST_CASE("data: texture placement: identity, square symmetries, magnification", "[unit]") {
  // A 3x2 texture with distinct values: gray(u, v) = 0.1 * (1 + u + 3 v).
  Image tex(3, 2, 1);
  for (int v = 0; v < 2; ++v)
    for (int u = 0; u < 3; ++u) tex.pixels[size_t(v) * 3 + u] = 0.1f * float(1 + u + 3 * v);
  const Texture t = make_texture("t", tex);
  const Image flat(4, 4, 3, 0.5f);
  auto layer_at = [&](const Image& out, int x, int y) { return out.at(x, y, 0); };
  auto gray = [&](int u, int v) { return 0.1f * float(1 + ((u % 3 + 3) % 3) + 3 * ((v % 2 + 2) % 2)); };

  // Orientation 0, scale 1 is the plain formula, offsets included.
  TexturePlacement at;
  at.ox = 2;
  at.oy = 1;
  CHECK(testing::same_image(blend_texture(flat, t, at), blend_texture(flat, t, 2, 1)));

  // Every symmetry maps pixel (x, y) to the texel named in TexturePlacement's comment; the layer
  // is zero-mean, so compare differences between pixels (the mean cancels).
  for (int o = 0; o < 8; ++o) {
    at.orientation = o;
    const Image out = blend_texture(Image(4, 4, 3, 0.5f), t, at, 0.5f);  // strength 0.5: no clipping
    auto texel = [&](int x, int y) {
      int u = x, v = y;
      if (o & 1) std::swap(u, v);
      if (o & 2) u = -1 - u;
      if (o & 4) v = -1 - v;
      return gray(u + at.ox, v + at.oy);
    };
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        CHECK(layer_at(out, x, y) - layer_at(out, 0, 0) ==
              Approx(0.5f * (texel(x, y) - texel(0, 0))).margin(1e-6));
  }

  // Magnified x2 (orientation 0, offset 0): pixel centre x + 0.5 lands at texture u = (x + 0.5) / 2 - 0.5,
  // i.e. pixel 1 is 3/4 of texel 0 + 1/4 of texel 1 (same row mix for v).
  at = TexturePlacement{};
  at.scale = 2.f;
  const Image mag = blend_texture(Image(4, 4, 3, 0.5f), t, at, 0.5f);
  auto bilinear = [&](float u, float v) {
    const int iu = int(std::floor(u)), iv = int(std::floor(v));
    const float au = u - float(iu), av = v - float(iv);
    return (1 - av) * ((1 - au) * gray(iu, iv) + au * gray(iu + 1, iv)) +
           av * ((1 - au) * gray(iu, iv + 1) + au * gray(iu + 1, iv + 1));
  };
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      CHECK(layer_at(mag, x, y) - layer_at(mag, 1, 1) ==
            Approx(0.5f * (bilinear(x * 0.5f - 0.25f, y * 0.5f - 0.25f) - bilinear(0.25f, 0.25f))).margin(1e-6));

  at.scale = 0.f;
  CHECK_THROWS_WITH(blend_texture(flat, t, at), Catch::Contains("scale must be positive"));
  at.scale = 1.f;
  at.orientation = 8;
  CHECK_THROWS_WITH(blend_texture(flat, t, at), Catch::Contains("orientation must be 0..7"));
}
