// The csgis driver's inference and evaluation commands, run as a user would: the built binary via
// std::system, with files in a scratch directory. Checks exit codes, one-line errors that name the
// file, and that a failed run leaves existing outputs alone.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/dataset.h"
#include "data/smoothers/guided_filter.h"
#include "data/smoothers/bilateral.h"
#include "data/smoothers/ils.h"
#include "data/smoothers/l0_smoothing.h"
#include "data/smoothers/rolling_guidance.h"
#include "data/smoothers/sd_filter.h"
#include "data/smoothers/wls.h"
#include "data/voc_smooth.h"
#include "engine/autograd.h"
#include "engine/generator.h"
#include "engine/io/safetensors.h"
#include "models/jess.h"
#include "tools/lib/image_metrics.h"
#include "tools/lib/tiled_inference.h"
#include "tests/tools/cli_test_util.h"

using namespace csgis;
namespace fs = std::filesystem;
using namespace csgis::test_cli;

namespace {

data::Image test_picture(int w, int h, uint64_t seed) {
  Generator gen(seed);
  const std::vector<float> noise = Tensor::rand({int64_t(w) * h * 3}, 0.0, 1.0, &gen).to_vector<float>();
  data::Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.at(x, y, c) = 0.5f + 0.3f * float(std::sin(0.2 * x + c) * std::cos(0.15 * y)) +
                          0.2f * (noise[(size_t(y) * w + x) * 3 + c] - 0.5f);
  return img;
}

// A tiny random network saved as a weight file.
std::string tiny_weights(const Scratch& dir, const std::string& name = "tiny.safetensors", int in_c = 3) {
  Generator gen(4);
  models::Jess model(models::JessConfig{in_c, 3, 4, 1, 1, 1});
  autograd::NoGradGuard no_grad;  // parameters are leaves that require grad
  for (Tensor& p : model.parameters()) p.copy_(Tensor::randn(p.shape(), &gen) * 0.3);
  const std::string path = dir / name;
  models::save_jess(path, model);
  return path;
}

}  // namespace

TEST_CASE("cli: --help works for every inference/evaluation command", "[unit]") {
  Scratch dir;
  for (const char* cmd : {"smooth", "eval", "tune-gf", "metrics"}) {
    const Run r = csgis_run(dir, std::string(cmd) + " --help");
    INFO(cmd << ": " << r.err);
    CHECK(r.rc == 0);
    CHECK(r.out.find("Usage") != std::string::npos);
  }
  CHECK(csgis_run(dir, "smooth --help").out.find("--overlap") != std::string::npos);
  CHECK(csgis_run(dir, "eval --help").out.find("--methods") != std::string::npos);
}

TEST_CASE("cli: metrics prints one JSON line; mismatched sizes fail naming both files", "[unit]") {
  Scratch dir;
  data::Image a(16, 12, 3, 0.f), b(16, 12, 3, 0.f);
  b.at(3, 4, 0) = 51.f / 255.f;  // one byte off by 51: exact in 8 bits
  data::save_png(dir / "a.png", a);
  data::save_png(dir / "b.png", b);
  Run r = csgis_run(dir, "metrics -a '" + (dir / "a.png") + "' -b '" + (dir / "b.png") + "'");
  REQUIRE(r.rc == 0);
  CHECK(lines(r.out) == 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const double mse = (0.2 * 0.2) / (16 * 12 * 3);
  CHECK(j.at("psnr").get<double>() == Approx(10 * std::log10(1 / mse)).epsilon(1e-6));
  CHECK(j.at("ssim").get<double>() == Approx(tools::ssim(data::load_image(dir / "a.png"), data::load_image(dir / "b.png"))));

  r = csgis_run(dir, "metrics -a '" + (dir / "a.png") + "' -b '" + (dir / "a.png") + "'");
  REQUIRE(r.rc == 0);
  CHECK(nlohmann::json::parse(r.out).at("psnr").is_null());  // identical: infinite PSNR

  data::save_png(dir / "c.png", data::Image(15, 12, 3));
  r = csgis_run(dir, "metrics -a '" + (dir / "a.png") + "' -b '" + (dir / "c.png") + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("a.png") != std::string::npos);
  CHECK(r.err.find("c.png") != std::string::npos);
  r = csgis_run(dir, "metrics -a '" + (dir / "missing.png") + "' -b '" + (dir / "a.png") + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("cannot read '" + (dir / "missing.png") + "'") != std::string::npos);
}

TEST_CASE("cli: smooth a folder (tiled and not) matches the library", "[unit]") {
  Scratch dir;
  const std::string w = tiny_weights(dir);
  fs::create_directories(dir / "in");
  data::save_png(dir / "in/small.png", test_picture(40, 30, 1));
  data::save_png(dir / "in/large.png", test_picture(100, 90, 2));
  std::ofstream(dir / "in/notes.txt") << "not an image";
  const Run r = csgis_run(dir, "smooth --weights '" + w + "' -i '" + (dir / "in") + "' -o '" + (dir / "out") +
                                   "' --tile 64 --overlap 16 --grid '" + (dir / "sheet.png") + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.out.find("smoothed 2 of 2 images") != std::string::npos);
  {  // the contact sheet: a row per image (sorted: large, small), input | output
    const data::Image sheet = data::load_image(dir / "sheet.png");
    CHECK(sheet.width == 2 + 2 * (100 + 2));
    CHECK(sheet.height == 2 + (90 + 2) + (30 + 2));
    const data::Image large_in = data::load_image(dir / "in/large.png");
    CHECK(sheet.at(2 + 5, 2 + 7, 1) == large_in.at(5, 7, 1));
  }
  const Run bad_grid = csgis_run(dir, "smooth --weights '" + w + "' -i '" + (dir / "in") + "' -o '" + (dir / "out2") +
                                          "' --grid '" + (dir / "sheet.jpg") + "'");
  CHECK(bad_grid.rc != 0);
  CHECK(bad_grid.err.find("--grid") != std::string::npos);
  CHECK(!fs::exists(dir / "out2"));
  auto model = tools::load_smoother(w, "cpu");
  for (const char* name : {"small", "large"}) {
    const data::Image in = data::load_image(dir / ("in/" + std::string(name) + ".png"));
    const data::Image got = data::load_image(dir / ("out/" + std::string(name) + ".png"));
    REQUIRE(got.width == in.width);
    REQUIRE(got.height == in.height);
    const data::Image want = tools::to_saved_image(tools::smooth_tensor(*model, in, tools::TileOptions{64, 16}));
    double worst = 0;
    for (size_t i = 0; i < got.pixels.size(); ++i) worst = std::max(worst, double(std::abs(got.pixels[i] - want.pixels[i])));
    CHECK(worst <= 1.0 / 255 + 1e-6);  // thread counts may flip a truncation, no more
  }
  CHECK(!fs::exists(dir / "out/notes.png"));

  // A single file into an existing folder, and with the guided filter (no weights needed).
  const Run g = csgis_run(dir, "smooth --method gf -i '" + (dir / "in/small.png") + "' -o '" + (dir / "gf.png") + "'");
  INFO(g.err);
  CHECK(g.rc == 0);
  CHECK(data::load_image(dir / "gf.png").width == 40);
}

TEST_CASE("cli: smooth errors are one line naming the file and damage nothing", "[unit]") {
  Scratch dir;
  const std::string w = tiny_weights(dir);
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "out");
  data::save_png(dir / "in/a.png", test_picture(20, 20, 1));
  data::save_png(dir / "out/a.png", data::Image(5, 5, 3, 0.5f));  // from an earlier run
  const std::string before = slurp(dir / "out/a.png");
  const std::string folder_args = " -i '" + (dir / "in") + "' -o '" + (dir / "out") + "'";

  auto expect_failure = [&](const Run& r, const std::string& names) {
    INFO(r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind("csgis: error: ", 0) == 0);
    CHECK(r.err.find(names) != std::string::npos);
    CHECK(slurp(dir / "out/a.png") == before);
  };
  // Missing input file.
  expect_failure(csgis_run(dir, "smooth --weights '" + w + "' -i '" + (dir / "nope.png") + "' -o '" + (dir / "out/x.png") + "'"),
                 dir / "nope.png");
  // Corrupt files next to a good one: the good one is smoothed, every bad one is named with its
  // reason, and the run ends non-zero with a summary line.
  std::ofstream(dir / "in/b.png") << "\x89PNG\r\n garbage";
  std::ofstream(dir / "in/c.jpg") << "not a JPEG";
  {
    const Run r = csgis_run(dir, "smooth --weights '" + w + "'" + folder_args);
    INFO(r.err);
    CHECK(r.rc != 0);
    size_t error_lines = 0;
    for (size_t at = r.err.find("csgis: error: "); at != std::string::npos; at = r.err.find("csgis: error: ", at + 1))
      ++error_lines;
    CHECK(error_lines == 3);  // one per bad file, one summary (the progress bar aside)
    CHECK(r.err.find("cannot read '" + (dir / "in/b.png") + "': ") != std::string::npos);
    CHECK(r.err.find("cannot read '" + (dir / "in/c.jpg") + "': ") != std::string::npos);
    CHECK(r.err.find("2 of 3 images in '" + (dir / "in") + "' could not be read") != std::string::npos);
    CHECK(r.out.find("smoothed 1 of 3 images") != std::string::npos);
    CHECK(data::load_image(dir / "out/a.png").width == 20);  // the good image was smoothed
    CHECK(!fs::exists(dir / "out/b.png"));
    CHECK(!fs::exists(dir / "out/c.png"));
  }
  fs::remove(dir / "in/b.png");
  fs::remove(dir / "in/c.jpg");
  data::save_png(dir / "out/a.png", data::Image(5, 5, 3, 0.5f));  // as before the run
  // Weights for grey images (another input shape).
  const std::string grey = tiny_weights(dir, "grey.safetensors", 1);
  expect_failure(csgis_run(dir, "smooth --weights '" + grey + "'" + folder_args), grey);
  // A weight file with a tensor of the wrong shape.
  SafetensorsFile f = load_safetensors(w);
  for (auto& kv : f.tensors)
    if (kv.first == "descriptor.conv_in.weight") kv.second = Tensor::zeros({4, 3, 5, 5});
  save_safetensors(dir / "bad.safetensors", f.tensors);
  expect_failure(csgis_run(dir, "smooth --weights '" + (dir / "bad.safetensors") + "'" + folder_args), dir / "bad.safetensors");
  // Missing weights; not a weight file at all.
  expect_failure(csgis_run(dir, "smooth --weights '" + (dir / "none.safetensors") + "'" + folder_args), dir / "none.safetensors");
  expect_failure(csgis_run(dir, "smooth --weights '" + (dir / "in/a.png") + "'" + folder_args), dir / "in/a.png");
  // Output onto the input folder.
  expect_failure(csgis_run(dir, "smooth --weights '" + w + "' -i '" + (dir / "in") + "' -o '" + (dir / "in") + "'"), dir / "in");
  // The original is never replaced: -o naming the input, -o the input's own folder, or a hard
  // link to the input.
  const std::string original = slurp(dir / "in/a.png");
  for (const std::string& target : {dir / "in/a.png", dir / "in", dir / "link.png"}) {
    if (target == dir / "link.png") fs::create_hard_link(dir / "in/a.png", target);
    const Run r = csgis_run(dir, "smooth --weights '" + w + "' -i '" + (dir / "in/a.png") + "' -o '" + target + "'");
    INFO(target << ": " << r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("is the input") != std::string::npos);
    CHECK(slurp(dir / "in/a.png") == original);
  }
  fs::remove(dir / "link.png");
  // The same folder run with good inputs does replace the old output.
  const Run ok = csgis_run(dir, "smooth --weights '" + w + "'" + folder_args);
  INFO(ok.err);
  CHECK(ok.rc == 0);
  CHECK(data::load_image(dir / "out/a.png").width == 20);
}

TEST_CASE("cli: eval writes the Table 1 report and grid; tune-gf prints the best", "[unit]") {
  Scratch dir;
  const std::string w = tiny_weights(dir);
  const std::string data_dir = dir / "set";
  for (const std::string& m : data::dataset_map_dirs()) fs::create_directories(data_dir + "/" + m);
  for (int k = 0; k < 3; ++k) {
    data::Sample s;
    s.name = "s" + std::to_string(k);
    s.gt = test_picture(24, 20, 10 + uint64_t(k));
    s.input = test_picture(24, 20, 20 + uint64_t(k));
    s.over = s.gt;
    s.edge = data::LabelMap(24, 20, 0);
    s.seg = data::LabelMap(24, 20, 0);
    data::write_sample(data_dir, s);
  }
  const std::string out = dir / "report";
  Run r = csgis_run(dir, "eval --data '" + data_dir + "' --weights '" + w + "' --methods input,net,gf --grid-rows 2 --out '" + out + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.out.find("| method | SSIM | PSNR |") != std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(slurp(out + "/report.json"));
  REQUIRE(j.at("methods").size() == 3);
  CHECK(j.at("samples") == 3);
  tools::ScoreMean input_mean;
  for (int k = 0; k < 3; ++k) {
    const std::string stem = "s" + std::to_string(k);
    input_mean.add(tools::score_images(data::load_image(data_dir + "/input/" + stem + ".png"),
                                       data::load_image(data_dir + "/gt/" + stem + ".png")));
  }
  CHECK(j["methods"][0]["method"] == "input");
  CHECK(j["methods"][0]["psnr"].get<double>() == Approx(input_mean.mean().psnr));
  CHECK(j["methods"][0]["ssim"].get<double>() == Approx(input_mean.mean().ssim));
  CHECK(slurp(out + "/report.md").find("| input | ") != std::string::npos);
  const data::Image grid = data::load_image(out + "/grid.png");
  CHECK(grid.width == 2 + 4 * (24 + 2));  // input | net | gf | gt
  CHECK(grid.height == 2 + 2 * (20 + 2));

  // The classical baselines beyond GF need no weights; their scores are those of the library calls.
  const std::string out2 = dir / "report2";
  r = csgis_run(dir, "eval --data '" + data_dir + "' --methods rgf,l0,rtv --rgf-iterations 2 --grid-rows 0 --out '" + out2 + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const nlohmann::json j2 = nlohmann::json::parse(slurp(out2 + "/report.json"));
  REQUIRE(j2.at("methods").size() == 3);
  CHECK(j2.at("rgf").at("iterations") == 2);
  {
    data::smoothers::RollingGuidanceParams rp;
    rp.iterations = 2;
    const data::Image in0 = data::load_image(data_dir + "/input/s0.png"), gt0 = data::load_image(data_dir + "/gt/s0.png");
    auto as_png = [](const data::Image& img) { return data::quantized_8bit(img); };
    const tools::ImageScores rgf0 = tools::score_images(as_png(data::smoothers::rolling_guidance_filter(in0, rp)), gt0);
    const tools::ImageScores l00 = tools::score_images(as_png(data::smoothers::l0_smoothing(in0)), gt0);
    CHECK(j2["per_image"][0]["rgf"]["psnr"].get<double>() == Approx(rgf0.psnr));
    CHECK(j2["per_image"][0]["l0"]["ssim"].get<double>() == Approx(l00.ssim));
  }
  // The paper's other classical operators, with a flag of each reaching the library call.
  const std::string out3 = dir / "report3";
  r = csgis_run(dir, "eval --data '" + data_dir + "' --methods bf,wls,sdf,ils --bf-radius 3 --sdf-steps 2 --grid-rows 0 --out '" +
                         out3 + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  {
    const nlohmann::json j3 = nlohmann::json::parse(slurp(out3 + "/report.json"));
    REQUIRE(j3.at("methods").size() == 4);
    CHECK(j3.at("sdf").at("steps") == 2);
    data::smoothers::BilateralParams bp;
    bp.radius = 3;
    data::smoothers::SdFilterParams sp;
    sp.steps = 2;
    const data::Image in0 = data::load_image(data_dir + "/input/s0.png"), gt0 = data::load_image(data_dir + "/gt/s0.png");
    auto score = [&](const data::Image& out) { return tools::score_images(data::quantized_8bit(out), gt0); };
    CHECK(j3["per_image"][0]["bf"]["psnr"].get<double>() == Approx(score(data::smoothers::bilateral(in0, bp)).psnr));
    CHECK(j3["per_image"][0]["wls"]["psnr"].get<double>() == Approx(score(data::smoothers::wls_filter(in0)).psnr));
    CHECK(j3["per_image"][0]["sdf"]["ssim"].get<double>() == Approx(score(data::smoothers::sd_filter(in0, sp)).ssim));
    CHECK(j3["per_image"][0]["ils"]["ssim"].get<double>() == Approx(score(data::smoothers::ils_smoothing(in0)).ssim));
  }
  r = csgis_run(dir, "smooth --method ils --ils-iterations 0 -i '" + data_dir + "/input/s1.png' -o '" + (dir / "ils.png") + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("iterations must be >= 1") != std::string::npos);
  r = csgis_run(dir, "smooth --method rgf -i '" + data_dir + "/input/s1.png' -o '" + (dir / "rgf.png") + "'");
  INFO(r.err);
  CHECK(r.rc == 0);
  CHECK(data::load_image(dir / "rgf.png").width == 24);
  r = csgis_run(dir, "eval --data '" + data_dir + "' --methods input,bogus --out '" + out + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("bogus") != std::string::npos);
  r = csgis_run(dir, "eval --data '" + (dir / "nowhere") + "' --methods input --out '" + out + "'");
  CHECK(r.rc != 0);
  CHECK(r.err.find(dir / "nowhere") != std::string::npos);

  r = csgis_run(dir, "tune-gf --data '" + data_dir + "' --gf-radius 1,2 --gf-eps 0.01,0.1");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const nlohmann::json best = nlohmann::json::parse(r.out);
  CHECK((best.at("radius") == 1 || best.at("radius") == 2));
  CHECK((best.at("eps") == 0.01 || best.at("eps") == 0.1));
  CHECK(best.at("samples") == 3);
}

TEST_CASE("cli: build-dataset --images builds a VOC-smooth folder; bad flags are one line", "[unit]") {
  Scratch dir;
  fs::create_directories(dir / "photos");
  // Flat blocks with mild noise: some classical operator flattens them and passes eq. 12.
  data::Image photo(40, 32, 3);
  Generator gen(7);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c)
        photo.at(x, y, c) = (x < 20 ? 0.3f : 0.7f) + 0.05f * float(c) + float(gen.uniform(-0.02, 0.02));
  data::save_png(dir / "photos/p.png", photo);
  const std::string out = dir / "voc", split = data::photo_split_name(data::photo_split("p"));
  Run r = csgis_run(dir, "build-dataset --images '" + (dir / "photos") + "' --split " + split +
                             " --textures-per-image 2 --out '" + out + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.out.find("1 ground truths from 1 " + split + " photos") != std::string::npos);
  const nlohmann::json m = nlohmann::json::parse(slurp(out + "/manifest.json"));
  CHECK(m.at("generator") == "csgis-voc-smooth");
  CHECK(m.at("ground_truth").at("p").at("candidates").size() == 5);  // bf, l0, rgf, rtv, sdf
  CHECK(data::FolderDataset(out).size() == m.at("count").get<int64_t>());
  CHECK(m.at("parameters").at("texture_source").at("folders")[0] == data::default_texture_dir());
  // The photo is in one split only: another split of the same folder is one line saying so.
  const std::string other = split == "train" ? "val" : "train";
  r = csgis_run(dir, "build-dataset --images '" + (dir / "photos") + "' --split " + other + " --out '" + (dir / "o") + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("none of the 1 photos of") != std::string::npos);
  CHECK(r.err.find("falls in the " + other + " split") != std::string::npos);

  r = csgis_run(dir, "build-dataset --procedural --images '" + (dir / "photos") + "' --out '" + (dir / "x") + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("exactly one of --procedural and --images") != std::string::npos);
  // Pure noise: no candidate passes, which is an error naming the threshold (the manifest stays).
  fs::create_directories(dir / "noise");
  data::save_png(dir / "noise/n.png", test_picture(40, 32, 7));
  r = csgis_run(dir, "build-dataset --images '" + (dir / "noise") + "' --split " + data::photo_split_name(data::photo_split("n")) +
                         " --out '" + (dir / "z") + "'");
  CHECK(r.rc != 0);
  CHECK(r.err.find("none of the 1 photos") != std::string::npos);
  CHECK(fs::exists(dir / "z/manifest.json"));
  r = csgis_run(dir, "build-dataset --images '" + (dir / "nowhere") + "' --out '" + (dir / "y") + "'");
  CHECK(r.rc != 0);
  CHECK(r.err.find(dir / "nowhere") != std::string::npos);
}

TEST_CASE("cli: eval --tune picks each operator's setting on the tuning set and reports time per megapixel", "[unit]") {
  Scratch dir;
  // Targets made by GF (radius 4, eps 0.04): that grid point must win the tuning, on any set.
  auto make_set = [&](const std::string& root, uint64_t seed) {
    for (const std::string& m : data::dataset_map_dirs()) fs::create_directories(root + "/" + m);
    for (int k = 0; k < 4; ++k) {
      data::Sample s;
      s.name = "s" + std::to_string(k);
      s.input = data::quantized_8bit(test_picture(31, 23, seed + uint64_t(k)));
      data::smoothers::GuidedFilterParams p;
      p.radius = 4;
      p.eps = 0.04;
      s.gt = data::smoothers::guided_filter(s.input, p);
      s.over = s.gt;
      s.edge = data::LabelMap(31, 23, 0);
      s.seg = data::LabelMap(31, 23, 0);
      data::write_sample(root, s);
    }
  };
  make_set(dir / "train", 40);
  make_set(dir / "test", 50);
  const std::string out = dir / "report";
  Run r = csgis_run(dir, "eval --data '" + (dir / "test") + "' --tune '" + (dir / "train") +
                             "' --methods input,gf,l0 --grid-rows 0 --out '" + out + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const nlohmann::json j = nlohmann::json::parse(slurp(out + "/report.json"));
  REQUIRE(j.at("tuning").size() == 2);  // gf and l0; input has nothing to tune
  CHECK(j["tuning"][0]["method"] == "gf");
  CHECK(j["tuning"][0]["best"] == "radius 4, eps 0.04");
  CHECK(j["tuning"][0]["grid"].size() == 9);
  CHECK(j["gf"]["radius"] == 4);
  CHECK(j["gf"]["eps"].get<double>() == Approx(0.04));
  CHECK(j["methods"][1]["label"].get<std::string>().find("r 4, eps 0.0400") != std::string::npos);
  // The generating setting: only 8-bit rounding is left (null: identical, infinite PSNR).
  CHECK((j["methods"][1]["psnr"].is_null() || j["methods"][1]["psnr"].get<double>() > 40));
  CHECK(j["methods"][1]["seconds_per_megapixel"].get<double>() > 0);
  CHECK(j["tuning"][1]["method"] == "l0");
  CHECK(slurp(out + "/report.md").find("(best)") != std::string::npos);
  CHECK(j["tuning"][0]["samples"] == 4);

  // --limit and --tune-limit take samples spread over the set, not the first ones.
  r = csgis_run(dir, "eval --data '" + (dir / "test") + "' --tune '" + (dir / "train") +
                         "' --tune-limit 2 --limit 2 --methods input,gf --grid-rows 0 --out '" + out + "'");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const nlohmann::json lim = nlohmann::json::parse(slurp(out + "/report.json"));
  REQUIRE(lim.at("per_image").size() == 2);
  CHECK(lim["per_image"][0]["stem"] == "s0");
  CHECK(lim["per_image"][1]["stem"] == "s2");
  CHECK(lim["tuning"][0]["samples"] == 2);

  r = csgis_run(dir, "eval --data '" + (dir / "test") + "' --tune '" + (dir / "test") + "' --methods gf --out '" + out + "'");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("--tune") != std::string::npos);
  r = csgis_run(dir, "eval --data '" + (dir / "test") + "' --tune '" + (dir / "nowhere") + "' --methods gf --out '" + out + "'");
  CHECK(r.rc != 0);
  CHECK(r.err.find(dir / "nowhere") != std::string::npos);
}

TEST_CASE("cli: build-dataset crops, texture folders, resuming, skipped photos and bad flags", "[unit]") {
  Scratch dir;
  for (const char* d : {"photos", "tex1", "tex2/sub", "empty"}) fs::create_directories(dir / d);
  data::Image photo(40, 32, 3);
  Generator gen(3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c)
        photo.at(x, y, c) = (x < 20 ? 0.3f : 0.7f) + 0.05f * float(c) + float(gen.uniform(-0.02, 0.02));
  const std::string stem = "wall";
  const std::string split = data::photo_split_name(data::photo_split(stem));
  data::save_png(dir / ("photos/" + stem + ".png"), photo);
  std::ofstream(dir / "photos/broken.png") << "not a png";
  const bool broken_here = data::photo_split("broken") == data::photo_split(stem);
  for (int k = 0; k < 6; ++k)  // textures as images, in two folders
    data::save_png(dir / (k < 3 ? "tex1/t" : "tex2/sub/t") + std::to_string(k) + ".png", test_picture(24, 20, uint64_t(k)));
  const std::string base = "build-dataset --images '" + (dir / "photos") + "' --split " + split +
                           " --textures '" + (dir / "tex1") + "," + (dir / "tex2") +
                           "' --crops 2 --crop-size 16 --smooth-window 8 --textures-per-image 1 --out '" + (dir / "set") + "'";
  Run r = csgis_run(dir, base);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const std::string first = slurp(dir / "set/manifest.json");
  const nlohmann::json m = nlohmann::json::parse(first);
  CHECK(m.at("parameters").at("crops") == 2);
  CHECK(m.at("parameters").at("texture_source").at("folders").size() == 2);
  CHECK(m.at("parameters").at("texture_list").size() >= 1);
  CHECK(m.at("ground_truth").contains(stem + "_c0"));
  CHECK(m.at("ground_truth").contains(stem + "_c1"));
  CHECK(r.err.find("ground truths") != std::string::npos);  // the stage bars
  CHECK((r.err.find("warning: skipped 'broken': unreadable") != std::string::npos) == broken_here);
  // A rerun resumes (nothing left to do) and says so; other flags on the same folder are refused.
  r = csgis_run(dir, base);
  REQUIRE(r.rc == 0);
  const int photos_here = broken_here ? 2 : 1;
  CHECK(r.err.find("resumed: " + std::to_string(photos_here) + " of " + std::to_string(photos_here) +
                   " photos were already done") !=
        std::string::npos);
  CHECK(slurp(dir / "set/manifest.json") == first);
  r = csgis_run(dir, base + " --max-side 20");
  CHECK(r.rc != 0);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("max_side was 0, now 20") != std::string::npos);

  const std::string help = csgis_run(dir, "build-dataset --help").out;
  for (const char* flag : {"--max-side", "--crops", "--crop-size", "--texture-max-side", "--textures", "test",
                           "--smooth-coverage"})
    CHECK(help.find(flag) != std::string::npos);
  const std::string photos = "build-dataset --images '" + (dir / "photos") + "' --out '" + (dir / "bad") + "' ";
  for (const auto& [flags, needle] : std::vector<std::pair<std::string, std::string>>{
           {"--max-side=-1", "--max-side must be >= 0"},
           {"--crops=-1", "--crops must be >= 0"},
           {"--crops 2", "--crops 2 needs --crop-size"},
           {"--crops 1 --crop-size 64 --max-side 32", "--crop-size 64 is larger than --max-side 32"},
           {"--textures '" + (dir / "empty") + "'", "'" + (dir / "empty") + "' holds no texture"},
           {"--smooth-coverage 1.5", "--smooth-coverage must be in [0, 1]"},
       }) {
    r = csgis_run(dir, photos + flags);
    INFO(flags);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(needle) != std::string::npos);
  }
  r = csgis_run(dir, "build-dataset --procedural --split test --out '" + (dir / "bad") + "'");
  CHECK(r.rc != 0);
  CHECK(r.err.find("--split test needs --images") != std::string::npos);
}

TEST_CASE("cli: weights with a NaN, an infinity or a negative variance are refused before anything is written", "[unit]") {
  Scratch dir;
  data::save_png(dir / "in.png", test_picture(40, 30, 3));
  const std::string good = tiny_weights(dir);
  // Copies of the good file with one value replaced in one tensor.
  auto damaged = [&](const std::string& name, const std::string& tensor_name, int64_t index, double value) {
    auto model = models::load_jess(good);
    autograd::NoGradGuard no_grad;
    bool found = false;
    for (auto& [n, t] : model->state_dict())
      if (n == tensor_name) {
        std::vector<float> v = t.to_vector<float>();
        v[size_t(index)] = float(value);
        t.copy_(Tensor::from_vector(v, t.shape()));
        found = true;
      }
    REQUIRE(found);
    const std::string path = dir / name;
    models::save_jess(path, *model);
    return path;
  };
  std::string conv_weight, running_var;
  {
    auto model = models::load_jess(good);
    for (const auto& [n, t] : model->state_dict()) {
      if (conv_weight.empty() && t.dim() == 4) conv_weight = n;
      if (running_var.empty() && n.size() > 12 && n.substr(n.size() - 12) == ".running_var") running_var = n;
    }
  }
  REQUIRE(!conv_weight.empty());
  REQUIRE(!running_var.empty());
  struct Case { std::string file, tensor; double value; std::string says; };
  const std::vector<Case> cases{
      {damaged("nan.safetensors", conv_weight, 5, std::nan("")), conv_weight, 0, "holds NaN at index 5"},
      {damaged("inf.safetensors", conv_weight, 2, INFINITY), conv_weight, 0, "holds an infinity at index 2"},
      {damaged("nanvar.safetensors", running_var, 1, std::nan("")), running_var, 0, "holds NaN at index 1"},
      {damaged("negvar.safetensors", running_var, 0, -0.5), running_var, 0, "negative variance -0.5 at index 0"},
  };
  for (const Case& c : cases) {
    const std::string out = dir / ("out_" + fs::path(c.file).stem().string() + ".png");
    const Run r = csgis_run(dir, "smooth --weights '" + c.file + "' -i '" + (dir / "in.png") + "' -o '" + out + "'");
    INFO(c.file << ": " << r.err);
    CHECK(r.rc != 0);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("'" + c.tensor + "'") != std::string::npos);
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(!fs::exists(out));
  }
  // Finite weights whose output overflows: the output is refused, nothing is written.
  {
    auto model = models::load_jess(good);
    autograd::NoGradGuard no_grad;
    for (Tensor& p : model->parameters()) p.copy_(p * 1e12);
    models::save_jess(dir / "huge.safetensors", *model);
  }
  const Run huge = csgis_run(dir, "smooth --weights '" + (dir / "huge.safetensors") + "' -i '" + (dir / "in.png") +
                                      "' -o '" + (dir / "huge.png") + "'");
  INFO(huge.err);
  CHECK(huge.rc != 0);
  CHECK(huge.err.find("the network's output is") != std::string::npos);
  CHECK(!fs::exists(dir / "huge.png"));
}
