// libFuzzer target: the image decoder path of the driver and the data pipeline (data/image8.cpp:
// libpng for PNG, stb for JPEG; data/image.cpp: stb for the float loader and the label maps). The
// readers take paths, so each input is written to one scratch file per process. The size reported
// from the header must be the size decoded, and the two PNG readers must agree on it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/image.h"
#include "data/image8.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr const char* kTarget = "fuzz_image";
constexpr int64_t kMaxPixels = 1 << 16;  // as `csgis smooth --max-pixels`: larger headers are refused, not decoded (small: speed)

struct ScratchFile {
  std::string path;
  ScratchFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/csgis-fuzz-image-XXXXXX";
    const int fd = mkstemp(tmpl.data());
    if (fd < 0) std::abort();
    close(fd);
    path = tmpl;
  }
  ~ScratchFile() { std::remove(path.c_str()); }
  void write(const uint8_t* data, size_t size) const {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using csgis::fuzz::check_refusal;
  using csgis::fuzz::require;
  static const ScratchFile file;
  file.write(data, size);
  int w = 0, h = 0;
  try {
    std::tie(w, h) = csgis::data::image_size(file.path);
  } catch (const std::exception& e) {
    check_refusal(e, kTarget);
  }
  try {
    const csgis::data::Image8 img = csgis::data::load_image8(file.path, kMaxPixels);
    require(img.width > 0 && img.height > 0, kTarget, "an empty 8-bit image was accepted");
    require(int64_t(img.width) * img.height <= kMaxPixels, kTarget, "max_pixels not enforced");
    require(img.rgb.size() == size_t(img.width) * size_t(img.height) * 3, kTarget, "8-bit buffer size != w x h x 3");
    require(img.width == w && img.height == h, kTarget, "header size and decoded size differ (8-bit reader)");
  } catch (const std::exception& e) {
    check_refusal(e, kTarget);
  }
  // The float loader has no pixel limit of its own: callers check image_size first, as here.
  if (w > 0 && h > 0 && int64_t(w) * h <= kMaxPixels) {
    try {
      const csgis::data::Image img = csgis::data::load_image(file.path, 3);
      require(img.channels == 3 && img.pixels.size() == size_t(img.width) * size_t(img.height) * 3, kTarget,
              "float buffer size != w x h x 3");
      require(img.width == w && img.height == h, kTarget, "header size and decoded size differ (float reader)");
      for (float v : img.pixels) require(v >= 0.f && v <= 1.f, kTarget, "pixel outside [0, 1]");
    } catch (const std::exception& e) {
      check_refusal(e, kTarget);
    }
    try {
      const csgis::data::LabelMap labels = csgis::data::load_labels(file.path);
      require(labels.width == w && labels.height == h, kTarget, "header size and label map size differ");
    } catch (const std::exception& e) {
      check_refusal(e, kTarget);
    }
  }
  return 0;
}
