// `csgis enhance` (detail enhancement, clip(I + K (I - S))): the formula by hand, and the command
// against the library on the network and on a classical smoother, with its bad-input errors.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/smoothers/guided_filter.h"
#include "engine/generator.h"
#include "tools/lib/detail_enhance.h"

using namespace csgis;
namespace fs = std::filesystem;

namespace {

data::Image random_picture(int w, int h, uint64_t seed) {
  Generator gen(seed);
  const std::vector<float> v = Tensor::rand({int64_t(w) * h * 3}, 0.0, 1.0, &gen).to_vector<float>();
  data::Image img(w, h, 3);
  img.pixels = v;
  return img;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int run_driver(const std::string& args, std::string* err) {
  char tmpl[] = "/tmp/csgis_enhance_err_XXXXXX";
  const int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  const std::string cmd = std::string("OMP_NUM_THREADS=2 '") + CSGIS_DRIVER + "' " + args + " >/dev/null 2>'" + tmpl + "'";
  const int status = std::system(cmd.c_str());
  *err = slurp(tmpl);
  fs::remove(tmpl);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("enhance: clip(I + K (I - S)) per pixel, S clipped first; bad strength and shapes refused", "[unit]") {
  const data::Image in = random_picture(7, 5, 3);
  data::Image s = random_picture(7, 5, 4);
  s.pixels[0] = 1.4f;   // an overshooting smoother: S is clipped to 1 before the difference
  s.pixels[1] = -0.2f;  // and to 0
  const double k = 1.7;
  const data::Image out = tools::enhance_detail(in, s, k);
  REQUIRE(out.pixels.size() == in.pixels.size());
  for (size_t i = 0; i < in.pixels.size(); ++i) {
    const double sc = std::min(1.0, std::max(0.0, double(s.pixels[i])));
    const double want = std::min(1.0, std::max(0.0, in.pixels[i] + k * (in.pixels[i] - sc)));
    CHECK(out.pixels[i] == Approx(want).margin(1e-6));
  }
  // Detail really is amplified somewhere inside (0, 1): not a copy of the input.
  size_t changed = 0;
  for (size_t i = 0; i < in.pixels.size(); ++i) changed += std::fabs(out.pixels[i] - in.pixels[i]) > 1e-3;
  CHECK(changed > in.pixels.size() / 2);
  CHECK_THROWS_WITH(tools::enhance_detail(in, s, 0.0), Catch::Contains("--strength"));
  CHECK_THROWS_WITH(tools::enhance_detail(in, s, -2.0), Catch::Contains("--strength"));
  CHECK_THROWS_WITH(tools::enhance_detail(in, random_picture(6, 5, 1), 1.0), Catch::Contains("6x5"));
}

TEST_CASE("cli: enhance writes the library's result; errors are one line and damage nothing", "[unit]") {
  char tmpl[] = "/tmp/csgis_enhance_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const data::Image in = data::quantized_8bit(random_picture(33, 21, 9));
  data::save_png(dir + "/in.png", in);
  std::string err;
  REQUIRE(run_driver("enhance --method gf --gf-radius 3 --strength 2.5 -i '" + dir + "/in.png' -o '" + dir + "/out.png'", &err) == 0);
  data::smoothers::GuidedFilterParams gf;
  gf.radius = 3;
  const data::Image want = data::quantized_8bit(tools::enhance_detail(in, data::smoothers::guided_filter(in, gf), 2.5));
  const data::Image got = data::load_image(dir + "/out.png");
  REQUIRE(got.pixels.size() == want.pixels.size());
  double worst = 0;
  for (size_t i = 0; i < got.pixels.size(); ++i) worst = std::max(worst, double(std::fabs(got.pixels[i] - want.pixels[i])));
  CHECK(worst < 1e-6);

  const std::string before = slurp(dir + "/out.png");
  for (const std::string& bad : {std::string("--method gf --strength 0"), std::string("--method gf --strength -1"),
                                 std::string("--method nope")}) {
    INFO(bad);
    CHECK(run_driver("enhance " + bad + " -i '" + dir + "/in.png' -o '" + dir + "/out.png'", &err) != 0);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(err.rfind("csgis: error: " + bad.substr(bad.rfind("--"), bad.rfind(' ') - bad.rfind("--")), 0) == 0);
  }
  CHECK(run_driver("enhance --method gf -i '" + dir + "/missing.png' -o '" + dir + "/out.png'", &err) != 0);
  CHECK(err.find(dir + "/missing.png") != std::string::npos);
  CHECK(slurp(dir + "/out.png") == before);
  // A smoother that refuses an image: the one line names the method and the file.
  data::save_png(dir + "/dot.png", data::Image(1, 1, 3, 0.5f));
  CHECK(run_driver("smooth --method rtv -i '" + dir + "/dot.png' -o '" + dir + "/dot_out.png'", &err) != 0);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK(err.find("--method rtv on '" + dir + "/dot.png'") != std::string::npos);
  CHECK(!fs::exists(dir + "/dot_out.png"));
  fs::remove_all(dir);
}
