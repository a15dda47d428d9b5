// The VOC-smooth builder (data/voc_smooth.h): palette, Sobel edges, the smoothness value of eq. 12
// against a hand computation, ground-truth selection, and a small end-to-end build.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "data/dataset.h"
#include "data/voc_smooth.h"
#include "data_test_util.h"
#include "engine/error.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
namespace fs = std::filesystem;

namespace {

Image grey_rgb(int W, int H, const std::function<float(int, int)>& f) {
  Image img(W, H, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) img.at(x, y, c) = f(x, y);
  return img;
}

// Two flat rectangles on a flat background, with mild noise: what smoothing should recover.
Image blocky_photo(int W, int H, uint64_t seed, float noise, Image* clean = nullptr) {
  Generator g(seed);
  Image img(W, H, 3), base(W, H, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        float v = 0.3f + 0.1f * float(c);
        if (x > W / 4 && x < W / 2 && y > H / 4) v = 0.8f - 0.2f * float(c);
        if (x > 2 * W / 3 && y < H / 2) v = 0.15f;
        base.at(x, y, c) = v;
        img.at(x, y, c) = v + float(g.uniform(-noise, noise));
      }
  if (clean) *clean = base;
  return img;
}

}  // namespace

TEST_CASE("voc-smooth: palette colours are VOC's", "[unit]") {
  CHECK(voc_palette_colour(0) == std::array<uint8_t, 3>{0, 0, 0});
  CHECK(voc_palette_colour(1) == std::array<uint8_t, 3>{128, 0, 0});
  CHECK(voc_palette_colour(15) == std::array<uint8_t, 3>{192, 128, 128});
  CHECK(voc_palette_colour(20) == std::array<uint8_t, 3>{0, 64, 128});
  CHECK(voc_palette_colour(255) == std::array<uint8_t, 3>{224, 224, 192});
}

TEST_CASE("voc-smooth: Sobel edges and the smoothness value of eq. 12", "[unit]") {
  // A grey step of 0.3 between columns 9 and 10: the edge is the two columns beside it.
  const Image step = grey_rgb(20, 8, [](int x, int) { return x < 10 ? 0.2f : 0.5f; });
  const LabelMap e = sobel_edges(step, 0.05f);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 20; ++x) CHECK(e.at(x, y) == (x == 9 || x == 10));
  CHECK(sobel_edges(step, 0.31f).data == std::vector<uint8_t>(160, 0));  // below the threshold

  // A gentle ramp (no edges): 16x16 windows every 8 px over 32x16 give three windows. Each has
  // std = 0.001 * sqrt((16^2 - 1) / 12); the Laplacian is 0 inside and +-0.001 on the two border
  // columns (replicated borders), which the first and the last window contain.
  const Image ramp = grey_rgb(32, 16, [](int x, int) { return 0.4f + 0.001f * float(x); });
  SmoothnessTest t;
  const SmoothnessScore s = smoothness(ramp, t);
  const double sd = 0.001 * std::sqrt((256.0 - 1.0) / 12.0), border = 16 * 0.001 / 256.0;
  CHECK(s.windows == 3);
  CHECK(s.value == Approx(sd + border).epsilon(2e-3));  // the worst window; float image, double sums
  CHECK(s.mean == Approx(sd + 2 * border / 3).epsilon(2e-3));
  CHECK(s.pass);
  // One rough window fails the candidate, however smooth the rest: 48x16, flat but for a faint
  // checkerboard (+-0.01: no Sobel edge, |Laplacian| 0.08) in the last 16 columns.
  const Image partly = grey_rgb(48, 16, [](int x, int y) { return x < 32 ? 0.4f : ((x + y) % 2 ? 0.41f : 0.39f); });
  const SmoothnessScore ps = smoothness(partly, t);
  CHECK(ps.mean < t.threshold);
  CHECK(!ps.pass);
  // Noise fails; an image that is all edges has no window to judge and fails too.
  Generator g(5);
  const Image noisy = grey_rgb(32, 32, [&](int, int) { return 0.5f + float(g.uniform(-0.04, 0.04)); });
  CHECK(!smoothness(noisy, t).pass);
  const Image stripes = grey_rgb(32, 32, [](int x, int) { return (x / 2) % 2 ? 0.9f : 0.1f; });
  const SmoothnessScore none = smoothness(stripes, t);
  CHECK(none.windows == 0);
  CHECK(std::isinf(none.value));
  CHECK(!none.pass);
}

TEST_CASE("voc-smooth: a candidate must leave enough of the image edge-free", "[unit]") {
  // 64x16: flat in the first 32 columns, hard stripes (all edges) in the rest. Windows of 16 every
  // 8 px: 7 in all, of which only x0 = 0 and x0 = 8 are edge-free (the first edge column, 31,
  // already lies in the window at x0 = 16). Coverage 2/7 = 0.29.
  const Image half = grey_rgb(64, 16, [](int x, int) { return x < 32 ? 0.4f : ((x / 2) % 2 ? 0.9f : 0.1f); });
  SmoothnessTest t;
  t.min_coverage = 0;
  const SmoothnessScore loose = smoothness(half, t);
  CHECK(loose.total_windows == 7);
  CHECK(loose.windows == 2);
  CHECK(loose.value < 1e-6);  // what it judges is flat
  CHECK(loose.pass);
  t.min_coverage = 0.28;
  CHECK(smoothness(half, t).pass);
  t.min_coverage = 0.3;  // the default
  CHECK(!smoothness(half, t).pass);
  t.min_coverage = 1.5;
  CHECK_THROWS_WITH(smoothness(half, t), Catch::Contains("min_coverage must be in [0, 1]"));
}

TEST_CASE("voc-smooth: the ground truth is the most similar candidate that passes", "[unit]") {
  Image clean;
  const Image photo = blocky_photo(48, 40, 3, 0.06f, &clean);  // noise strong enough to fail eq. 12
  const std::vector<CandidateOperator> ops = {
      {"identity", [](const Image& im) { return im; }},  // noisy: fails the smoothness test
      {"flatten", [](const Image& im) {                   // smooth but structure-less: low SSIM
         Image out = im;
         for (float& v : out.pixels) v = 0.5f;
         return out;
       }},
      {"truth", [&](const Image&) { return clean; }},
  };
  SmoothnessTest test;
  test.min_coverage = 0;  // 48x40 blocks: block borders touch most windows (coverage has its own test)
  const GroundTruthChoice c = choose_ground_truth(photo, ops, test);
  REQUIRE(c.candidates.size() == 3);
  CHECK(!c.candidates[0].smooth.pass);
  CHECK(c.candidates[0].ssim > c.candidates[2].ssim);  // the noisy copy is closest, yet not chosen
  CHECK(c.candidates[1].smooth.pass);
  CHECK(c.candidates[2].smooth.pass);
  CHECK(c.candidates[2].ssim > c.candidates[1].ssim);
  CHECK(c.chosen == 2);
  CHECK(choose_ground_truth(photo, {ops[0]}, test).chosen == -1);
  CHECK_THROWS_WITH(choose_ground_truth(Image(8, 8, 3), ops), Catch::Contains("at least 11x11"));
}

TEST_CASE("voc-smooth: a small build writes the layout, labels and the manifest", "[unit][threads]") {
  testing::TempDir dir;
  const std::string images = dir / "images", labels = dir / "labels", out = dir / "set";
  fs::create_directories(images);
  fs::create_directories(labels);
  save_png(images + "/a.png", blocky_photo(48, 40, 1, 0.03f));
  save_png(images + "/b.png", blocky_photo(48, 40, 2, 0.03f));
  // Labels as VOC palette colours (stb reads palettes as RGB): class 15 on the left, void elsewhere.
  for (const char* stem : {"a", "b"}) {
    Image lab(48, 40, 3);
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 48; ++x) {
        const auto c = voc_palette_colour(x < 24 ? 15 : 255);
        for (int ch = 0; ch < 3; ++ch) lab.at(x, y, ch) = float(c[size_t(ch)]) / 255.f;
      }
    save_png(labels + "/" + stem + ".png", lab);
  }
  const auto textures = testing::synthetic_textures(4);
  VocSmoothConfig cfg;
  cfg.textures_per_image = 2;
  cfg.threads = 2;
  cfg.test.min_coverage = 0;  // 48x40 blocks: block borders touch most windows
  std::vector<std::string> stages;  // the callback runs on worker threads (one call at a time)
  std::vector<int64_t> gt_totals;
  const VocSmoothReport r = write_voc_smooth_dataset(images, labels, textures, out, cfg,
                                                     [&](const std::string& stage, int64_t, int64_t total) {
                                                       if (stages.empty() || stages.back() != stage) stages.push_back(stage);
                                                       if (stage == "ground truths") gt_totals.push_back(total);
                                                     });
  CHECK(stages == std::vector<std::string>{"checking inputs", "ground truths", "samples"});
  CHECK(gt_totals == std::vector<int64_t>{2, 2});
  CHECK(r.photos == 2);
  REQUIRE(r.ground_truths == 2);  // noisy flat blocks: some operator flattens them
  CHECK(r.samples == 4);
  CHECK(r.rejected.empty());
  const FolderDataset ds(out);
  REQUIRE(ds.size() == 4);
  const Sample s = ds.get(0);
  CHECK(s.seg.at(3, 5) == 15);
  CHECK(s.seg.at(40, 5) == 255);
  CHECK(s.input.width == 48);
  // Two textures of one ground truth: different inputs, one over-smoothed negative (of the clean image).
  const Sample s1 = ds.get(1);
  REQUIRE(testing::same_image(s.gt, s1.gt));
  CHECK_FALSE(testing::same_image(s.input, s1.input));
  CHECK(testing::same_image(s.over, s1.over));
  const nlohmann::json& m = ds.manifest();
  CHECK(m.at("generator") == "csgis-voc-smooth");
  CHECK(m.at("ground_truth").at("a").at("candidates").size() == 5);  // bf, l0, rgf, rtv, sdf
  CHECK(m.at("ground_truth").at("a").at("chosen").is_string());
  CHECK(m.at("ground_truth").at("a").at("box") == nlohmann::json{0, 0, 48, 40});
  CHECK(m.at("sample_textures").size() == 4);
  const nlohmann::json& ops = m.at("parameters").at("operators");
  REQUIRE(ops.size() == 5);
  CHECK(ops[3].at("name") == "rtv");
  CHECK(ops[3].at("params").at("lambda") == Approx(0.015));
  CHECK(ops[4].at("name") == "sdf");
  CHECK(ops[4].at("params").at("nu") == Approx(400));
  CHECK(m.at("rejected").empty());

  // One thread writes the same files.
  VocSmoothConfig serial = cfg;
  serial.threads = 1;
  write_voc_smooth_dataset(images, labels, textures, dir / "serial", serial);
  for (const std::string& m : dataset_map_dirs())
    for (const auto& e : fs::directory_iterator(fs::path(out) / m)) {
      const fs::path twin = fs::path(dir / "serial") / m / e.path().filename();
      REQUIRE(fs::exists(twin));
      CHECK(testing::read_bytes(e.path().string()) == testing::read_bytes(twin.string()));
    }
  CHECK(testing::read_bytes(out + "/manifest.json") == testing::read_bytes(dir / "serial/manifest.json"));

  // Labels of the wrong size skip that photo with the reason; the other photo is still built.
  save_png(labels + "/b.png", Image(10, 10, 3, 0.f));
  const VocSmoothReport r2 = write_voc_smooth_dataset(images, labels, textures, dir / "set2", cfg);
  REQUIRE(r2.rejected.size() == 1);
  CHECK(r2.rejected[0].first == "b");
  CHECK_THAT(r2.rejected[0].second, Catch::Contains("labels size mismatch") && Catch::Contains("b.png") &&
                                        Catch::Contains("is 10x10, the photo 48x40"));
  CHECK(r2.samples == 2);
  CHECK(FolderDataset(dir / "set2").manifest().at("rejected")[0].at("photo") == "b");
  // A colour that is no VOC class is refused with the pixel named.
  Image odd(48, 40, 3, 0.f);
  odd.at(7, 3, 0) = 0.2f;
  save_png(labels + "/b.png", odd);
  CHECK_THROWS_WITH(load_voc_labels(labels + "/b.png"), Catch::Contains("pixel (7, 3)"));
}
