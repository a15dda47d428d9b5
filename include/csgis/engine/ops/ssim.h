// Structural similarity (engine/ops/ssim.cpp; fused kernels in kernels/{cpu,cuda}/ssim). Inputs
// are NCHW tensors of equal shape holding data in [0, 1] (data range L = 1). Both conventions use
// the separable 11x11 Gaussian window with sigma 1.5 (weights normalised to sum 1), K1 = 0.01,
// K2 = 0.03 (C1 = 1e-4, C2 = 9e-4) and population (biased) moments:
//   mu_x = G*x, sigma_x^2 = G*(x^2) - mu_x^2, sigma_xy = G*(xy) - mu_x mu_y,
//   ssim = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),
// computed per channel. They differ in where the map is taken:
//   SsimMode::Loss   - the reference training code's SSIM (pytorch_ssim): zero "same" padding, the
//                      map covers every pixel, [N, C, H, W];
//   SsimMode::Metric - Wang et al. 2004 as scikit-image's structural_similarity(gaussian_weights=True,
//                      sigma=1.5, use_sample_covariance=False, data_range=1): "valid" region only,
//                      the map is [N, C, H - 10, W - 10] (needs H, W >= 11).
// Because every channel's map has the same size, the mean over (C, H', W') equals the per-channel
// means averaged over channels, i.e. scikit-image's channel_axis result.
#pragma once
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

enum class SsimMode { Loss, Metric };

// The SSIM map (see above). Differentiable in x and y (either may be a constant).
Tensor ssim_map(const Tensor& x, const Tensor& y, SsimMode mode);
// Mean of the map over everything: shape [] (the batch's SSIM).
Tensor ssim(const Tensor& x, const Tensor& y, SsimMode mode);
// Mean of the map per image: shape [N] (for per-image metric tables).
Tensor ssim_per_image(const Tensor& x, const Tensor& y, SsimMode mode);

}  // namespace csgis
#pragma GCC visibility pop
