// tools::Baselines, the classical smoothers as `smooth --method` and `eval --methods` offer them:
// every name dispatches to its library call with the parameters its --NAME-* flags set.
#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>
#include <set>

#include "engine/error.h"
#include "engine/generator.h"
#include "tools/baseline_tuning.h"
#include "tools/baselines.h"

using namespace csgis;
namespace sm = csgis::data::smoothers;

namespace {

data::Image picture(int W, int H, uint64_t seed) {
  Generator g(seed);
  data::Image img(W, H, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) img.at(x, y, c) = (x < W / 2 ? 0.3f : 0.7f) + float(g.uniform(-0.05, 0.05));
  return img;
}

// Parses `args` (flags only) into a fresh Baselines and validates it.
tools::Baselines parsed(const std::vector<std::string>& args) {
  tools::Baselines b;
  CLI::App app("test");
  b.add_options(&app);
  std::vector<std::string> argv(args.rbegin(), args.rend());  // CLI11 takes them reversed
  app.parse(argv);
  b.validate();
  return b;
}

}  // namespace

TEST_CASE("baselines: bf, wls, sdf and ils dispatch with their flags", "[unit]") {
  const data::Image img = picture(19, 13, 3);
  const tools::Baselines b = parsed({"--bf-sigma-s", "2", "--bf-sigma-r", "0.2", "--bf-radius", "3", "--wls-lambda",
                                     "0.5", "--wls-alpha", "1.5", "--sdf-lambda", "5", "--sdf-mu", "20", "--sdf-nu",
                                     "100", "--sdf-steps", "3", "--ils-lambda", "4", "--ils-gamma", "0.05",
                                     "--ils-iterations", "2"});
  sm::BilateralParams bf;
  bf.sigma_s = 2;
  bf.sigma_r = 0.2;
  bf.radius = 3;
  sm::WlsParams wls;
  wls.lambda = 0.5;
  wls.alpha = 1.5;
  sm::SdFilterParams sdf;
  sdf.lambda = 5;
  sdf.mu = 20;
  sdf.nu = 100;
  sdf.steps = 3;
  sm::IlsParams ils;
  ils.lambda = 4;
  ils.gamma = 0.05;
  ils.iterations = 2;
  CHECK(b.apply("bf", img).pixels == sm::bilateral(img, bf).pixels);
  CHECK(b.apply("wls", img).pixels == sm::wls_filter(img, wls).pixels);
  CHECK(b.apply("sdf", img).pixels == sm::sd_filter(img, sdf).pixels);
  CHECK(b.apply("ils", img).pixels == sm::ils_smoothing(img, ils).pixels);
  // The defaults differ from these settings, so the flags did reach the calls.
  CHECK(b.apply("ils", img).pixels != sm::ils_smoothing(img).pixels);
  for (const char* name : {"bf", "wls", "sdf", "ils"}) {
    CHECK(tools::Baselines::is_baseline(name));
    CHECK(std::string(tools::Baselines::kNames).find(name) != std::string::npos);
  }
  CHECK(b.label("bf") == "BF (sigma_s 2.00, sigma_r 0.200, r 3)");
  CHECK(b.label("sdf") == "SDF (lambda 5.00, mu 20.0, nu 100.0, 3 steps)");
  CHECK(b.label("ils").find("2 iterations") != std::string::npos);
  CHECK(b.label("wls") == "WLS (lambda 0.500, alpha 1.50)");
  const nlohmann::json j = b.params_json();
  CHECK(j.at("bf").at("radius") == 3);
  CHECK(j.at("sdf").at("steps") == 3);
  CHECK(j.at("ils").at("gamma").get<double>() == Approx(0.05));
  CHECK(j.at("wls").at("alpha").get<double>() == Approx(1.5));
  CHECK(tools::Baselines().params_json().at("bf").at("radius") == 4);  // OpenCV's rule for sigma_s 3
  CHECK_FALSE(tools::Baselines::is_baseline("bilateral"));
  CHECK_THROWS_WITH(b.apply("bogus", img), Catch::Contains("unknown classical smoother 'bogus'"));
}

TEST_CASE("baselines: a bad --bf/--wls/--sdf/--ils value is refused naming it", "[unit]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bf-sigma-s", "0"}, "sigma_s must be > 0"},   {{"--bf-sigma-r", "-1"}, "sigma_r must be > 0"},
      {{"--bf-radius", "-1"}, "radius must be >= 0"},   {{"--wls-lambda", "0"}, "WLS: lambda must be > 0"},
      {{"--wls-alpha", "-2"}, "WLS: alpha must be > 0"}, {{"--sdf-steps", "0"}, "SD filter: steps must be >= 1"},
      {{"--sdf-nu", "0"}, "SD filter: nu must be > 0"}, {{"--sdf-mu", "-1"}, "SD filter: mu must be >= 0"},
      {{"--sdf-lambda", "0"}, "SD filter: lambda must be > 0"}, {{"--ils-iterations", "0"}, "ILS: iterations must be >= 1"},
      {{"--ils-gamma", "0"}, "ILS: gamma must be > 0"}, {{"--ils-lambda", "-1"}, "ILS: lambda must be > 0"}};
  for (const auto& [args, message] : cases) {
    INFO(args[0]);
    CHECK_THROWS_WITH(parsed(args), Catch::Contains(message));
  }
}

TEST_CASE("baselines: every operator has an eval --tune grid whose settings change only its own parameters", "[unit]") {
  const data::Image img = picture(17, 15, 5);
  std::string names = tools::Baselines::kNames;
  size_t methods = 0;
  for (size_t start = 0; start < names.size();) {
    const size_t end = std::min(names.find(',', start), names.size());
    std::string name = names.substr(start, end - start);
    name.erase(0, name.find_first_not_of(' '));
    start = end + 1;
    ++methods;
    INFO(name);
    const std::vector<tools::TuneSetting> grid = tools::tuning_grid(name);
    REQUIRE(grid.size() >= 3);
    const tools::Baselines base;
    const nlohmann::json before = base.params_json();
    std::set<std::string> outputs;
    for (const tools::TuneSetting& s : grid) {
      tools::Baselines b = base;
      s.apply(b);
      b.validate();  // every grid point is a valid setting
      nlohmann::json after = b.params_json();
      for (auto it = before.begin(); it != before.end(); ++it)
        if (it.key() != name) CHECK(after[it.key()] == it.value());  // other operators untouched
      const data::Image out = b.apply(name, img);
      outputs.insert(std::string(reinterpret_cast<const char*>(out.pixels.data()), out.pixels.size() * sizeof(float)));
    }
    CHECK(outputs.size() == grid.size());  // every setting really changes the result
  }
  CHECK(methods == 8);
  CHECK_THROWS_WITH(tools::tuning_grid("nope"), Catch::Contains("nope"));
}
