#include "tools/lib/image_metrics.h"

#include <cmath>
#include <limits>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops/ssim.h"

namespace csgis::tools {

void check_same_size(const data::Image& a, const data::Image& b, const std::string& what_a,
                     const std::string& what_b) {
  if (a.width == b.width && a.height == b.height && a.channels == b.channels) return;
  CSGIS_FAIL(what_a, " is ", a.width, "x", a.height, "x", a.channels, " but ", what_b, " is ", b.width,
             "x", b.height, "x", b.channels, " (width x height x channels must match)");
}

double psnr(const data::Image& a, const data::Image& b) {
  check_same_size(a, b, "psnr: first image", "second image");
  CSGIS_CHECK(!a.pixels.empty(), "psnr: empty images");
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = double(a.pixels[i]) - double(b.pixels[i]);
    se += d * d;
  }
  const double mse = se / double(a.pixels.size());
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(1.0 / mse);
}

double ssim(const data::Image& a, const data::Image& b) {
  check_same_size(a, b, "ssim: first image", "second image");
  // The Metric convention takes the valid region of an 11x11 window: say so instead of letting the
  // op fail with a shape message.
  if (a.width < 11 || a.height < 11)
    CSGIS_FAIL("ssim: images must be at least 11x11 (the Gaussian window), got ", a.width, "x", a.height);
  autograd::NoGradGuard no_grad;
  // float64, as scikit-image computes: in float32, E[x^2] - mu^2 cancels to ~1e-7 noise, which is
  // ~1e-4 of C2 and shows in the fourth decimal that Table 1 reports.
  const Tensor x = data::image_to_tensor(a).to(DType::F64), y = data::image_to_tensor(b).to(DType::F64);
  return csgis::ssim(x, y, SsimMode::Metric).item();
}

ImageScores score_images(const data::Image& a, const data::Image& b) { return {psnr(a, b), ssim(a, b)}; }

}  // namespace csgis::tools
