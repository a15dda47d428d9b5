// `csgis metrics A B` (or -a A -b B): PSNR and SSIM of two images, one JSON line on stdout, with the
// conventions of the evaluation tables (tools/lib/image_metrics.h).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "data/image.h"
#include "tools/commands.h"
#include "tools/lib/image_metrics.h"

namespace csgis::tools {

namespace {

struct MetricsOptions {
  std::string a, b;
};

int run_metrics(const MetricsOptions& o) {
  const data::Image a = data::load_image(o.a, 3), b = data::load_image(o.b, 3);
  check_same_size(a, b, "'" + o.a + "'", "'" + o.b + "'");
  const ImageScores s = score_images(a, b);
  // JSON has no infinity: identical images (MSE 0) report "psnr": null.
  nlohmann::json j = {{"psnr", std::isfinite(s.psnr) ? nlohmann::json(s.psnr) : nlohmann::json(nullptr)},
                      {"ssim", s.ssim}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace

Runner add_metrics_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "metrics", "PSNR and SSIM of two images of the same size, as one JSON line");
  cmd->footer(
      "Usage: csgis metrics A B, or csgis metrics -a A -b B.\n"
      "Prints {\"psnr\": .., \"ssim\": ..}. Both are read as RGB in [0,1] (grey files are expanded\n"
      "to RGB). PSNR = 10 log10(1/MSE) over every pixel and channel, data range 1, no border crop\n"
      "(null when the images are identical).\n"
      "SSIM = Wang et al. 2004 as scikit-image (11x11 Gaussian, sigma 1.5, K1 0.01, K2 0.03, valid\n"
      "region, per channel then averaged); needs images of at least 11x11.");
  auto o = std::make_shared<MetricsOptions>();
  // Either `metrics A B` or `metrics -a A -b B`.
  cmd->add_option("-a,a", o->a, "first image (PNG or JPEG), e.g. the method's output")->required();
  cmd->add_option("-b,b", o->b, "second image (PNG or JPEG), e.g. the ground truth")->required();
  return [o, cmd]() { return cmd->parsed() ? run_metrics(*o) : -1; };
}

}  // namespace csgis::tools
