// The procedural data set: determinism, edges on layer boundaries and thin, labels, over-smoothing.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "data/procedural.h"
#include "data_test_util.h"

using namespace csgis;
using namespace csgis::data;

namespace {

std::vector<uint8_t> all_bytes(const Sample& s) {
  std::vector<uint8_t> out;
  for (const auto& png : {encode_png(s.input), encode_png(s.gt), encode_png(s.over), encode_png(s.edge),
                          encode_png(s.seg)})
    out.insert(out.end(), png.begin(), png.end());
  return out;
}

}  // namespace

TEST_CASE("data: procedural samples are a function of (seed, split, index)", "[unit]") {
  const auto tex = testing::synthetic_textures();
  ProceduralConfig cfg;
  cfg.size = 64;
  cfg.seed = 11;
  const Sample a = generate_sample(cfg, tex, 5), b = generate_sample(cfg, tex, 5);
  CHECK(a.name == "000005");
  CHECK(all_bytes(a) == all_bytes(b));
  CHECK(a.texture == b.texture);
  CHECK(all_bytes(generate_sample(cfg, tex, 6)) != all_bytes(a));
  ProceduralConfig other = cfg;
  other.seed = 12;
  CHECK(all_bytes(generate_sample(other, tex, 5)) != all_bytes(a));
  other = cfg;
  other.split = Split::Val;
  CHECK(!testing::same_image(generate_sample(other, tex, 5).gt, a.gt));
  for (const Sample* s : {&a}) {
    CHECK(s->input.width == 64);
    CHECK(s->over.height == 64);
    for (float v : s->input.pixels) REQUIRE((v >= 0.f && v <= 1.f));
    for (float v : s->gt.pixels) REQUIRE((v >= 0.f && v <= 1.f));
  }
}

// The classes are the layers' kinds: over many scenes each kind appears, and in the same
// proportions as make_layer draws them (half-planes 12 %, (ring) ellipses 26 %, polygons 30 %,
// curves 18 %, text 14 %; one ellipse in five a ring), with background only on layer 0.
TEST_CASE("data: procedural classes follow the layer kinds", "[unit]") {
  const auto tex = testing::synthetic_textures();
  ProceduralConfig cfg;
  cfg.size = 16;
  cfg.seed = 9;
  std::vector<int> count(kProceduralClasses, 0);
  int layers = 0;
  for (uint64_t idx = 0; idx < 300; ++idx) {
    std::vector<uint8_t> labels;
    generate_sample(cfg, tex, idx, nullptr, &labels);
    for (size_t i = 1; i < labels.size(); ++i) {
      REQUIRE(labels[i] < kProceduralClasses);
      ++count[labels[i]];
      ++layers;
    }
  }
  CHECK(count[kClassBackground] == 0);
  auto share = [&](int c) { return double(count[c]) / double(layers); };
  CHECK(share(kClassHalfPlane) == Approx(0.12).margin(0.03));
  CHECK(share(kClassEllipse) + share(kClassRing) == Approx(0.26).margin(0.03));
  CHECK(share(kClassRing) == Approx(0.26 * 0.2).margin(0.02));
  CHECK(share(kClassPolygon) == Approx(0.30).margin(0.03));
  CHECK(share(kClassCurve) == Approx(0.18).margin(0.03));
  CHECK(share(kClassText) == Approx(0.14).margin(0.03));
}

TEST_CASE("data: edges are thin and lie on layer boundaries; labels follow layers", "[unit]") {
  const auto tex = testing::synthetic_textures();
  ProceduralConfig cfg;
  cfg.size = 96;
  cfg.seed = 3;
  int64_t edge_pixels = 0, full_blocks = 0, boundary_pairs = 0, covered_pairs = 0;
  for (uint64_t idx = 0; idx < 6; ++idx) {
    std::vector<int32_t> layer;
    std::vector<uint8_t> labels;
    const Sample s = generate_sample(cfg, tex, idx, &layer, &labels);
    const int S = cfg.size;
    auto L = [&](int x, int y) { return layer[size_t(y) * S + x]; };
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        const int r = L(x, y);
        bool lower_neighbour = false, boundary = false;
        for (auto [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
          const int qx = x + dx, qy = y + dy;
          if (qx < 0 || qy < 0 || qx >= S || qy >= S) continue;
          boundary |= L(qx, qy) != r;
          lower_neighbour |= L(qx, qy) < r;
        }
        if (s.edge.at(x, y)) {
          ++edge_pixels;
          REQUIRE(lower_neighbour);  // on the occluding layer's side of a boundary
        }
        // Labels: the layer's class, or ignore on a mixed boundary pixel.
        const uint8_t seg = s.seg.at(x, y);
        if (seg == 255) REQUIRE(boundary);
        else REQUIRE(seg == labels[size_t(r)]);
        if (!boundary) REQUIRE(seg != 255);
        // Every clearly contrasted boundary pair is covered by an edge on one side.
        if (x + 1 < S && L(x + 1, y) != r) {
          ++boundary_pairs;
          covered_pairs += s.edge.at(x, y) || s.edge.at(x + 1, y);
        }
        if (x + 1 < S && y + 1 < S)
          full_blocks += s.edge.at(x, y) && s.edge.at(x + 1, y) && s.edge.at(x, y + 1) &&
                         s.edge.at(x + 1, y + 1);
      }
    CHECK(labels[0] == 0);  // background
    for (size_t i = 1; i < labels.size(); ++i) {  // every other layer: the class of its kind
      CHECK(labels[i] >= 1);
      CHECK(labels[i] < kProceduralClasses);
    }
  }
  CHECK(edge_pixels > 200);
  // Thin: 2x2 all-edge blocks only where strokes are about two pixels wide or layers meet.
  CHECK(double(full_blocks) < 0.1 * double(edge_pixels));
  CHECK(double(covered_pairs) > 0.7 * double(boundary_pairs));
}

TEST_CASE("data: ground truth is the flat rendering away from boundaries", "[unit]") {
  // With one constant-colour layer family the gt is exactly constant inside each layer: check that
  // interior pixels of the same layer share their colour when no gradient applies, via the
  // non-antialiased rendering being piecewise identical to the antialiased one off boundaries.
  const auto tex = testing::synthetic_textures();
  ProceduralConfig cfg;
  cfg.size = 64;
  cfg.seed = 9;
  ProceduralConfig hard = cfg;
  hard.antialias = false;
  std::vector<int32_t> layer;
  const Sample a = generate_sample(cfg, tex, 2, &layer), b = generate_sample(hard, tex, 2);
  int differing = 0, boundary = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      bool bd = false;
      for (auto [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        const int qx = x + dx, qy = y + dy;
        if (qx >= 0 && qy >= 0 && qx < 64 && qy < 64) bd |= layer[qy * 64 + qx] != layer[y * 64 + x];
      }
      boundary += bd;
      for (int c = 0; c < 3; ++c)
        if (a.gt.at(x, y, c) != b.gt.at(x, y, c)) {
          REQUIRE(bd);  // antialiasing touches boundary pixels only
          ++differing;
          break;
        }
    }
  CHECK(differing > 0);
  CHECK(differing <= boundary);
}

TEST_CASE("data: texture choice stays within the given split's textures", "[unit]") {
  const auto tex = testing::synthetic_textures(6);
  const std::vector<Texture> two{tex[1], tex[4]};
  ProceduralConfig cfg;
  cfg.size = 32;
  std::set<std::string> used;
  for (uint64_t i = 0; i < 20; ++i) used.insert(generate_sample(cfg, two, i).texture);
  CHECK(used == std::set<std::string>{tex[1].name, tex[4].name});
  CHECK_THROWS_WITH(generate_sample(cfg, {}, 0), Catch::Contains("no textures"));
}

TEST_CASE("data: bilateral over-smoothing with the paper's sigmas", "[unit]") {
  const float sc = 200.f / 255.f, ss = 1000.f;
  Image flat(20, 10, 3, 0.3f);
  for (bool sep : {false, true})
    for (float v : bilateral_filter(flat, 7, sc, ss, sep).pixels) CHECK(v == Approx(0.3f).margin(1e-6));
  // A moderate step (L1 distance 0.9) is blurred across; a black/white one (distance 3) survives;
  // a small sigma_color keeps even the moderate step.
  auto step = [](float lo, float hi) {
    Image s(32, 8, 3, lo);
    for (int y = 0; y < 8; ++y)
      for (int x = 16; x < 32; ++x)
        for (int c = 0; c < 3; ++c) s.at(x, y, c) = hi;
    return s;
  };
  const Image moderate = bilateral_filter(step(0.3f, 0.6f), 7, sc, ss);
  CHECK(moderate.at(15, 4, 0) == Approx(0.393f).margin(0.002f));  // (8*0.3 + 7*0.517*0.6) / (8 + 7*0.517)
  CHECK(moderate.at(16, 4, 0) < 0.52f);
  CHECK(moderate.at(0, 4, 0) == Approx(0.3f).margin(1e-6));  // beyond the window, unchanged
  CHECK(bilateral_filter(step(0.f, 1.f), 7, sc, ss).at(15, 4, 0) < 0.01f);
  CHECK(bilateral_filter(step(0.3f, 0.6f), 7, 0.05f, ss).at(15, 4, 0) < 0.31f);
  // Hand check of one pixel: 1-D window of 3 on [0.2, 0.5, 0.9] (grey), centre pixel.
  Image row(3, 1, 1);
  row.pixels = {0.2f, 0.5f, 0.9f};
  const float w0 = std::exp(-0.09f / (2 * sc * sc)) * std::exp(-1.f / (2 * ss * ss));
  const float w2 = std::exp(-0.16f / (2 * sc * sc)) * std::exp(-1.f / (2 * ss * ss));
  CHECK(bilateral_filter(row, 1, sc, ss).pixels[1] ==
        Approx((w0 * 0.2f + 0.5f + w2 * 0.9f) / (w0 + 1 + w2)).margin(2e-3));
  // The separable form stays close to the full filter on a textured sample.
  ProceduralConfig cfg;
  cfg.size = 64;
  const Sample s = generate_sample(cfg, testing::synthetic_textures(), 1);
  const Image full = bilateral_filter(s.input, 7, sc, ss, false);
  const Image sep = bilateral_filter(s.input, 7, sc, ss, true);
  double diff = 0, change = 0;
  for (size_t i = 0; i < full.pixels.size(); ++i) {
    diff += std::fabs(full.pixels[i] - sep.pixels[i]);
    change += std::fabs(full.pixels[i] - s.input.pixels[i]);
  }
  CHECK(diff < 0.2 * change);
  // The negative is the clean ground truth smoothed too far (sec. 4.4), not the textured input.
  CHECK(testing::same_image(s.over, bilateral_filter(s.gt, cfg.over_radius, cfg.over_sigma_color, cfg.over_sigma_space,
                                                     cfg.over_separable)));
}

TEST_CASE("data: training texture variety changes the input only, and only when switched on", "[unit]") {
  const auto tex = testing::synthetic_textures();
  ProceduralConfig plain;
  plain.size = 48;
  plain.seed = 4;
  ProceduralConfig varied = plain;
  varied.texture_strength_max = 1.5f;
  varied.texture_scale_min = 0.5f;
  varied.texture_scale_max = 2.f;
  varied.texture_orient = true;
  int input_differs = 0;
  for (uint64_t i = 0; i < 6; ++i) {
    const Sample a = generate_sample(plain, tex, i), b = generate_sample(varied, tex, i);
    // Structure, labels and texture choice come from the same draws as before.
    CHECK(testing::same_image(a.gt, b.gt));
    CHECK(a.texture == b.texture);
    CHECK(a.edge.data == b.edge.data);
    input_differs += !testing::same_image(a.input, b.input);
    CHECK(all_bytes(b) == all_bytes(generate_sample(varied, tex, i)));  // still deterministic
  }
  CHECK(input_differs >= 5);
  // A degenerate range [1, 1] draws nothing: the plain samples exactly.
  ProceduralConfig same = plain;
  same.texture_strength_max = 1.f;
  CHECK(all_bytes(generate_sample(same, tex, 3)) == all_bytes(generate_sample(plain, tex, 3)));
  ProceduralConfig bad = plain;
  bad.texture_scale_min = 2.f;
  bad.texture_scale_max = 1.f;
  CHECK_THROWS_WITH(generate_sample(bad, tex, 0), Catch::Contains("texture scale range"));
}
