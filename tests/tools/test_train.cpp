// The trainer: config validation, exact resume, outputs on disk.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "engine/io/safetensors.h"
#include "models/vgg16.h"
#include "tests/tools/train_test_util.h"
#include "tools/lib/trainer.h"

using namespace csgis;
using namespace csgis::tools;
namespace fs = std::filesystem;

namespace {

TrainConfig tiny_config() {
  TrainConfig c = tiny_train_config();
  c.steps = 6;
  c.val_interval = 3;
  c.checkpoint_interval = 3;
  c.contrastive_l1 = true;  // exercises the per-step random negative
  c.milestones = {4};       // and a schedule change after the resume point
  return c;
}

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("csgis_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

}  // namespace

TEST_CASE("train: config errors name the file, field and expectation", "[unit]") {
  const std::string where = "config 'x.json'";
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"stepz": 3})"), where),
                    Catch::Contains("unknown key 'stepz'") && Catch::Contains("x.json"));
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"optim": {"lr": "fast"}})"), where),
                    Catch::Contains("field 'optim.lr': expected a number, got a string"));
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"data": {"patch": 8}})"), where),
                    Catch::Contains("data.patch"));
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"model": {"dim": 2.5}})"), where),
                    Catch::Contains("model.dim': expected an integer"));
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"data": {"texture_scale_min": 0}})"), where),
                    Catch::Contains("data.texture_scale_min/texture_scale_max"));
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"bn_freeze_step": -1})"), where),
                    Catch::Contains("bn_freeze_step"));
  // A key holding control characters (found by fuzz_train_config: tests/fuzz/corpus/fuzz_train_config/
  // crash-key-with-newline) is quoted escaped: the message stays one line.
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse("{\"a\\nb\\tc\\u0001\": 1}"), where),
                    Catch::Contains("unknown key 'a\\nb\\tc\\x01'"));
  // round trip of the effective config
  TrainConfig c = tiny_config();
  TrainConfig d = TrainConfig::from_json(c.to_json(), where);
  CHECK(d.to_json() == c.to_json());
}

TEST_CASE("train: a resumed run continues with exactly the same losses", "[unit]") {
  const std::string a = temp_dir("train_a"), b = temp_dir("train_b");
  TrainOptions full;
  full.config = tiny_config();
  full.out_dir = a;
  full.show_progress = false;
  TrainResult r_full = train(full);
  REQUIRE(r_full.losses.size() == 6);
  for (const char* f : {"config.json", "checkpoint.safetensors", "best.safetensors", "metrics.jsonl", "curve.png"})
    CHECK(fs::exists(fs::path(a) / f));

  TrainOptions first = full;
  first.out_dir = b;
  first.config.steps = 3;
  TrainResult r1 = train(first);
  REQUIRE(r1.losses.size() == 3);
  TrainOptions second = full;
  second.out_dir = b;
  second.resume = b + "/checkpoint.safetensors";
  TrainResult r2 = train(second);
  REQUIRE(r2.first_step == 3);
  REQUIRE(r2.losses.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(r1.losses[i] == r_full.losses[i]);
    CHECK(r2.losses[i] == r_full.losses[3 + i]);
  }
  CHECK(r2.final_val.psnr == r_full.final_val.psnr);
  // the metrics log of the resumed run holds each step once
  std::ifstream log(b + "/metrics.jsonl");
  int lines = 0;
  for (std::string l; std::getline(log, l);) ++lines;
  CHECK(lines == 6 + 2);  // 6 steps + 2 validations

  // a checkpoint of another architecture is refused with both configs named
  TrainOptions other = full;
  other.out_dir = temp_dir("train_c");
  other.config.model.dim = 8;
  other.resume = b + "/checkpoint.safetensors";
  CHECK_THROWS_WITH(train(other), Catch::Contains("holds a model") && Catch::Contains("dim"));
  fs::remove_all(a);
  fs::remove_all(b);
  fs::remove_all(other.out_dir);
}

TEST_CASE("train: precise BN leaves training untouched; a BN freeze changes it and resumes exactly", "[unit]") {
  const std::string dir = temp_dir("train_bn");
  auto run = [&](TrainConfig c, const std::string& sub, const std::string& resume = "") {
    TrainOptions o;
    o.config = c;
    o.out_dir = dir + "/" + sub;
    o.show_progress = false;
    o.resume = resume;
    return train(o);
  };
  TrainConfig plain = tiny_config();
  plain.texture_strength_max = 1.5f;  // training-only texture variety rides along
  plain.texture_scale_min = 0.7f;
  plain.texture_scale_max = 1.4f;
  plain.texture_orient = true;
  const TrainResult r_plain = run(plain, "plain");

  TrainConfig precise = plain;
  precise.bn_recalibration_batches = 2;
  const TrainResult r_precise = run(precise, "precise");
  REQUIRE(r_precise.losses.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(r_precise.losses[i] == r_plain.losses[i]);  // snapshot restored
  CHECK(r_precise.final_val.psnr != r_plain.final_val.psnr);                    // but validation saw new stats

  TrainConfig frozen = precise;
  frozen.bn_freeze_step = 4;
  const TrainResult r_frozen = run(frozen, "frozen");
  for (int i = 0; i < 4; ++i) CHECK(r_frozen.losses[i] == r_plain.losses[i]);
  CHECK(r_frozen.losses[4] != r_plain.losses[4]);
  CHECK(r_frozen.losses[5] != r_plain.losses[5]);

  // Resumed at step 3 (before the freeze) and at step 5 (after it): the same losses.
  TrainConfig first = frozen;
  first.steps = 3;
  run(first, "resumed");
  const TrainResult r_mid = run(frozen, "resumed", dir + "/resumed/checkpoint.safetensors");
  REQUIRE(r_mid.losses.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(r_mid.losses[i] == r_frozen.losses[3 + i]);
  TrainConfig to5 = frozen;
  to5.steps = 5;
  to5.checkpoint_interval = 5;
  run(to5, "after");
  const TrainResult r_after = run(frozen, "after", dir + "/after/checkpoint.safetensors");
  REQUIRE(r_after.losses.size() == 1);
  CHECK(r_after.losses[0] == r_frozen.losses[5]);
  CHECK(r_after.final_val.psnr == r_frozen.final_val.psnr);
  fs::remove_all(dir);
}

TEST_CASE("train: the shipped configs load; the fine-tune continues jess-small", "[unit]") {
  const fs::path dir = fs::path(CSGIS_TEST_FIXTURES) / ".." / "configs";
  int count = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path().string());
    CHECK_NOTHROW(TrainConfig::load(e.path().string()));
    ++count;
  }
  CHECK(count >= 3);
  // weights/README.md trains jess-small.json, then resumes its last checkpoint with the fine-tune.
  const TrainConfig base = TrainConfig::load((dir / "jess-small.json").string());
  const TrainConfig tune = TrainConfig::load((dir / "jess-small-finetune.json").string());
  CHECK(tune.model == base.model);
  CHECK(tune.seed == base.seed);
  CHECK(tune.bn_freeze_step == base.steps);
  CHECK(tune.steps > base.steps);
  CHECK(tune.lr == base.lr);
  CHECK(std::vector<int64_t>(tune.milestones.begin(), tune.milestones.begin() + base.milestones.size()) ==
        base.milestones);
}

TEST_CASE("train: the Gram contrastive term runs through the frozen VGG16 into the smoother", "[unit]") {
  const std::string dir = temp_dir("train_gram");
  fs::create_directories(dir);
  const std::string vgg = dir + "/vgg.safetensors";
  auto net = models::random_vgg16(4);
  save_safetensors(vgg, net->state_dict(), models::vgg16_metadata(*net, "test"));

  auto run = [&](const std::string& name, bool gram, const std::string& form) {
    TrainOptions o;
    o.config = tiny_train_config();
    o.config.steps = 2;
    o.config.contrastive_gram = gram;
    o.config.contrastive_form = form;
    // A margin above any gap of these random filters keeps the hinge active on both steps. On the
    // reference's raw scale the term's gradient is ~1e-5 of the reconstruction's and vanishes in the
    // float32 sum of two tiny steps, so this path test runs on the ImageNet scale; the scale itself
    // has its own test below.
    o.config.margin_gram = 10;
    o.config.gram_input = "imagenet";
    if (gram) o.config.vgg_weights = vgg;
    o.out_dir = dir + "/" + name;
    o.show_progress = false;
    train(o);
    std::vector<nlohmann::json> lines;
    std::ifstream log(o.out_dir + "/metrics.jsonl");
    for (std::string l; std::getline(log, l);) {
      auto j = nlohmann::json::parse(l);
      if (j.contains("loss")) lines.push_back(j);
    }
    REQUIRE(lines.size() == 2);
    return lines;
  };
  const auto off = run("off", false, "triplet"), on = run("on", true, "triplet"), ratio = run("ratio", true, "ratio");
  REQUIRE(on[0].contains("contrast_gram"));
  CHECK(on[0]["contrast_gram"].get<double>() > 0);
  CHECK_FALSE(on[0].contains("contrast_gray"));  // the gray-L1 term has its own switch
  CHECK_FALSE(off[0].contains("contrast_gram"));
  // Step 1 starts from the same weights: the totals differ by the Gram term (lambda_c = 1) alone.
  CHECK(on[0]["loss"].get<double>() ==
        Approx(off[0]["loss"].get<double>() + on[0]["contrast_gram"].get<double>()).epsilon(1e-6));
  CHECK(on[0]["recon_s1"] == off[0]["recon_s1"]);
  // Its gradient reached the smoother: step 2 reconstructs differently.
  CHECK(on[1]["recon_s1"] != off[1]["recon_s1"]);
  CHECK(ratio[0]["contrast_gram"] != on[0]["contrast_gram"]);

  // Refusals before anything is written: a missing or damaged VGG file, switches that do not fit.
  TrainOptions bad;
  bad.config = tiny_train_config();
  bad.config.contrastive_gram = true;
  bad.config.vgg_weights = dir + "/absent.safetensors";
  bad.out_dir = dir + "/bad";
  bad.show_progress = false;
  CHECK_THROWS_WITH(train(bad), Catch::Contains("absent.safetensors"));
  CHECK_FALSE(fs::exists(bad.out_dir));
  auto dict = net->state_dict();
  dict.pop_back();
  save_safetensors(dir + "/cut.safetensors", dict, models::vgg16_metadata(*net, "test"));
  bad.config.vgg_weights = dir + "/cut.safetensors";
  CHECK_THROWS_WITH(train(bad), Catch::Contains("no tensor 'features.7.bias'"));
  CHECK_FALSE(fs::exists(bad.out_dir));
  const std::string where = "config 'x.json'";
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"loss": {"vgg_weights": "v.safetensors"}})"), where),
                    Catch::Contains("loss.vgg_weights") && Catch::Contains("contrastive_gram"));
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"loss": {"contrastive_form": "cosine"}})"), where),
                    Catch::Contains("loss.contrastive_form"));
  fs::remove_all(dir);
}

TEST_CASE("train: the Gram term's features are on the scale loss.gram_input names", "[unit]") {
  const double imagenet_std = (0.229 + 0.224 + 0.225) / 3.0;
  const models::Vgg16Normalization torchvision;
  models::Vgg16Normalization hed;  // HED's 0-255 BGR-mean input
  hed.scale = 255;
  hed.mean = {122.679, 116.669, 104.007};
  hed.std = {1, 1, 1};
  CHECK(gram_feature_scale(torchvision, "raw") == Approx(imagenet_std));
  CHECK(gram_feature_scale(torchvision, "imagenet") == Approx(1.0));
  CHECK(gram_feature_scale(hed, "raw") == Approx(1.0 / 255.0));
  CHECK(gram_feature_scale(hed, "imagenet") == Approx(1.0 / (255.0 * imagenet_std)));
  CHECK_THROWS_WITH(gram_feature_scale(torchvision, "bgr"), Catch::Contains("loss.gram_input"));

  // gram_inputs multiplies every tap of all three images by the factor; the anchor keeps its graph.
  auto vgg = models::random_vgg16(5);
  Generator gen(17);
  Tensor s1 = Tensor::rand({2, 3, 13, 11}, 0, 1, &gen);
  s1.set_requires_grad(true);
  const Tensor gt = Tensor::rand({2, 3, 13, 11}, 0, 1, &gen), neg = Tensor::rand({2, 3, 13, 11}, 0, 1, &gen);
  losses::LossInputs one, scaled;
  gram_inputs(*vgg, s1, gt, neg, 1.0, one);
  gram_inputs(*vgg, s1, gt, neg, 0.25, scaled);
  REQUIRE(scaled.feats_anchor.size() == 2);
  for (size_t l = 0; l < 2; ++l) {
    const auto pairs = {std::pair{one.feats_anchor[l], scaled.feats_anchor[l]},
                        std::pair{one.feats_pos[l], scaled.feats_pos[l]},
                        std::pair{one.feats_neg[l], scaled.feats_neg[l]}};
    for (const auto& [a, b] : pairs) {
      const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>();
      REQUIRE(va.size() == vb.size());
      double worst = 0, largest = 0;
      for (size_t i = 0; i < va.size(); ++i) {
        worst = std::max(worst, double(std::abs(0.25f * va[i] - vb[i])));
        largest = std::max(largest, double(std::abs(va[i])));
      }
      CHECK(largest > 0);
      CHECK(worst <= 1e-6 * largest);
    }
  }
  CHECK(scaled.feats_anchor[0].requires_grad());
  CHECK_FALSE(scaled.feats_pos[0].requires_grad());

  const std::string where = "config 'x.json'";
  CHECK(TrainConfig{}.gram_input == "raw");
  CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(R"({"loss": {"gram_input": "bgr"}})"), where),
                    Catch::Contains("loss.gram_input") && Catch::Contains("raw"));
  const TrainConfig back = TrainConfig::from_json(
      TrainConfig::from_json(nlohmann::json::parse(R"({"loss": {"gram_input": "imagenet"}})"), where).to_json(), where);
  CHECK(back.gram_input == "imagenet");
}
