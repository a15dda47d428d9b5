// The VOC-smooth builder end to end (data/voc_smooth.h) on tiny photos: resize and crops, skipped
// inputs with their reasons, the photo split (no photo in two splits), and resuming an
// interrupted build to the same bytes as an uninterrupted one.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "data/dataset.h"
#include "data/voc_smooth.h"
#include "data_test_util.h"
#include "engine/error.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
namespace fs = std::filesystem;

namespace {

// Flat blocks with mild noise: some classical operator flattens them and passes eq. 12.
Image block_photo(int W, int H, uint64_t seed, double noise = 0.02) {
  Generator g(seed);
  Image img(W, H, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c)
        img.at(x, y, c) = (x < W / 2 ? 0.3f : 0.7f) + (y < H / 3 ? 0.1f : 0.f) + 0.05f * float(c) +
                          float(g.uniform(-noise, noise));
  return img;
}

// Every file below `dir` (relative path -> bytes).
std::map<std::string, std::string> tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = testing::read_bytes(e.path().string());
  return out;
}

VocSmoothConfig small_config() {
  VocSmoothConfig cfg;
  cfg.textures_per_image = 2;
  cfg.threads = 2;
  cfg.test.window = 8;  // tiny photos: edge-free windows beside the blocks' edges
  cfg.test.stride = 4;
  return cfg;
}

}  // namespace

TEST_CASE("voc-smooth build: --max-side resizes first, --crops judge each crop on its own", "[unit]") {
  testing::TempDir dir;
  fs::create_directories(dir / "photos");
  const Image photo = block_photo(96, 60, 3);
  save_png(dir / "photos/wall.png", photo);
  save_png(dir / "photos/narrow.png", block_photo(30, 16, 4));  // no 20x20 crop fits
  VocSmoothConfig cfg = small_config();
  cfg.max_side = 48;  // 96x60 -> 48x30
  cfg.crops = 3;
  cfg.crop_size = 20;  // a 2 x 1 grid, then one random crop
  const auto textures = testing::synthetic_textures(3);
  const VocSmoothReport r = write_voc_smooth_dataset(dir / "photos", "", textures, dir / "out", cfg);
  const FolderDataset ds(dir / "out");
  const nlohmann::json& m = ds.manifest();
  CHECK(m.at("parameters").at("max_side") == 48);
  CHECK(m.at("parameters").at("crops") == 3);
  CHECK(m.at("parameters").at("crop_size") == 20);
  CHECK(r.photos == 2);
  REQUIRE(!r.rejected.empty());
  CHECK(r.rejected[0] == std::pair<std::string, std::string>{"narrow", "smaller than the crop: 30x16 after resizing, crop 20x20"});
  int chosen = 0;
  const Image resized = resize_area(load_image(dir / "photos/wall.png"), 48, 30);
  for (int k = 0; k < 3; ++k) {
    const std::string stem = "wall_c" + std::to_string(k);
    INFO(stem);
    REQUIRE(m.at("ground_truth").contains(stem));
    const nlohmann::json& g = m.at("ground_truth").at(stem);
    CHECK(g.at("photo") == "wall");
    CHECK(g.at("candidates").size() == 5);  // bf, l0, rgf, rtv, sdf
    const int x = g.at("box")[0], y = g.at("box")[1];
    CHECK(g.at("box")[2] == 20);
    CHECK((x + 20 <= 48 && y + 20 <= 30));
    if (g.at("chosen").is_null()) continue;
    ++chosen;
    // The ground truth is the chosen operator on this crop of the area-resized photo.
    Image crop(20, 20, 3);
    for (int yy = 0; yy < 20; ++yy)
      for (int xx = 0; xx < 20; ++xx)
        for (int c = 0; c < 3; ++c) crop.at(xx, yy, c) = resized.at(x + xx, y + yy, c);
    const GroundTruthChoice expect = choose_ground_truth(crop, cfg.operators, cfg.test);
    REQUIRE(expect.chosen >= 0);
    CHECK(expect.candidates[size_t(expect.chosen)].op == g.at("chosen"));
    for (const std::string& s : ds.stems())
      if (s.rfind(stem + "_", 0) == 0)
        CHECK(testing::same_image(load_image(dir / ("out/gt/" + s + ".png")),
                                  quantized_8bit(expect.candidates[size_t(expect.chosen)].image)));
  }
  CHECK(chosen >= 2);
  CHECK(r.ground_truths == chosen);
  CHECK(ds.size() == 2 * chosen);  // 2 textures per ground truth
  CHECK(ds.get(0).input.width == 20);
  CHECK(m.at("rejected").size() == size_t(1 + 3 - chosen));
}

TEST_CASE("voc-smooth build: bad photos are skipped with their reason, the rest is built", "[unit]") {
  testing::TempDir dir;
  const std::string photos = dir / "photos", labels = dir / "labels";
  fs::create_directories(photos);
  fs::create_directories(labels);
  save_png(photos + "/good.png", block_photo(40, 30, 1, 0.0));  // passes as it is
  save_png(labels + "/good.png", LabelMap(40, 30, 7));
  save_png(photos + "/sized.png", block_photo(40, 30, 2, 0.0));
  save_png(labels + "/sized.png", LabelMap(30, 40, 7));  // transposed
  save_png(photos + "/nolabels.png", block_photo(40, 30, 4, 0.0));
  std::ofstream(photos + "/broken.png") << "definitely not a PNG";
  save_png(photos + "/tiny.png", block_photo(8, 8, 5));
  save_png(labels + "/tiny.png", LabelMap(8, 8, 7));
  save_png(photos + "/noise.png", block_photo(40, 30, 9, 0.025));  // too rough to pass as it is
  save_png(labels + "/noise.png", LabelMap(40, 30, 7));
  Generator g(9);
  Image snow(40, 30, 3);  // edges everywhere: no window to judge
  for (float& v : snow.pixels) v = float(g.uniform());
  save_png(photos + "/snow.png", snow);
  save_png(labels + "/snow.png", LabelMap(40, 30, 7));
  save_png(labels + "/broken.png", LabelMap(40, 30, 7));
  std::ofstream(photos + "/dup.jpg") << "not a JPEG";  // first of the stem "dup": decoded, unreadable
  save_png(photos + "/dup.png", block_photo(40, 30, 1, 0.0));

  VocSmoothConfig cfg = small_config();
  cfg.operators = {{"identity", [](const Image& im) { return im; }}};  // only noise-free photos pass
  const VocSmoothReport r = write_voc_smooth_dataset(photos, labels, testing::synthetic_textures(2), dir / "out", cfg);
  CHECK(r.photos == 8);
  CHECK(r.ground_truths == 1);
  CHECK(r.samples == 2);
  REQUIRE(r.rejected.size() == 8);
  CHECK(r.rejected[0] == std::pair<std::string, std::string>{"dup", "duplicate stem: '" + photos + "/dup.png' has the stem of an earlier file"});
  CHECK_THAT(r.rejected[2].second, Catch::StartsWith("unreadable: ") && Catch::Contains("dup.jpg"));  // broken, dup, ...
  std::map<std::string, std::string> why(r.rejected.begin() + 1, r.rejected.end());
  REQUIRE(why.size() == 7);
  CHECK_THAT(why["broken"], Catch::StartsWith("unreadable: ") && Catch::Contains("broken.png"));
  CHECK_THAT(why["sized"], Catch::StartsWith("labels size mismatch") && Catch::Contains("is 30x40, the photo 40x30"));
  CHECK_THAT(why["nolabels"], Catch::StartsWith("labels: ") && Catch::Contains("nolabels.png"));
  CHECK_THAT(why["tiny"], Catch::StartsWith("too small: 8x8"));
  CHECK_THAT(why["noise"], Catch::StartsWith("no candidate passed the smoothness test (best: ") &&
                               Catch::Contains(" >= 0.05)"));
  CHECK(why["snow"] == "no candidate passed the smoothness test (none has an edge-free 8x8 window)");
  const FolderDataset ds(dir / "out");
  CHECK(ds.size() == 2);
  CHECK(ds.get(0).seg.at(5, 5) == 7);
  const nlohmann::json& rej = ds.manifest().at("rejected");
  REQUIRE(rej.size() == 8);
  for (size_t i = 1; i < rej.size(); ++i) CHECK(why.at(rej[i].at("photo")) == rej[i].at("reason"));
  // The rejected photo's candidates are still reported.
  CHECK(ds.manifest().at("ground_truth").at("noise").at("candidates").size() == 1);
  CHECK(ds.manifest().at("parameters").at("operators")[0].at("name") == "identity");
}

TEST_CASE("voc-smooth build: a candidate flat only where its edges leave room is rejected by coverage", "[unit]") {
  // 40x30: flat on the left 12 columns, hard stripes (Sobel edges everywhere) on the rest. With
  // 8x8 windows every 4 px (9 x 6 = 54), only the column x0 = 0 is edge-free (6 windows, 11 %):
  // the identity "smoother" is flat wherever it is judged, yet too little of it is judged.
  testing::TempDir dir;
  fs::create_directories(dir / "photos");
  Image striped(40, 30, 3);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c) striped.at(x, y, c) = x < 12 ? 0.4f : ((x / 2) % 2 ? 0.9f : 0.1f);
  save_png(dir / "photos/striped.png", striped);
  VocSmoothConfig cfg = small_config();
  cfg.operators = {{"identity", [](const Image& im) { return im; }}};
  const VocSmoothReport r = write_voc_smooth_dataset(dir / "photos", "", testing::synthetic_textures(2), dir / "out", cfg);
  CHECK(r.ground_truths == 0);
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].second ==
        "no candidate passed the smoothness test (best: identity 0, but only 6 of 54 windows edge-free, coverage "
        "0.30 needed)");
  // Without the coverage condition the same photo passes.
  cfg.test.min_coverage = 0;
  const VocSmoothReport loose = write_voc_smooth_dataset(dir / "photos", "", testing::synthetic_textures(2), dir / "out2", cfg);
  CHECK(loose.ground_truths == 1);
}

TEST_CASE("voc-smooth build: train, val and test take disjoint photos, held-out textures off train", "[unit]") {
  testing::TempDir dir;
  fs::create_directories(dir / "photos");
  std::map<PhotoSplit, std::vector<std::string>> want;  // two photos of each split
  for (int i = 0; want[PhotoSplit::Train].size() < 2 || want[PhotoSplit::Val].size() < 2 ||
                  want[PhotoSplit::Test].size() < 2;
       ++i) {
    const std::string stem = "img" + std::to_string(i);
    auto& v = want[photo_split(stem)];
    if (v.size() < 2) {
      v.push_back(stem);
      save_png(dir / ("photos/" + stem + ".png"), block_photo(24, 20, uint64_t(i)));
    }
  }
  const TextureSplit textures = split_textures(testing::synthetic_textures(10));
  REQUIRE(!textures.val.empty());
  std::set<std::string> seen;
  nlohmann::json membership;
  for (PhotoSplit s : {PhotoSplit::Train, PhotoSplit::Val, PhotoSplit::Test}) {
    VocSmoothConfig cfg = small_config();
    cfg.split = s;
    const std::string out = dir / photo_split_name(s);
    const auto& tex = s == PhotoSplit::Train ? textures.train : textures.val;
    const VocSmoothReport r = write_voc_smooth_dataset(dir / "photos", "", tex, out, cfg);
    CHECK(r.photos == 2);
    const FolderDataset ds(out);
    const nlohmann::json& m = ds.manifest();
    CHECK(m.at("split") == photo_split_name(s));
    std::vector<std::string> photos = m.at("photos");
    std::sort(want[s].begin(), want[s].end());
    CHECK(photos == want[s]);
    for (const std::string& p : photos) CHECK(seen.insert(p).second);  // in no other split
    for (const std::string& stem : ds.stems()) {
      CHECK(std::find(photos.begin(), photos.end(), stem.substr(0, stem.rfind('_'))) != photos.end());
      const std::string t = m.at("sample_textures").at(stem);
      const bool held_out = std::any_of(textures.val.begin(), textures.val.end(), [&](const Texture& v) { return v.name == t; });
      CHECK(held_out == (s != PhotoSplit::Train));
    }
    if (membership.is_null()) membership = m.at("photo_split");
    CHECK(m.at("photo_split") == membership);  // every build lists the same rule and members
  }
  CHECK(seen.size() == 6);
  CHECK(membership.at("test").size() == 2);
}

TEST_CASE("voc-smooth build: an interrupted build resumes to the bytes of an uninterrupted one", "[unit][threads]") {
  testing::TempDir dir;
  fs::create_directories(dir / "photos");
  for (int i = 0; i < 5; ++i) save_png(dir / ("photos/p" + std::to_string(i) + ".png"), block_photo(30, 24, uint64_t(i)));
  const auto textures = testing::synthetic_textures(4);
  VocSmoothConfig cfg = small_config();
  cfg.crops = 2;
  cfg.crop_size = 16;
  const std::string once = dir / "once", twice = dir / "twice";
  const VocSmoothReport full = write_voc_smooth_dataset(dir / "photos", "", textures, once, cfg);
  REQUIRE(full.samples > 0);
  write_voc_smooth_dataset(dir / "photos", "", textures, twice, cfg);

  // Simulate kills at several points: p0 mid-samples (a sample file and the done record gone),
  // p1 mid-ground-truth (its record gone), p2 with a torn record, p4 with a record of another
  // shape; the manifest not yet written.
  const nlohmann::json m = FolderDataset(twice).manifest();
  std::string p0_sample;
  for (const auto& [stem, tex] : m.at("sample_textures").items())
    if (stem.rfind("p0_", 0) == 0) p0_sample = stem;
  REQUIRE(!p0_sample.empty());
  fs::remove(twice + "/input/" + p0_sample + ".png");
  fs::remove(twice + "/.work/p0.done.json");
  fs::remove(twice + "/.work/p1.gt.json");
  std::ofstream(twice + "/.work/p2.done.json") << "{\"photo_hash\": ";
  std::ofstream(twice + "/.work/p4.gt.json") << "{\"photo_hash\": 5, \"crops\": 1}";  // parses, wrong shape
  fs::remove(twice + "/manifest.json");
  std::map<std::string, int64_t> totals;
  const VocSmoothReport again = write_voc_smooth_dataset(
      dir / "photos", "", textures, twice, cfg,
      [&](const std::string& stage, int64_t, int64_t total) { totals[stage] = total; });
  CHECK(again.photos_resumed == 1);          // p3
  CHECK(again.ground_truths_resumed == 3);  // p0, p2 and p3 kept theirs
  CHECK(totals.at("ground truths") == 2);   // p1 and p4
  CHECK(again.samples == full.samples);
  CHECK(tree(twice) == tree(once));

  // A finished build rerun with the same parameters changes nothing.
  CHECK(write_voc_smooth_dataset(dir / "photos", "", textures, twice, cfg).photos_resumed == 5);
  CHECK(tree(twice) == tree(once));
  // Different parameters are refused naming the field, finished or not.
  VocSmoothConfig other = cfg;
  other.max_side = 64;
  CHECK_THROWS_WITH(write_voc_smooth_dataset(dir / "photos", "", textures, twice, other),
                    Catch::Contains("built with different parameters (max_side was 0, now 64)"));
  fs::remove(twice + "/manifest.json");
  other = cfg;
  other.test.threshold = 0.04;
  CHECK_THROWS_WITH(write_voc_smooth_dataset(dir / "photos", "", textures, twice, other),
                    Catch::Contains("unfinished build with different parameters (smoothness.threshold was 0.05"));
  // A changed photo is redone (its records name the old content).
  save_png(dir / "photos/p3.png", block_photo(30, 24, 77));
  CHECK(write_voc_smooth_dataset(dir / "photos", "", textures, twice, cfg).photos_resumed == 4);
  // A folder holding some other data set is refused.
  fs::create_directories(dir / "foreign/input");
  std::ofstream(dir / "foreign/input/x.png") << "x";
  CHECK_THROWS_WITH(write_voc_smooth_dataset(dir / "photos", "", textures, dir / "foreign", cfg),
                    Catch::Contains("holds a data set already"));
}

TEST_CASE("voc-smooth build: a smoother that throws rejects its crop with the reason, the build goes on", "[unit][threads]") {
  testing::TempDir dir;
  fs::create_directories(dir / "photos");
  save_png(dir / "photos/wall.png", block_photo(48, 30, 3));
  save_png(dir / "photos/yard.png", block_photo(40, 30, 5));
  VocSmoothConfig cfg = small_config();
  // An operator that fails on the yard photo only (the one 40 pixels wide).
  cfg.operators.push_back({"flaky",
                           [](const Image& im) {
                             if (im.width == 40) CSGIS_FAIL("conjugate gradient did not converge");
                             return im;
                           },
                           nlohmann::json::object()});
  const VocSmoothReport r = write_voc_smooth_dataset(dir / "photos", "", testing::synthetic_textures(2), dir / "out", cfg);
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].first == "yard");
  CHECK(r.rejected[0].second.find("a smoother failed: conjugate gradient did not converge") != std::string::npos);
  CHECK(r.ground_truths == 1);
}
