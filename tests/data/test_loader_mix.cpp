// Procedural samples mixed into a folder source (LoaderConfig::mix_source / mix_fraction), and
// folder samples larger than the patch.
#include <catch2/catch.hpp>

#include "data/dataset.h"
#include "data/loader.h"
#include "data_test_util.h"

using namespace csgis;
using namespace csgis::data;
using testing::same_batch;
using testing::values;
using csgis::data::testing::TempDir;

namespace {


struct MixFixture {
  TempDir dir;
  std::shared_ptr<FolderDataset> folder;
  std::shared_ptr<ProceduralSource> procedural;
  MixFixture() {
    const TextureSplit sp = split_textures(testing::synthetic_textures(6), 30);
    ProceduralConfig pc;
    pc.size = 36;  // bigger than the patch: random crops
    pc.seed = 4;
    write_procedural_dataset(dir.path, 9, pc, sp, 2);
    folder = std::make_shared<FolderDataset>(dir.path);
    ProceduralConfig mc;
    mc.size = 30;
    mc.seed = 8;
    procedural = std::make_shared<ProceduralSource>(mc, sp.train);
  }
  LoaderConfig config(double fraction, int workers = 2) const {
    LoaderConfig lc;
    lc.batch_size = 3;
    lc.workers = workers;
    lc.seed = 21;
    lc.augment.patch = 24;
    if (fraction > 0) {
      lc.mix_source = procedural;
      lc.mix_fraction = fraction;
    }
    return lc;
  }
  std::vector<Batch> batches(double fraction, int64_t start, int n, int workers = 2) const {
    Loader L(folder, config(fraction, workers), start);
    std::vector<Batch> out;
    for (int i = 0; i < n; ++i) out.push_back(L.next());
    return out;
  }
};

bool is_folder_name(const MixFixture& f, const std::string& name) { return name.find(f.dir.path) == 0; }

}  // namespace

TEST_CASE("loader: procedural_fraction 0 and 1, and a deterministic half-and-half mix", "[unit][threads]") {
  MixFixture f;
  // Fraction 0 with a mix source attached is the plain folder loader, bit for bit.
  LoaderConfig attached = f.config(0);
  attached.mix_source = f.procedural;
  Loader with_source(f.folder, attached);
  const auto plain = f.batches(0, 0, 4);
  for (int i = 0; i < 4; ++i) CHECK(same_batch(with_source.next(), plain[size_t(i)]));
  for (const Batch& b : plain)
    for (const auto& n : b.names) CHECK(is_folder_name(f, n));

  // Fraction 1: every slot is the procedural sample of its slot index.
  const auto all = f.batches(1.0, 0, 3);
  for (const Batch& b : all)
    for (int j = 0; j < 3; ++j) {
      CHECK(!is_folder_name(f, b.names[size_t(j)]));
      CHECK(b.names[size_t(j)] == f.procedural->get(b.index * 3 + j).name);
    }

  // Fraction 1/2: about half of 40 batches x 3 slots, the same on a rerun and with other thread
  // counts, the flags matching what the batches hold; unmixed slots keep their folder sample.
  Loader L(f.folder, f.config(0.5));
  int mixed = 0;
  for (int64_t b = 0; b < 40; ++b)
    for (int j = 0; j < 3; ++j) mixed += L.from_mix_source(b, j);
  CHECK(mixed > 40);
  CHECK(mixed < 80);
  const auto half = f.batches(0.5, 0, 6), again = f.batches(0.5, 0, 6, 0);
  int folder_slots = 0;
  for (size_t i = 0; i < half.size(); ++i) {
    CHECK(same_batch(half[i], again[i]));
    for (int j = 0; j < 3; ++j) {
      const bool from_mix = L.from_mix_source(int64_t(i), j);
      CHECK(is_folder_name(f, half[i].names[size_t(j)]) == !from_mix);
      folder_slots += !from_mix;
    }
  }
  CHECK(folder_slots > 0);
  for (size_t i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      if (!L.from_mix_source(int64_t(i), j)) {
        CHECK(half[i].names[size_t(j)] == plain[i].names[size_t(j)]);
        const int64_t plane = 3 * 24 * 24;
        const auto a = values(half[i].gt), p = values(plain[i].gt);
        CHECK(std::equal(a.begin() + j * plane, a.begin() + (j + 1) * plane, p.begin() + j * plane));
      }

  // A restart at batch 3 gives batches 3.. of the uninterrupted mix.
  const auto resumed = f.batches(0.5, 3, 3);
  for (int i = 0; i < 3; ++i) CHECK(same_batch(resumed[size_t(i)], half[size_t(3 + i)]));

  LoaderConfig bad = f.config(0);
  bad.mix_fraction = 0.3;
  CHECK_THROWS_WITH(Loader(f.folder, bad), Catch::Contains("without a mix source"));
}

TEST_CASE("loader: clean_fraction makes some slots texture-free (input = gt), deterministically", "[unit][threads]") {
  MixFixture f;
  auto clean_config = [&](double q, int workers) {
    LoaderConfig lc = f.config(0.5, workers);  // mixed with procedural slots too: the rule covers both
    lc.clean_fraction = q;
    return lc;
  };
  auto run = [&](double q, int workers) {
    Loader L(f.folder, clean_config(q, workers));
    std::vector<Batch> out;
    for (int i = 0; i < 6; ++i) out.push_back(L.next());
    return out;
  };
  const auto mixed = f.batches(0.5, 0, 6);
  const auto half = run(0.4, 2), again = run(0.4, 0);
  Loader flags(f.folder, clean_config(0.4, 0));
  const int64_t plane = 3 * 24 * 24;
  int clean = 0, textured = 0;
  for (size_t i = 0; i < half.size(); ++i) {
    CHECK(same_batch(half[i], again[i]));  // thread count changes nothing
    const auto in = values(half[i].input), gt = values(half[i].gt), mixed_in = values(mixed[i].input),
               mixed_gt = values(mixed[i].gt);
    // The gt and everything else of a slot is what the loader without the key gives.
    CHECK(gt == mixed_gt);
    CHECK(half[i].names == mixed[i].names);
    for (int j = 0; j < 3; ++j) {
      const bool is_clean = flags.is_clean_slot(int64_t(i), j);
      const bool input_is_gt = std::equal(in.begin() + j * plane, in.begin() + (j + 1) * plane, gt.begin() + j * plane);
      const bool input_as_before =
          std::equal(in.begin() + j * plane, in.begin() + (j + 1) * plane, mixed_in.begin() + j * plane);
      CHECK(input_is_gt == is_clean);  // the blended inputs of the fixture differ from their gts
      CHECK(input_as_before == !is_clean);
      clean += is_clean;
      textured += !is_clean;
    }
  }
  CHECK(clean > 0);
  CHECK(textured > 0);
  // 0 draws nothing: the batches of the loader without the key, bit for bit.
  const auto none = run(0, 2);
  for (size_t i = 0; i < none.size(); ++i) CHECK(same_batch(none[i], mixed[i]));
  // 1: every slot is clean.
  const auto all = run(1, 2);
  for (const Batch& b : all) CHECK(values(b.input) == values(b.gt));

  LoaderConfig bad = f.config(0);
  bad.clean_fraction = 1.5;
  CHECK_THROWS_WITH(Loader(f.folder, bad), Catch::Contains("clean_fraction must be in [0, 1]"));
}
