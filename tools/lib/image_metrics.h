// Image-quality metrics of the evaluation tables (spec "Metrics conventions"), on host images:
//   PSNR = 10 log10(1 / MSE) on RGB in [0,1], data range 1, every pixel and channel, no border crop
//          (MSE accumulated in double; identical images give +infinity);
//   SSIM = Wang et al. 2004 as scikit-image computes it (11x11 Gaussian, sigma 1.5, K1 0.01, K2 0.03,
//          population moments, "valid" region, per channel then averaged) — computed by the engine's
//          ssim op in SsimMode::Metric so training logs and evaluation tables share one definition.
// Both images must have the same width, height and channel count; SSIM needs both sides >= 11.
#pragma once
#include <string>

#include "data/image.h"

namespace csgis::tools {

double psnr(const data::Image& a, const data::Image& b);
double ssim(const data::Image& a, const data::Image& b);

struct ImageScores {
  double psnr = 0, ssim = 0;
};
ImageScores score_images(const data::Image& a, const data::Image& b);

// Throws csgis::Error "<what_a> is WxHxC but <what_b> is ..." when the two cannot be compared.
void check_same_size(const data::Image& a, const data::Image& b, const std::string& what_a,
                     const std::string& what_b);

// Running means of per-image scores (inf PSNR propagates: the mean is then inf, reported as such).
struct ScoreMean {
  double psnr_sum = 0, ssim_sum = 0;
  long long count = 0;
  void add(const ImageScores& s) {
    psnr_sum += s.psnr;
    ssim_sum += s.ssim;
    ++count;
  }
  ImageScores mean() const {
    return count ? ImageScores{psnr_sum / double(count), ssim_sum / double(count)} : ImageScores{};
  }
};

}  // namespace csgis::tools
