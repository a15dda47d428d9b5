// The trainer: config validation, exact resume, outputs on disk.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "engine/io/safetensors.h"
#include "tools/lib/trainer.h"

using namespace csgis;
using namespace csgis::tools;
namespace fs = std::filesystem;

namespace {

TrainConfig tiny_config() {
  TrainConfig c;
  c.model.dim = 6;
  c.model.feature_blocks = 1;
  c.model.smooth_blocks = 1;
  c.model.enhance_blocks = 1;
  c.patch = 24;
  c.sample_size = 32;
  c.batch = 2;
  c.workers = 1;
  c.val_count = 2;
  c.val_size = 32;
  c.steps = 6;
  c.log_interval = 1;
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
