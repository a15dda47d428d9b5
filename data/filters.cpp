// Bilateral filtering (full window or separable), see filters.h. The filter itself is the engine of
// the `bf` baseline (data/smoothers/bilateral.h), run here with the square window, clipped borders
// and the 1/1024 range table this function has always used, so its output is unchanged.
#include "data/filters.h"

#include "data/smoothers/bilateral.h"
#include "engine/error.h"

namespace csgis::data {

Image bilateral_filter(const Image& img, int radius, float sigma_color, float sigma_space,
                       bool separable) {
  CSGIS_CHECK(radius >= 0 && sigma_color > 0 && sigma_space > 0,
              "bilateral_filter: bad parameters (radius >= 0, positive sigmas)");
  CSGIS_CHECK(img.pixels.size() == size_t(img.width) * img.height * img.channels,
              "bilateral_filter: pixel buffer does not match the image size");
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "bilateral_filter: 1 or 3 channels expected, got ", img.channels);
  smoothers::BilateralPass pass;
  pass.sigma_s = sigma_space;
  pass.sigma_r = sigma_color;
  pass.window = smoothers::BilateralWindow::Rectangle;
  pass.border = smoothers::BilateralBorder::Clip;
  pass.range = smoothers::BilateralRange::Table1024;
  pass.parallel = false;  // its callers (the data set writers) already run one image per thread
  if (!separable) {
    pass.rx = pass.ry = radius;
    return smoothers::bilateral_pass(img, pass);
  }
  pass.rx = radius;
  pass.ry = 0;
  const Image rows = smoothers::bilateral_pass(img, pass);
  pass.rx = 0;
  pass.ry = radius;
  return smoothers::bilateral_pass(rows, pass);
}

}  // namespace csgis::data
