// libFuzzer target: the GIMP pattern (.pat) reader (data/textures.cpp). An accepted pattern has
// consistent sizes and finite values in [0, 1], since the texture blending trusts both.
#include <cmath>

#include "data/textures.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr const char* kTarget = "fuzz_pat";
  using csgis::fuzz::require;
  csgis::data::Texture t;
  try {
    t = csgis::data::parse_pat(data, size, "fuzz.pat");
  } catch (const std::exception& e) {
    csgis::fuzz::check_refusal(e, kTarget);
    return 0;
  }
  const auto& img = t.rgb;
  require(img.width > 0 && img.height > 0 && img.channels == 3, kTarget, "empty or non-RGB texture accepted");
  require(img.pixels.size() == size_t(img.width) * size_t(img.height) * 3, kTarget, "pixel count != width x height x 3");
  require(t.gray.size() == size_t(img.width) * size_t(img.height), kTarget, "gray size != width x height");
  require(t.bytes_per_pixel >= 1 && t.bytes_per_pixel <= 4, kTarget, "bytes per pixel outside 1-4");
  for (float v : img.pixels) require(std::isfinite(v) && v >= 0.f && v <= 1.f, kTarget, "pixel outside [0, 1]");
  for (float v : t.gray) require(std::isfinite(v) && v >= 0.f && v <= 1.f + 1e-6f, kTarget, "gray outside [0, 1]");
  return 0;
}
