// One CLI: every sub-command's --help is read back and the flags that several commands share are
// held to one name and one help text; `--version` says what was built; and bad arguments of every
// command give one plain line, never a source path or a check expression.
#include <catch2/catch.hpp>

#include <stb/stb_image_write.h>

#include <unistd.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <vector>

#include "data/image.h"
#include "registry/op_registry.h"
#include "engine/device.h"
#include "engine/io/safetensors.h"
#include "models/vgg16.h"
#include "tests/tools/cli_test_util.h"

using namespace csgis;
using namespace csgis::test_cli;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string>& all_commands() {
  static const std::vector<std::string> cmds{"train",   "smooth",        "enhance",      "eval",
                                             "tune-gf", "metrics",       "build-dataset", "bench conv2d",
                                             "bench train-step", "bench smoother", "bench smooth", "bench op", "convert"};
  return cmds;
}

// Long flag name -> its help text, from the "Options:" section of `csgis CMD --help`. CLI11 puts the
// text after the type column, or on the next lines when the flag column is too wide; continuation
// lines are indented further than any flag.
std::map<std::string, std::string> flags_of(const std::string& help) {
  std::map<std::string, std::string> flags;
  std::istringstream in(help);
  std::string line, current;
  const std::regex flag_line(R"(^  (?:-\w,)?(--[\w-]+)(?: (?:\S+(?: \S+)*?))?(?:  +(.*))?$)");
  bool in_options = false;
  while (std::getline(in, line)) {
    if (line == "Options:") { in_options = true; continue; }
    if (!in_options) continue;
    if (line.empty()) { in_options = false; current.clear(); continue; }
    std::smatch m;
    if (line.rfind("  -", 0) == 0 && std::regex_match(line, m, flag_line)) {
      current = m[1];
      flags[current] = m[2];
      // A long type column ("TEXT:FILE REQUIRED") leaves one space before the text.
      const size_t req = line.find(" REQUIRED ");
      if (flags[current].empty() && req != std::string::npos) flags[current] = line.substr(req + 10);
    } else if (!current.empty() && line.rfind("      ", 0) == 0) {
      std::string text = line.substr(line.find_first_not_of(' '));
      flags[current] += (flags[current].empty() ? "" : " ") + text;
    }
  }
  return flags;
}

}  // namespace

TEST_CASE("cli: shared flags have one name and one help text in every command", "[unit]") {
  Scratch dir;
  std::map<std::string, std::map<std::string, std::string>> by_flag;  // flag -> command -> help
  for (const std::string& cmd : all_commands()) {
    const Run r = csgis_run(dir, cmd + " --help");
    INFO(cmd << ": " << r.err);
    REQUIRE(r.rc == 0);
    REQUIRE(r.out.find("Usage") != std::string::npos);
    const auto flags = flags_of(r.out);
    REQUIRE(flags.count("--help") == 1);  // the parser found the Options section
    // metrics only compares two files and convert only rewrites one: neither computes in parallel.
    const bool serial = cmd == "metrics" || cmd == "convert";
    if (cmd != "metrics") REQUIRE(flags.size() >= 3);
    for (const auto& [name, text] : flags) by_flag[name][cmd] = text;
    // --threads on every command that computes, its default shown.
    if (!serial) {
      CHECK(flags.count("--threads") == 1);
      CHECK(std::regex_search(r.out, std::regex(R"(--threads INT:INT in \[0 - 1024\]=(0|the config's threads))")));
    }
    // Outputs: `-o, --out` wherever a command writes files, never --output.
    CHECK(flags.count("--output") == 0);
    if (flags.count("--out")) CHECK(r.out.find("-o,--out") != std::string::npos);
  }
  // The same flag means the same thing everywhere, in the same words. --input, --out, --force and
  // --method say what *this* command reads, writes, replaces or runs (an image or weights; a report
  // folder, a run folder; a smoother of this device), so their text is per command by design.
  const std::set<std::string> per_command{"--help", "--input", "--out", "--force", "--method"};
  for (const auto& [name, texts] : by_flag) {
    if (texts.size() < 2 || per_command.count(name)) continue;
    const std::string& first = texts.begin()->second;
    for (const auto& [cmd, text] : texts) {
      INFO(name << " in " << cmd << " vs " << texts.begin()->first);
      CHECK(text == first);
    }
  }
  // Spot checks that the parser saw what it should: names that once differed now agree.
  CHECK(by_flag["--gf-radius"].count("tune-gf") == 1);
  CHECK(by_flag["--gf-radius"].count("eval") == 1);
  CHECK(by_flag["--device"].size() >= 6);
  CHECK(by_flag["--threads"].size() == all_commands().size() - 2);  // all but metrics and convert
}

TEST_CASE("cli: --version names the version, commit, build type, CUDA and CPU code path", "[unit]") {
  Scratch dir;
  const Run r = csgis_run(dir, "--version");
  REQUIRE(r.rc == 0);
  CHECK(std::regex_search(r.out, std::regex(R"(^csgis \d+\.\d+\.\d+ \(commit [0-9a-f]{12}|unknown)")));
  CHECK(r.out.find(" build)") != std::string::npos);
  CHECK(std::regex_search(r.out, std::regex("\nCUDA: (on|off)")));
  CHECK(std::regex_search(r.out, std::regex("CPU kernels: (avx512|avx2|generic) ")));
  CHECK(r.out.find("x86-64-v3") != std::string::npos);
  CHECK(r.out.find("This CPU: ") != std::string::npos);
}

TEST_CASE("cli: metrics takes two positional images or -a/-b", "[unit]") {
  Scratch dir;
  data::Image a(16, 12, 3, 0.25f), b(16, 12, 3, 0.5f);
  data::save_png(dir / "a.png", a);
  data::save_png(dir / "b.png", b);
  const Run positional = csgis_run(dir, "metrics '" + (dir / "a.png") + "' '" + (dir / "b.png") + "'");
  const Run named = csgis_run(dir, "metrics -a '" + (dir / "a.png") + "' -b '" + (dir / "b.png") + "'");
  REQUIRE(positional.rc == 0);
  REQUIRE(named.rc == 0);
  CHECK(positional.out == named.out);
}

TEST_CASE("cli: bad arguments give one plain line: no source path, no check expression", "[unit]") {
  Scratch dir;
  data::save_png(dir / "a.png", data::Image(24, 20, 3, 0.5f));
  fs::create_directories(dir / "only_input/input");
  data::save_png(dir / "only_input/input/x.png", data::Image(24, 20, 3, 0.5f));
  std::ofstream(dir / "steps_string.json") << R"({"steps": "many"})";
  std::ofstream(dir / "not_json.json") << "{ steps: 3";
  std::ofstream(dir / "garbage.safetensors") << "this is not a weight file";
  fs::create_directories(dir / "weights_dir");
  const std::string a = "'" + (dir / "a.png") + "'";
  std::vector<std::string> bad = {
      "",                                                         // no command
      "frobnicate",                                               // unknown command
      "train --config '" + (dir / "steps_string.json") + "'",     // a string where a number belongs
      "train --config '" + (dir / "not_json.json") + "'",         // not JSON
      "train --config '" + (dir / "missing.json") + "'",          // no such file
      "train --config '" + (dir / "steps_string.json") + "' --threads -2",
      "smooth -i '" + (dir / "missing.png") + "' -o '" + (dir / "o.png") + "'",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --method nope",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --tile 32 --overlap 20",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --device bogus",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --weights '" + (dir / "garbage.safetensors") + "'",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --weights '" + (dir / "weights_dir") + "'",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --gf-guide sideways --method gf",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --threads many",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --max-pixels 100",
      "smooth -i " + a + " -o '" + (dir / "o.png") + "' --max-pixels 100 --method gf",
      "enhance -i " + a + " -o '" + (dir / "o.png") + "' --strength -1 --method gf",
      "eval --data '" + (dir / "missing") + "'",
      "eval --data '" + (dir / "only_input") + "' --methods input",
      "eval --data '" + (dir / "only_input") + "' --methods foo",
      "tune-gf --data '" + (dir / "only_input") + "'",
      "metrics " + a,
      "metrics " + a + " '" + (dir / "missing.png") + "'",
      "build-dataset --out '" + (dir / "ds1") + "'",
      "build-dataset --procedural --images '" + dir.path + "' --out '" + (dir / "ds2") + "'",
      "build-dataset --procedural --split test --out '" + (dir / "ds3") + "'",
      "bench smoother --method nope",
      "bench conv2d --size 0",
  };
  if (!cuda_available()) bad.push_back("bench conv2d --device cuda --repeats 1 --warmup 0");
  for (const std::string& args : bad) {
    const Run r = csgis_run(dir, args);
    INFO("csgis " << args << "\n  stderr: " << r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind("csgis: error: ", 0) == 0);
    CHECK(r.err.find(".cpp:") == std::string::npos);
    CHECK(r.err.find(".h:") == std::string::npos);
    CHECK(r.err.find("check `") == std::string::npos);
  }
  // --verbose adds where the check failed, on a second line, for bug reports.
  const Run verbose = csgis_run(dir, "--verbose eval --data '" + (dir / "missing") + "'");
  CHECK(verbose.rc != 0);
  CHECK(lines(verbose.err) == 2);
  CHECK(verbose.err.find("data set") != std::string::npos);
}

TEST_CASE("cli: eval scores a plain folder of input/ + gt/ pairs, PNG or JPEG; --out defaults under runs/eval", "[unit]") {
  Scratch dir;
  const fs::path set = fs::path(dir.path) / "my pairs";
  fs::create_directories(set / "input");
  fs::create_directories(set / "gt");
  data::Image in(40, 32, 3), gt(40, 32, 3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c) {
        gt.at(x, y, c) = x < 20 ? 0.2f + 0.1f * c : 0.7f;
        in.at(x, y, c) = gt.at(x, y, c) + ((x + y + c) % 3 == 0 ? 0.08f : -0.04f);
      }
  data::save_png((set / "input/a.png").string(), in);
  data::save_png((set / "gt/a.png").string(), gt);
  data::save_png((set / "input/b.png").string(), in);
  std::vector<uint8_t> bytes(gt.pixels.size());
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(std::lround(gt.pixels[i] * 255.f));
  REQUIRE(stbi_write_jpg((set / "gt/b.jpg").c_str(), 40, 32, 3, bytes.data(), 95));
  const Run r = csgis_run(dir, "eval --data 'my pairs' --methods input,gf --grid-rows 1", dir.path);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const fs::path report = fs::path(dir.path) / "runs/eval/my pairs/report.json";
  REQUIRE(fs::exists(report));
  const nlohmann::json j = nlohmann::json::parse(slurp(report.string()));
  CHECK(j.at("samples").get<int>() == 2);
  CHECK(fs::exists(fs::path(dir.path) / "runs/eval/my pairs/grid.png"));

  // A ground truth missing for one input is named, and nothing is scored.
  fs::remove(set / "gt/b.jpg");
  const Run missing = csgis_run(dir, "eval --data 'my pairs' --methods input -o out2", dir.path);
  CHECK(missing.rc != 0);
  CHECK(missing.err.find("b.png' has no ground truth") != std::string::npos);
  CHECK(!fs::exists(fs::path(dir.path) / "out2"));
}

TEST_CASE("cli: smooth names the method it ran in its last line", "[unit]") {
  Scratch dir;
  data::Image img(30, 24, 3);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = float((i * 37) % 101) / 100.f;
  data::save_png(dir / "in.png", img);
  const std::vector<std::pair<std::string, std::string>> labels{
      {"gf", "GF ("}, {"rgf", "RGF ("}, {"l0", "L0 ("}, {"rtv", "RTV ("},
      {"bf", "BF ("}, {"wls", "WLS ("}, {"sdf", "SDF ("}, {"ils", "ILS ("}};
  for (const auto& [method, label] : labels) {
    const Run r = csgis_run(dir, "smooth -i '" + (dir / "in.png") + "' -o '" + (dir / "out.png") + "' --method " +
                                     method + " --sdf-steps 2 --ils-iterations 2 --rgf-iterations 2");
    INFO(method << ": " << r.out << r.err);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find(", " + label) != std::string::npos);
    CHECK(r.out.find("guided filter") == std::string::npos);
  }
}

namespace {
// A config that trains in a second: a tiny JESS on procedural patches.
std::string tiny_config(const Scratch& dir, const std::string& name, const std::string& data_extra = "",
                        const std::string& top_extra = "") {
  const std::string path = dir / name;
  std::ofstream(path) << R"({"model": {"dim": 4, "feature_blocks": 1, "smooth_blocks": 1, "enhance_blocks": 1},
  "data": {"patch": 16, "sample_size": 24, "batch": 1, "val_count": 1, "val_size": 16, "workers": 0)" +
                             data_extra + R"(},
  "steps": 2, "log_interval": 1, "val_interval": 1, "checkpoint_interval": 1)" + top_extra + "}";
  return path;
}

std::map<std::string, std::string> folder_contents(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files[e.path().filename().string()] = slurp(e.path().string());
  return files;
}
}  // namespace

TEST_CASE("cli: a failed start changes nothing on disk; a fresh run into a run folder needs --force", "[unit]") {
  Scratch dir;
  const std::string good = tiny_config(dir, "good.json");
  const std::string run = dir / "run";
  Run r = csgis_run(dir, "train --config '" + good + "' -o '" + run + "' --quiet");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const auto before = folder_contents(run);
  REQUIRE(before.count("metrics.jsonl") == 1);
  REQUIRE(!before.at("metrics.jsonl").empty());

  // Into the existing run: refused without --force; failed starts with --force or --resume.
  const std::string missing_data = tiny_config(dir, "missing.json", R"(, "source": ")" + (dir / "nowhere") + "\"");
  const std::string huge_batch = tiny_config(dir, "huge.json", R"(, "batch": 1000000000)");
  const std::vector<std::string> failing = {
      "train --config '" + good + "' -o '" + run + "'",
      "train --config '" + missing_data + "' -o '" + run + "' --force",
      "train --config '" + missing_data + "' -o '" + run + "' --resume '" + run + "/checkpoint.safetensors'",
      "train --config '" + huge_batch + "' -o '" + run + "' --force",
      "train --config '" + tiny_config(dir, "steps4.json", "", R"(, "threads": -2)") + "' -o '" + run + "' --force",
  };
  for (const std::string& args : failing) {
    r = csgis_run(dir, args + " --quiet");
    INFO(args << "\n  " << r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(folder_contents(run) == before);
  }
  CHECK(csgis_run(dir, "train --config '" + good + "' -o '" + run + "'").err.find("--force") != std::string::npos);
  CHECK(csgis_run(dir, "train --config '" + huge_batch + "' -o '" + (dir / "new") + "'").err.find("data.batch") !=
        std::string::npos);
  CHECK(!fs::exists(dir / "new"));  // a failed fresh start creates no folder either

  // Range checks of the config: negative or unordered milestones, absurd threads.
  for (const std::string& top : {std::string(R"(, "threads": 5000)")}) {
    r = csgis_run(dir, "train --config '" + tiny_config(dir, "t.json", "", top) + "' -o '" + (dir / "t") + "'");
    CHECK(r.rc != 0);
    CHECK(r.err.find("'threads'") != std::string::npos);
  }
  std::ofstream(dir / "m.json") << R"({"optim": {"milestones": [-5]}})";
  r = csgis_run(dir, "train --config '" + (dir / "m.json") + "' -o '" + (dir / "m") + "'");
  CHECK(r.rc != 0);
  CHECK(r.err.find("optim.milestones") != std::string::npos);

  // --force starts over; a stale temporary of a killed writer is removed, a live one is kept.
  const std::string stale = run + "/checkpoint.safetensors.tmp.999999999.0";
  const std::string live = run + "/checkpoint.safetensors.tmp." + std::to_string(::getpid()) + ".0";
  std::ofstream(stale) << "partial";
  std::ofstream(live) << "partial";
  r = csgis_run(dir, "train --config '" + good + "' -o '" + run + "' --force --quiet");
  INFO(r.err);
  CHECK(r.rc == 0);
  CHECK(!fs::exists(stale));
  CHECK(fs::exists(live));
}

TEST_CASE("cli: a resume may not change the validation set; into a new folder it names only the files there", "[unit]") {
  Scratch dir;
  const std::string two = tiny_config(dir, "two.json");
  Run r = csgis_run(dir, "train --config '" + two + "' -o '" + (dir / "run") + "' --quiet");
  REQUIRE(r.rc == 0);
  const std::string ckpt = dir / "run/checkpoint.safetensors";
  // Same run, four steps, another seed: refused, nothing written.
  r = csgis_run(dir, "train --config '" + tiny_config(dir, "seed9.json", "", R"(, "seed": 9, "steps": 4)") + "' -o '" +
                         (dir / "other") + "' --resume '" + ckpt + "' --quiet");
  INFO(r.err);
  CHECK(r.rc != 0);
  CHECK(r.err.find("seed = 1, the config says 9") != std::string::npos);
  CHECK(!fs::exists(dir / "other"));
  // The same seed into a new folder: it continues; best.safetensors is named only if written.
  r = csgis_run(dir, "train --config '" + tiny_config(dir, "four.json", "", R"(, "steps": 4)") + "' -o '" +
                         (dir / "other") + "' --resume '" + ckpt + "' --quiet");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const bool has_best = fs::exists(dir / "other/best.safetensors");
  CHECK((r.out.find("best.safetensors,") != std::string::npos) == has_best);
  CHECK((r.out.find("no best.safetensors") != std::string::npos) == !has_best);
}

TEST_CASE("cli: bench train-step --profile adds a per-family table whose shares add up to the step", "[unit]") {
  Scratch dir;
  const Run r = csgis_run(dir, "bench train-step --batch 1 --size 24 --dim 4 --feature-blocks 1 --smooth-blocks 1 "
                               "--enhance-blocks 1 --warmup 0 --repeats 2 --threads 2 --profile");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(lines(r.out) == 1);  // stdout stays one JSON line; the table goes to stderr
  const nlohmann::json j = nlohmann::json::parse(r.out);
  REQUIRE(j.contains("profile"));
  double share = 0;
  for (const auto& [name, row] : j["profile"].items()) share += row["share"].get<double>();
  CHECK(share == Approx(1.0).epsilon(0.02));
  CHECK(j["profile"]["Conv2d"]["backward_ms"].get<double>() > 0);
  CHECK(j["profile"]["BatchNorm2d"]["forward_ms"].get<double>() > 0);
  CHECK(r.err.find("Conv2d") != std::string::npos);
  CHECK(r.err.find("(optimizer)") != std::string::npos);
}

TEST_CASE("cli: bench train-step --config runs the config's losses, the VGG16 Gram term included", "[unit]") {
  Scratch dir;
  auto vgg = models::random_vgg16(2);
  save_safetensors(dir / "vgg.safetensors", vgg->state_dict(), models::vgg16_metadata(*vgg, "test"));
  {
    std::ofstream cfg(dir / "c.json");
    cfg << R"({"model": {"dim": 4, "feature_blocks": 1, "smooth_blocks": 1, "enhance_blocks": 1},
               "loss": {"dtv": true, "contrastive_l1": true, "contrastive_gram": true, "vgg_weights": ")"
        << (dir / "vgg.safetensors") << R"("}})";
  }
  Run r = csgis_run(dir, "bench train-step --config '" + (dir / "c.json") + "' --batch 1 --size 24 --warmup 0 --repeats 1");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["losses"] == "edge+recon(S0,S1)+dtv+contrast_gray+contrast_gram(vgg16)");
  CHECK(j["model"]["dim"] == 4);
  CHECK(j["step_ms"].get<double>() > 0);
  CHECK(j["peak_rss_mb"].get<double>() > 0);
  r = csgis_run(dir, "bench train-step --config '" + (dir / "c.json") + "' --dim 8");
  CHECK(r.rc != 0);
  CHECK(r.err.find("excludes") != std::string::npos);
}

TEST_CASE("cli: bench smooth times the smooth path and reports ms per megapixel and peak memory", "[unit]") {
  Scratch dir;
  const std::string w = std::string(CSGIS_TEST_FIXTURES) + "/models/fixtures/jess_small.safetensors";
  const Run r = csgis_run(dir, "bench smooth --weights '" + w + "' --size 80 --tile 48 --overlap 8 --repeats 2 --threads 2");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(lines(r.out) == 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["op"] == "smooth");
  CHECK(j["windows"] == 4);
  CHECK(j["megapixels"].get<double>() == Approx(80.0 * 80.0 / 1e6));
  CHECK(j["median_ms"].get<double>() > 0);
  CHECK(j["ms_per_megapixel"].get<double>() == Approx(j["median_ms"].get<double>() / j["megapixels"].get<double>()));
  CHECK(j["peak_rss_mb"].get<double>() > 0);
  const Run bad = csgis_run(dir, "bench smooth --weights '" + w + "' --size 80 --tile 48 --overlap 30");
  CHECK(bad.rc != 0);
  CHECK(bad.err.find("--overlap") != std::string::npos);
}

TEST_CASE("cli: bench op lists every registered case and times one at a user's shape", "[unit]") {
  Scratch dir;
  const Run list = csgis_run(dir, "bench op --list");
  REQUIRE(list.rc == 0);
  CHECK(lines(list.out) == registry::op_cases().size());
  CHECK(list.out.find("conv2d/3x3_d2 ") != std::string::npos);

  const Run conv = csgis_run(dir, "bench op conv2d/3x3_d2 --shape 1,6,11,13 --repeats 2 --warmup 1 --threads 2");
  INFO(conv.err);
  REQUIRE(conv.rc == 0);
  const nlohmann::json j = nlohmann::json::parse(conv.out);
  CHECK(j["input_shapes"] == nlohmann::json::parse("[[1,6,11,13],[6,6,3,3],[6]]"));
  CHECK(j["output_shape"] == nlohmann::json::parse("[1,6,11,13]"));
  CHECK(j["forward_ms"].get<double>() > 0);
  CHECK(j["backward_ms"].get<double>() > 0);

  // The default rule: element-wise ops take any rank; per-channel inputs follow dimension 1.
  const Run relu = csgis_run(dir, "bench op relu/odd --shape 4,9 --repeats 1 --warmup 0 --device simt");
  REQUIRE(relu.rc == 0);
  CHECK(nlohmann::json::parse(relu.out)["input_shapes"] == nlohmann::json::parse("[[4,9]]"));
  const Run bn = csgis_run(dir, "bench op batchnorm/train_affine --shape 2,5,4,4 --repeats 1 --warmup 0");
  REQUIRE(bn.rc == 0);
  CHECK(nlohmann::json::parse(bn.out)["input_shapes"] == nlohmann::json::parse("[[2,5,4,4],[5],[5]]"));

  for (const std::string& bad : {std::string("bench op nosuch/op"), std::string("bench op conv2d/3x3_d2 --shape 2,x"),
                                 std::string("bench op batchnorm/train_affine --shape 2,5")}) {
    const Run r = csgis_run(dir, bad);
    INFO(bad << ": " << r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
  }
  CHECK(csgis_run(dir, "bench op nosuch/op").err.find("conv2d") != std::string::npos);  // lists the families
}

// What this CPU runs, asked of cpuid directly (an oracle independent of engine/cpu_isa).
static bool cpu_runs_avx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
static bool cpu_runs_avx512() {
#if defined(__x86_64__)
  return cpu_runs_avx2() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

TEST_CASE("cli: CSGIS_CPU_ISA picks the CPU path; a path the CPU or build lacks is one clear line at start", "[unit]") {
  Scratch dir;
  const Run generic = csgis_run(dir, "--version", "", "CSGIS_CPU_ISA=generic");
  REQUIRE(generic.rc == 0);
  CHECK(generic.out.find("CPU kernels: generic (portable loops), CSGIS_CPU_ISA=generic") != std::string::npos);
  const Run bench = csgis_run(dir, "bench conv2d --batch 1 --channels 4 --size 12 --repeats 1 --warmup 0", "",
                              "CSGIS_CPU_ISA=generic");
  REQUIRE(bench.rc == 0);
  CHECK(nlohmann::json::parse(bench.out)["cpu_isa"] == "generic");
  // AVX-512: taken where the CPU has AVX-512F, refused in one line where it does not.
  const bool avx512 = cpu_runs_avx512();
  std::vector<std::string> bad = {"sse9"};
  if (avx512) {
    const Run r = csgis_run(dir, "--version", "", "CSGIS_CPU_ISA=avx512");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("CPU kernels: avx512 (AVX-512F convolution micro-kernels") != std::string::npos);
    const Run unset = csgis_run(dir, "--version");
    CHECK(unset.out.find("CPU kernels: avx512") != std::string::npos);  // the best this CPU has
    const Run b512 = csgis_run(dir, "bench conv2d --batch 1 --channels 4 --size 12 --repeats 1 --warmup 0", "",
                               "CSGIS_CPU_ISA=avx512");
    REQUIRE(b512.rc == 0);
    CHECK(nlohmann::json::parse(b512.out)["cpu_isa"] == "avx512");
  } else {
    bad.push_back("avx512");
  }
  for (const std::string& value : bad) {
    const Run r = csgis_run(dir, "--version", "", "CSGIS_CPU_ISA=" + value);
    INFO(value << ": " << r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(std::string("CSGIS_CPU_ISA")) != std::string::npos);
  }
  CHECK(csgis_run(dir, "--version", "", "CSGIS_CPU_ISA=sse9").err.find("expected avx512, avx2 or generic") !=
        std::string::npos);
}

TEST_CASE("cli: --isa of the benchmarks overrides CSGIS_CPU_ISA for that run; a path the CPU lacks is one line", "[unit]") {
  Scratch dir;
  const bool avx2 = cpu_runs_avx2(), avx512 = cpu_runs_avx512();
  const std::string env = avx2 ? "CSGIS_CPU_ISA=avx2" : "CSGIS_CPU_ISA=generic";
  for (const std::string& cmd : {std::string("bench op conv2d/3x3_d2 --repeats 1 --warmup 0"),
                                 std::string("bench conv2d --batch 1 --channels 4 --size 12 --repeats 1 --warmup 0"),
                                 std::string("bench train-step --batch 1 --size 16 --dim 4 --feature-blocks 1 "
                                             "--smooth-blocks 1 --enhance-blocks 1 --repeats 1 --warmup 0")}) {
    INFO(cmd);
    const Run plain = csgis_run(dir, cmd, "", env);
    REQUIRE(plain.rc == 0);
    CHECK(nlohmann::json::parse(plain.out)["cpu_isa"] == (avx2 ? "avx2" : "generic"));  // the variable's
    const Run generic = csgis_run(dir, cmd + " --isa generic", "", env);
    REQUIRE(generic.rc == 0);
    CHECK(nlohmann::json::parse(generic.out)["cpu_isa"] == "generic");  // the flag wins
    const Run b512 = csgis_run(dir, cmd + " --isa avx512");
    if (avx512) {
      REQUIRE(b512.rc == 0);
      CHECK(nlohmann::json::parse(b512.out)["cpu_isa"] == "avx512");
    } else {
      CHECK(b512.rc != 0);
      CHECK(lines(b512.err) == 1);
      CHECK(b512.err.find("--isa=avx512: this CPU has no AVX-512F") != std::string::npos);
    }
    const Run bad = csgis_run(dir, cmd + " --isa sse9");
    CHECK(bad.rc != 0);
    CHECK(lines(bad.err) == 1);
    CHECK(bad.err.find("--isa='sse9': expected avx512, avx2 or generic") != std::string::npos);
  }
}
