// Trainer features for fine-tuning on a real-photo set: the augmentation keys, model.init weights,
// BatchNorm frozen from the start, and procedural samples mixed into a folder source.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/image.h"
#include "engine/ops.h"
#include "engine/context.h"
#include "engine/generator.h"
#include "engine/nn/batchnorm_stats.h"
#include "models/jess.h"
#include "tests/tools/train_test_util.h"
#include "tools/lib/trainer.h"

using namespace csgis;
using namespace csgis::tools;
namespace fs = std::filesystem;

namespace {

TrainConfig tiny_config() { return tiny_train_config(); }

struct Scratch {
  std::string path;
  explicit Scratch(const std::string& name)
      : path((fs::temp_directory_path() / ("csgis_test_" + name + "_" + std::to_string(::getpid()))).string()) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Scratch() { fs::remove_all(path); }
  std::string operator/(const std::string& n) const { return path + "/" + n; }
};

TrainResult run(TrainConfig c, const std::string& out, const std::string& resume = "") {
  TrainOptions o;
  o.config = c;
  o.out_dir = out;
  o.resume = resume;
  o.show_progress = false;
  return train(o);
}

// The model a fresh run with this seed starts from, built exactly as the trainer builds it.
void save_initial_model(const models::JessConfig& cfg, uint64_t seed, const std::string& path,
                        bool perturb_bn = false) {
  Context ctx(0, nullptr, seed);
  ContextGuard guard(ctx);
  models::Jess model(cfg);
  if (perturb_bn) {
    Generator g(seed + 100);
    for (nn::BatchNorm2d* bn : nn::batchnorm_layers(model)) {
      std::vector<float> mean(size_t(bn->running_mean.numel())), var(mean.size());
      for (size_t i = 0; i < mean.size(); ++i) {
        mean[i] = float(g.uniform(-0.3, 0.3));
        var[i] = float(g.uniform(0.5, 2.0));
      }
      const int64_t n = int64_t(mean.size());
      bn->set_running_stats(Tensor::from_vector(mean, {n}), Tensor::from_vector(var, {n}), bn->num_batches_tracked);
    }
  }
  models::save_jess(path, model);
}

}  // namespace

TEST_CASE("train: augmentation keys parse strictly and round-trip", "[unit]") {
  const std::string where = "config 'aug.json'";
  const TrainConfig c = TrainConfig::from_json(nlohmann::json::parse(R"({"data": {
      "source": "some/folder", "aug_hflip": false, "aug_rot90": false, "aug_max_angle": 45,
      "aug_brightness_shift": 0, "aug_brightness_range": [0.3, 1.7], "aug_contrast_range": [0.3, 1.7],
      "aug_saturation": 0, "aug_hue": 0.3, "procedural_fraction": 0.25, "clean_fraction": 0.2},
      "model": {"init": "w.safetensors"}, "bn_freeze_from_start": true})"), where);
  CHECK(!c.aug_hflip);
  CHECK(c.aug_max_angle == 45.f);
  CHECK(c.aug_brightness_range == std::vector<double>{0.3, 1.7});
  CHECK(c.aug_contrast_range == std::vector<double>{0.3, 1.7});
  CHECK(c.aug_hue == 0.3f);
  CHECK(c.procedural_fraction == 0.25);
  CHECK(c.clean_fraction == 0.2);
  CHECK(c.init_weights == "w.safetensors");
  CHECK(c.bn_freeze_from_start);
  CHECK(TrainConfig::from_json(c.to_json(), where).to_json() == c.to_json());
  // Defaults: the original augmentation; an empty contrast range means "use aug_contrast".
  const TrainConfig d = TrainConfig::from_json(nlohmann::json::object(), where);
  CHECK(d.aug_brightness_range == std::vector<double>{1.0, 1.0});
  CHECK(d.aug_contrast_range.empty());
  CHECK(d.aug_max_angle == 10.f);
  CHECK(TrainConfig::from_json(d.to_json(), where).to_json() == d.to_json());

  auto fails = [&](const char* text) {
    try {
      TrainConfig::from_json(nlohmann::json::parse(text), where);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(fails(R"({"data": {"aug_hue": "lots"}})"), Catch::Contains("aug.json") &&
                                                            Catch::Contains("field 'data.aug_hue': expected a number"));
  CHECK_THAT(fails(R"({"data": {"aug_hue": 0.6}})"), Catch::Contains("data.aug_hue"));
  CHECK_THAT(fails(R"({"data": {"aug_max_angle": 60}})"), Catch::Contains("data.aug_max_angle"));
  CHECK_THAT(fails(R"({"data": {"aug_brightness_range": [1.7, 0.3]}})"), Catch::Contains("data.aug_brightness_range"));
  CHECK_THAT(fails(R"({"data": {"aug_brightness_range": 1.5}})"), Catch::Contains("expected an array of numbers"));
  CHECK_THAT(fails(R"({"data": {"aug_contrast_range": [0.5, "x"]}})"), Catch::Contains("expected numbers, got a string"));
  CHECK_THAT(fails(R"({"data": {"aug_contrast_range": [0.5]}})"), Catch::Contains("data.aug_contrast_range"));
  CHECK_THAT(fails(R"({"data": {"aug_flip": true}})"), Catch::Contains("unknown key 'data.aug_flip'"));
  CHECK_THAT(fails(R"({"data": {"procedural_fraction": 1.5, "source": "x"}})"), Catch::Contains("data.procedural_fraction"));
  CHECK_THAT(fails(R"({"data": {"procedural_fraction": 0.5}})"), Catch::Contains("already procedural"));
  CHECK_THAT(fails(R"({"data": {"clean_fraction": -0.1}})"), Catch::Contains("data.clean_fraction"));
  CHECK_THAT(fails(R"({"model": {"init_grow": true}})"), Catch::Contains("model.init_grow") && Catch::Contains("needs model.init"));
  CHECK_THAT(fails(R"({"model": {"init": "w.safetensors", "init_grow": true, "init_grow_gamma": -1}})"),
             Catch::Contains("model.init_grow_gamma"));
  CHECK_THAT(fails(R"({"model": {"init": 3}})"), Catch::Contains("field 'model.init': expected a string"));
  CHECK_THAT(fails(R"({"bn_freeze_from_start": true, "bn_freeze_step": 5})"), Catch::Contains("bn_freeze_from_start"));
}

TEST_CASE("train: model.init starts from the file's weights and BatchNorm statistics", "[unit]") {
  Scratch dir("train_init");
  const TrainConfig base = tiny_config();
  const TrainResult fresh = run(base, dir / "fresh");

  // The seed's own initial weights given as a file: exactly the fresh run.
  save_initial_model(base.model, base.seed, dir / "seed1.safetensors");
  TrainConfig from_file = base;
  from_file.init_weights = dir / "seed1.safetensors";
  const TrainResult same = run(from_file, dir / "same");
  REQUIRE(same.losses.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(same.losses[size_t(i)] == fresh.losses[size_t(i)]);

  // Other weights (another seed's), same data: another run.
  save_initial_model(base.model, 5, dir / "seed5.safetensors");
  from_file.init_weights = dir / "seed5.safetensors";
  const TrainResult other = run(from_file, dir / "other");
  CHECK(other.losses[0] != fresh.losses[0]);

  // The BatchNorm running statistics come from the file: with BN frozen from step 1 (no
  // recalibration) they are what the first forward normalises with.
  save_initial_model(base.model, base.seed, dir / "seed1_bn.safetensors", true);
  TrainConfig frozen = base;
  frozen.bn_freeze_from_start = true;
  frozen.init_weights = dir / "seed1.safetensors";
  const TrainResult frozen_plain = run(frozen, dir / "frozen_plain");
  frozen.init_weights = dir / "seed1_bn.safetensors";
  const TrainResult frozen_bn = run(frozen, dir / "frozen_bn");
  CHECK(frozen_plain.losses[0] != fresh.losses[0]);  // frozen BN is not batch-statistics BN
  CHECK(frozen_bn.losses[0] != frozen_plain.losses[0]);

  // A resumed run takes its weights from the checkpoint: model.init is not even opened.
  TrainConfig first = from_file;
  first.steps = 2;
  run(first, dir / "resume");
  TrainConfig second = from_file;
  second.init_weights = dir / "does-not-exist.safetensors";
  const TrainResult resumed = run(second, dir / "resume", dir / "resume/checkpoint.safetensors");
  REQUIRE(resumed.losses.size() == 2);
  CHECK(resumed.losses[0] == other.losses[2]);
  CHECK(resumed.losses[1] == other.losses[3]);

  // Another architecture: one line naming the file and the first differing tensor with shapes.
  models::JessConfig wider = base.model;
  wider.dim = 8;
  save_initial_model(wider, 1, dir / "wider.safetensors");
  TrainConfig mismatch = base;
  mismatch.init_weights = dir / "wider.safetensors";
  std::string message;
  try {
    run(mismatch, dir / "mismatch");
  } catch (const std::exception& e) {
    message = e.what();
  }
  CHECK_THAT(message, Catch::Contains("model.init '" + (dir / "wider.safetensors") + "'") &&
                          Catch::Contains("descriptor.conv_in.weight") && Catch::Contains("[8, 3, 3, 3]") &&
                          Catch::Contains("[6, 3, 3, 3]"));
  CHECK(message.find('\n') == std::string::npos);
  models::JessConfig deeper = base.model;
  deeper.feature_blocks = 2;
  save_initial_model(deeper, 1, dir / "deeper.safetensors");
  mismatch.init_weights = dir / "deeper.safetensors";
  CHECK_THROWS_WITH(run(mismatch, dir / "mismatch"), Catch::Contains("deeper.safetensors") && Catch::Contains("res16.1"));

  // model.init_grow: the shallower file grown into the deeper config. With a last-BatchNorm scale of
  // 0 the new blocks add exactly 0, so the first step's loss is the shallower model's.
  TrainConfig grow = base;
  grow.model.feature_blocks = base.model.feature_blocks + 1;
  grow.model.enhance_blocks = base.model.enhance_blocks + 1;
  grow.init_weights = dir / "seed1.safetensors";
  grow.init_grow = true;
  grow.init_grow_gamma = 0;
  const TrainResult grown_exact = run(grow, dir / "grow0");
  CHECK(grown_exact.losses[0] == same.losses[0]);
  grow.init_grow_gamma = 1e-3;
  const TrainResult grown = run(grow, dir / "grow");
  CHECK(grown.losses[0] != same.losses[0]);
  CHECK(std::fabs(grown.losses[0] - same.losses[0]) < 1e-2 * std::fabs(same.losses[0]));
  // Growing never shrinks: a file deeper than the config is one line naming it.
  TrainConfig shrink = base;
  shrink.init_weights = dir / "deeper.safetensors";
  shrink.init_grow = true;
  CHECK_THROWS_WITH(run(shrink, dir / "shrink"), Catch::Contains("deeper.safetensors") &&
                                                     Catch::Contains("feature_blocks would shrink from 2 to 1"));
}

TEST_CASE("train: BatchNorm frozen from the start, recalibrated first, resumes exactly", "[unit]") {
  Scratch dir("train_bn_start");
  TrainConfig c = tiny_config();
  c.bn_freeze_from_start = true;
  c.bn_recalibration_batches = 2;
  const TrainResult full = run(c, dir / "full");
  TrainConfig no_recal = c;
  no_recal.bn_recalibration_batches = 0;
  CHECK(run(no_recal, dir / "no_recal").losses[0] != full.losses[0]);  // the statistics were recomputed
  TrainConfig first = c;
  first.steps = 2;
  run(first, dir / "resumed");
  const TrainResult second = run(c, dir / "resumed", dir / "resumed/checkpoint.safetensors");
  REQUIRE(second.losses.size() == 2);
  CHECK(second.losses[0] == full.losses[2]);
  CHECK(second.losses[1] == full.losses[3]);
  CHECK(second.final_val.psnr == full.final_val.psnr);
}

TEST_CASE("train: a folder source with procedural samples mixed in, larger than the patch, resumes exactly", "[unit]") {
  Scratch dir("train_mix");
  data::write_procedural_dataset(dir / "set", 7, 40, 3, data::Split::Train);  // 40 px samples, patch 24
  TrainConfig c = tiny_config();
  c.source = dir / "set";
  c.procedural_fraction = 0.5;
  c.aug_max_angle = 45;
  c.aug_brightness_range = {0.3, 1.7};
  c.aug_contrast_range = {0.3, 1.7};
  c.aug_hue = 0.3f;
  c.steps = 6;
  c.val_interval = 3;
  c.checkpoint_interval = 3;
  const TrainResult full = run(c, dir / "full");
  REQUIRE(full.losses.size() == 6);
  TrainConfig pure = c;
  pure.procedural_fraction = 0;
  const TrainResult folder_only = run(pure, dir / "folder_only");
  int differ = 0;
  for (int i = 0; i < 6; ++i) differ += full.losses[size_t(i)] != folder_only.losses[size_t(i)];
  CHECK(differ > 0);
  TrainConfig first = c;
  first.steps = 3;
  run(first, dir / "resumed");
  const TrainResult second = run(c, dir / "resumed", dir / "resumed/checkpoint.safetensors");
  REQUIRE(second.losses.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(second.losses[size_t(i)] == full.losses[size_t(3 + i)]);
}

TEST_CASE("train: jess-real.json fine-tunes jess-small with the reference's augmentation", "[unit]") {
  const fs::path root = fs::path(CSGIS_TEST_FIXTURES) / "..";
  const TrainConfig c = TrainConfig::load((root / "configs/jess-real.json").string());
  // Its init weights are the shipped model, and that model is the config's architecture.
  CHECK(c.init_weights == "weights/jess-small.safetensors");
  CHECK(models::load_jess((root / c.init_weights).string())->config() == c.model);
  CHECK(c.source == "runs/real-set/train");
  CHECK(c.val_source == "runs/real-set/val");
  CHECK((c.patch == 96 && c.batch == 4 && c.steps == 2000 && c.seed == 3 && c.val_count == 24));
  CHECK(c.lr == 1e-4);
  // Fine-tuning on photos drops DTV (it lowered validation SSIM from step 1; weights/README.md).
  CHECK(!c.dtv);
  CHECK((c.aug_hflip && !c.aug_rot90 && c.aug_max_angle == 45.f && c.aug_hue == 0.3f));
  CHECK(c.aug_brightness_shift == 0.f);
  CHECK(c.aug_brightness_range == std::vector<double>{0.3, 1.7});
  CHECK(c.aug_contrast_range == std::vector<double>{0.3, 1.7});
  CHECK(c.procedural_fraction == 0.25);
  CHECK(data::max_fitting_angle_deg(c.sample_size, c.patch) == 45.0);  // procedural samples turn fully
  CHECK(data::max_fitting_angle_deg(256, c.patch) == 45.0);            // and so do the 256 px crops
  // jess-small was selected with BatchNorm frozen: it stays frozen on the file's statistics
  // (precise BN measures training-mode statistics, which a frozen-tuned model never saw).
  CHECK(c.bn_freeze_from_start);
  CHECK(c.bn_freeze_step == 0);
  CHECK(c.bn_recalibration_batches == 0);
}

TEST_CASE("train: a folder validation source is subsampled to val_count samples spread over its stems", "[unit]") {
  Scratch dir("train_valcount");
  data::write_procedural_dataset(dir / "val", 5, 32, 9, data::Split::Val);
  const data::FolderDataset val(dir / "val");
  REQUIRE(val.size() == 5);
  // The input PSNR the trainer reports must be that of samples 0 and 2 (k * 5 / 2), not 0 and 1.
  auto input_psnr = [&](std::initializer_list<int64_t> idx) {
    double sum = 0;
    for (int64_t i : idx) {
      const data::Sample s = val.get(i);
      const Tensor in = data::image_to_tensor(s.input), gt = data::image_to_tensor(s.gt);
      sum += 10.0 * std::log10(1.0 / std::max(mean(square(in - gt)).item(), 1e-12));
    }
    return sum / double(idx.size());
  };
  TrainConfig c = tiny_config();
  c.val_source = dir / "val";
  c.val_count = 2;
  c.steps = 2;
  const TrainResult r = run(c, dir / "run");
  CHECK(r.final_val.input_psnr == Approx(input_psnr({0, 2})).epsilon(1e-9));
  CHECK(std::abs(input_psnr({0, 2}) - input_psnr({0, 1})) > 1e-6);  // the test can tell them apart
  c.val_count = 24;  // more than the folder holds: all five
  CHECK(run(c, dir / "all").final_val.input_psnr == Approx(input_psnr({0, 1, 2, 3, 4})).epsilon(1e-9));
}

// (That every shipped config loads is test_train.cpp's "the shipped configs load".)
TEST_CASE("train: own-photos.json (docs/usage.md) fine-tunes the default model", "[unit]") {
  const fs::path root = fs::path(CSGIS_TEST_FIXTURES) / "..";
  const TrainConfig c = TrainConfig::load((root / "configs/own-photos.json").string());
  CHECK(c.init_weights == "weights/jess-real.safetensors");  // the default of csgis smooth
  CHECK(models::load_jess((root / c.init_weights).string())->config() == c.model);
  CHECK(c.source == "runs/my-photos/train");  // what docs/usage.md's build-dataset lines write
  CHECK(c.val_source == "runs/my-photos/val");
  CHECK((c.steps == 500 && c.patch == 96 && c.batch == 4 && c.lr == 1e-4 && !c.dtv));
  CHECK(c.procedural_fraction == 0.25);
}
