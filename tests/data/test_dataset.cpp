// Folder data sets, augmentation alignment and the batch loader's determinism and restart.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "data_test_util.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
using testing::same_batch;
using testing::values;
using csgis::data::testing::TempDir;
using testing::same_image;
using testing::same_labels;
using Catch::Contains;

namespace {

TextureSplit small_split() { return split_textures(testing::synthetic_textures(6), 30); }

Image quantized(const Image& img) {
  Image q = img;
  for (float& v : q.pixels) v = quantize(v) / 255.f;
  return q;
}

bool same_sample(const Sample& a, const Sample& b) {
  return same_image(a.input, b.input) && same_image(a.gt, b.gt) && same_image(a.over, b.over) &&
         same_labels(a.edge, b.edge) && same_labels(a.seg, b.seg);
}

// A sample whose maps are all derived from one picture, so alignment can be checked after any
// transform: seg = quantised red, edge = a mask of the green channel.
Sample coupled_sample(int W, int H) {
  Sample s;
  s.name = "coupled";
  s.input = Image(W, H, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      s.input.at(x, y, 0) = float((x * 7 + y * 3) % 21) / 20.f;
      s.input.at(x, y, 1) = float((x * y) % 2);
      s.input.at(x, y, 2) = float(x + y) / float(W + H);
    }
  s.gt = s.over = s.input;
  s.seg = LabelMap(W, H);
  s.edge = LabelMap(W, H);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      s.seg.at(x, y) = uint8_t(std::lround(s.input.at(x, y, 0) * 20));
      s.edge.at(x, y) = s.input.at(x, y, 1) > 0.5f;
    }
  return s;
}

void check_coupled(const Sample& s) {
  for (int y = 0; y < s.height(); ++y)
    for (int x = 0; x < s.width(); ++x) {
      REQUIRE(s.seg.at(x, y) == uint8_t(std::lround(s.input.at(x, y, 0) * 20)));
      REQUIRE(s.edge.at(x, y) == (s.input.at(x, y, 1) > 0.5f));
    }
}


}  // namespace

TEST_CASE("data: folder data set round trip and manifest", "[unit]") {
  TempDir dir;
  ProceduralConfig cfg;
  cfg.size = 40;
  cfg.seed = 5;
  const TextureSplit sp = small_split();
  write_procedural_dataset(dir.path, 5, cfg, sp, 3);
  FolderDataset ds(dir.path);
  REQUIRE(ds.size() == 5);
  CHECK(ds.stems()[4] == "000004");
  CHECK(ds.manifest()["count"] == 5);
  CHECK(ds.manifest()["generator_version"] == kProceduralVersion);
  CHECK(ds.manifest()["textures"]["val"].size() == sp.val.size());
  for (int64_t i = 0; i < 5; ++i) {
    const Sample want = generate_sample(cfg, sp.train, uint64_t(i));
    const Sample got = ds.get(i);
    CHECK(got.name == dir / ("input/" + want.name + ".png"));
    CHECK(got.texture == want.texture);
    CHECK(same_image(got.input, quantized(want.input)));
    CHECK(same_image(got.gt, quantized(want.gt)));
    CHECK(same_image(got.over, quantized(want.over)));
    CHECK(same_labels(got.edge, want.edge));
    CHECK(same_labels(got.seg, want.seg));
  }
  CHECK_THROWS_WITH(write_procedural_dataset(dir.path, 5, cfg, sp, 1), Contains("already holds"));
}

TEST_CASE("data: folder layout errors name the file", "[unit]") {
  TempDir dir;
  ProceduralConfig cfg;
  cfg.size = 24;
  write_procedural_dataset(dir.path, 3, cfg, small_split(), 1);
  std::filesystem::remove(dir / "seg/000001.png");
  CHECK_THROWS_WITH(FolderDataset(dir.path), Contains(dir / "seg/000001.png") && Contains("missing"));
  save_png(dir / "seg/000001.png", LabelMap(24, 20));  // wrong height
  FolderDataset ds(dir.path);
  CHECK_THROWS_WITH(ds.get(1), Contains("seg/000001.png") && Contains("24x20"));
  std::filesystem::remove_all(dir / "over");
  CHECK_THROWS_WITH(FolderDataset(dir.path), Contains("over/000000.png"));
  CHECK_THROWS_WITH(FolderDataset(dir / "nothing"), Contains("not a directory"));
  std::ofstream(dir / "manifest.json") << "{\"count\": 7}";
  std::filesystem::create_directories(dir / "over");
  for (const auto& s : {"000000", "000001", "000002"}) 
    save_png(dir / ("over/" + std::string(s) + ".png"), Image(24, 24, 3));
  CHECK_THROWS_WITH(FolderDataset(dir.path), Contains("says 7 samples"));
}

TEST_CASE("data: flips and quarter turns are exact permutations of all maps", "[unit]") {
  const Sample s = coupled_sample(9, 6);
  CHECK(same_sample(flip_horizontal(flip_horizontal(s)), s));
  const Sample r1 = rotate90(s, 1);
  CHECK(r1.width() == 6);
  CHECK(r1.height() == 9);
  CHECK(r1.gt.at(0, 0, 2) == s.gt.at(8, 0, 2));  // counter-clockwise: top-right -> top-left
  CHECK(same_sample(rotate90(rotate90(rotate90(r1, 1), 1), 1), s));
  CHECK(same_sample(rotate90(r1, -1), s));
  check_coupled(r1);
  check_coupled(flip_horizontal(s));
}

TEST_CASE("data: augmentation keeps the five maps aligned", "[unit]") {
  const Sample s = coupled_sample(60, 50);
  AugmentConfig cfg;
  cfg.patch = 32;
  cfg.max_angle_deg = 0;
  cfg.brightness = cfg.contrast = cfg.saturation = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    Generator g(seed);
    const Sample a = augment(s, cfg, g);
    REQUIRE(a.width() == 32);
    check_coupled(a);  // exact: pixel centres map to pixel centres
  }
  // With small rotations and colour jitter, input, gt and over still see the same transform.
  cfg.max_angle_deg = 10;
  cfg.brightness = cfg.contrast = cfg.saturation = 0.2f;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    Generator g(seed);
    const Sample a = augment(s, cfg, g);
    CHECK(a.input.pixels == a.gt.pixels);
    CHECK(a.over.pixels == a.gt.pixels);
  }
  // Centre crop without augmentation is a plain crop.
  Generator g(1);
  const Sample c = augment(s, AugmentConfig::none(32), g);
  CHECK(c.gt.at(0, 0, 0) == s.gt.at(14, 9, 0));
  CHECK(c.seg.at(31, 31) == s.seg.at(45, 40));
  CHECK_THROWS_WITH(augment(s, AugmentConfig::none(55), g),
                    Contains("'coupled'") && Contains("60x50") && Contains("55x55"));
}

TEST_CASE("data: loader batches do not depend on the thread count and restart exactly", "[unit][threads]") {
  ProceduralConfig pc;
  pc.size = 40;
  pc.seed = 2;
  auto src = std::make_shared<ProceduralSource>(pc, small_split().train);
  LoaderConfig lc;
  lc.batch_size = 3;
  lc.seed = 77;
  lc.augment.patch = 32;
  auto run = [&](int workers, int64_t start, int n) {
    LoaderConfig c = lc;
    c.workers = workers;
    Loader L(src, c, start);
    std::vector<Batch> out;
    for (int i = 0; i < n; ++i) out.push_back(L.next());
    return out;
  };
  const auto serial = run(0, 0, 4), three = run(3, 0, 4), one = run(1, 0, 4), resumed = run(2, 2, 2);
  REQUIRE(serial[0].input.shape() == Shape{3, 3, 32, 32});
  CHECK(serial[0].edge.shape() == Shape{3, 1, 32, 32});
  CHECK(serial[0].seg.shape() == Shape{3, 32, 32});
  CHECK(serial[0].seg.dtype() == DType::I64);
  for (int i = 0; i < 4; ++i) {
    CHECK(same_batch(serial[i], three[i]));
    CHECK(same_batch(serial[i], one[i]));
  }
  CHECK(same_batch(resumed[0], serial[2]));
  CHECK(same_batch(resumed[1], serial[3]));
  CHECK(!same_batch(serial[0], serial[1]));

  LoaderConfig c = lc;
  c.workers = 2;
  Loader L(src, c);
  L.next();
  L.next();
  L.seek(1);
  CHECK(L.position() == 1);
  CHECK(same_batch(L.next(), serial[1]));
}

TEST_CASE("data: loader over a folder shuffles per epoch and reports small images", "[unit][threads]") {
  TempDir dir;
  ProceduralConfig pc;
  pc.size = 24;
  write_procedural_dataset(dir.path, 7, pc, small_split(), 2);
  auto ds = std::make_shared<FolderDataset>(dir.path);
  LoaderConfig lc;
  lc.batch_size = 3;
  lc.workers = 2;
  lc.augment.patch = 16;
  Loader L(ds, lc);
  REQUIRE(L.batches_per_epoch() == 2);  // 7 samples: the incomplete third batch is dropped
  std::set<int64_t> epoch0, epoch1;
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 3; ++j) {
      epoch0.insert(L.sample_index(b, j));
      epoch1.insert(L.sample_index(b + 2, j));
    }
  CHECK(epoch0.size() == 6);
  CHECK(epoch0 != epoch1);  // a different permutation per epoch (7 choose 6: one left out each time)
  const Batch b = L.next();
  CHECK(b.names[0].find(dir / "input/") == 0);

  lc.augment.patch = 32;
  Loader big(ds, lc);
  CHECK_THROWS_WITH(big.next(), Contains(dir / "input/") && Contains("smaller than the 32x32 patch"));
}
