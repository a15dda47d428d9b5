#include "tools/lib/detail_enhance.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace csgis::tools {

data::Image enhance_detail(const data::Image& input, const data::Image& smooth, double strength) {
  if (!(std::isfinite(strength) && strength > 0)) CSGIS_FAIL("--strength ", strength, ": expected a number > 0");
  CSGIS_CHECK(input.width == smooth.width && input.height == smooth.height && input.channels == smooth.channels,
              "enhance: the smoothed image is ", smooth.width, "x", smooth.height, "x", smooth.channels,
              " but the input is ", input.width, "x", input.height, "x", input.channels);
  data::Image out = input;
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    const double s = std::clamp(double(smooth.pixels[i]), 0.0, 1.0);
    out.pixels[i] = float(std::clamp(input.pixels[i] + strength * (input.pixels[i] - s), 0.0, 1.0));
  }
  return out;
}

}  // namespace csgis::tools
