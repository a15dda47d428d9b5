// `csgis smooth` keeps memory bounded: the peak RSS of the driver, measured by the kernel for the
// child process (wait4), grows by at most 8 bytes per pixel from 1 to 16 megapixels; and the
// row-wise PNG writer and 8-bit reader round-trip what stb reads.
#include <catch2/catch.hpp>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <vector>

#include "data/image.h"
#include "data/image8.h"
#include "engine/autograd.h"
#include "engine/generator.h"
#include "models/jess.h"
#include "tests/tools/cli_test_util.h"

extern char** environ;

using namespace csgis;
using namespace csgis::test_cli;
namespace fs = std::filesystem;

namespace {

// A picture with structure and noise (so PNG compression does not make it trivially small).
void write_test_png(const std::string& path, int w, int h) {
  data::PngRowWriter writer(path, w, h);
  std::vector<uint8_t> row(size_t(w) * 3);
  uint32_t state = 7;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        state = state * 1664525u + 1013904223u;
        const int base = ((x / 97 + y / 61 + c) % 3) * 80 + 20;
        row[size_t(x) * 3 + size_t(c)] = uint8_t(base + int(state >> 28));
      }
    writer.write_row(row.data());
  }
  writer.finish();
}

// Peak resident set of one run of the driver, in bytes (ru_maxrss of the child, in KiB).
long peak_rss_bytes(const std::vector<std::string>& args, int* rc) {
  std::vector<char*> argv;
  const std::string driver = CSGIS_DRIVER;
  argv.push_back(const_cast<char*>(driver.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, driver.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  int status = 0;
  struct rusage usage {};
  REQUIRE(wait4(pid, &status, 0, &usage) == pid);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return usage.ru_maxrss * 1024L;
}

}  // namespace

TEST_CASE("image8: the row-wise PNG writer and the 8-bit reader agree with stb", "[unit]") {
  Scratch dir;
  write_test_png(dir / "a.png", 53, 29);
  const data::Image viastb = data::load_image(dir / "a.png", 3);
  const data::Image8 via_png = data::load_image8(dir / "a.png");
  REQUIRE((via_png.width == 53 && via_png.height == 29));
  for (size_t i = 0; i < via_png.rgb.size(); ++i) REQUIRE(float(via_png.rgb[i]) / 255.f == viastb.pixels[i]);
  CHECK(data::image_size(dir / "a.png") == std::make_pair(53, 29));
  // Grey and palette files come out as RGB; a limit is checked from the header.
  data::Image grey(20, 10, 1);
  for (size_t i = 0; i < grey.pixels.size(); ++i) grey.pixels[i] = float(i % 256) / 255.f;
  data::save_png(dir / "grey.png", grey);
  const data::Image8 g = data::load_image8(dir / "grey.png");
  REQUIRE(g.rgb.size() == 20u * 10u * 3u);
  for (size_t i = 0; i < grey.pixels.size(); ++i) CHECK(g.rgb[i * 3 + 1] == uint8_t(i % 256));
  CHECK_THROWS_WITH(data::load_image8(dir / "a.png", 1000), Catch::Contains("more than --max-pixels 1000"));
  // A writer destroyed before finish() leaves nothing.
  {
    data::PngRowWriter w(dir / "partial.png", 8, 8);
    std::vector<uint8_t> row(24, 9);
    w.write_row(row.data());
  }
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.path().filename().string().rfind("partial", 0) == 0;
  CHECK(files == 0);
  // A damaged PNG: one plain line, libpng's words for --verbose.
  std::string bytes = slurp(dir / "a.png");
  bytes.resize(bytes.size() / 2);
  std::ofstream(dir / "cut.png", std::ios::binary) << bytes;
  CHECK_THROWS_WITH(data::load_image8(dir / "cut.png"), Catch::Contains("cannot read '" + (dir / "cut.png") + "': the image data is damaged"));
}

TEST_CASE("smooth: peak memory grows by at most 8 bytes per pixel from 1 to 16 megapixels", "[slow]") {
  Scratch dir;
  // A tiny network: the test is about the images' memory, not the network's working set.
  {
    Generator gen(4);
    models::Jess model(models::JessConfig{3, 3, 4, 1, 1, 1});
    autograd::NoGradGuard no_grad;
    for (Tensor& p : model.parameters()) p.copy_(Tensor::randn(p.shape(), &gen) * 0.3);
    models::save_jess(dir / "tiny.safetensors", model);
  }
  std::vector<std::pair<double, long>> peaks;  // (megapixels, bytes)
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{1000, 1000}, {2000, 2000}, {4000, 4000}}) {
    const std::string in = dir / ("in" + std::to_string(w) + ".png"), out = dir / ("out" + std::to_string(w) + ".png");
    write_test_png(in, w, h);
    int rc = -1;
    const long peak = peak_rss_bytes({"smooth", "--weights", dir / "tiny.safetensors", "-i", in, "-o", out, "--threads", "2"}, &rc);
    REQUIRE(rc == 0);
    REQUIRE(data::image_size(out) == std::make_pair(w, h));
    peaks.emplace_back(w * double(h) / 1e6, peak);
    WARN(w << "x" << h << ": peak RSS " << peak / 1e6 << " MB");
    fs::remove(in);
    fs::remove(out);
  }
  const double growth_per_pixel = double(peaks[2].second - peaks[0].second) / ((peaks[2].first - peaks[0].first) * 1e6);
  WARN("growth from 1 to 16 megapixels: " << growth_per_pixel << " bytes per pixel");
  CHECK(growth_per_pixel <= 8.0);
}
