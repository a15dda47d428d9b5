// Reconstruction term L_re (paper eq. 6; the reference's l1Loss + mSSIMLoss).
#pragma once
#include "engine/tensor.h"

namespace csgis::losses {

// mean |a - b| over all elements (PyTorch's L1Loss).
Tensor l1(const Tensor& a, const Tensor& b);

// sum_{s=0}^{scales-1} SSIM_loss(P_{2^s}(S), P_{2^s}(S_gt)), P_1 = identity, P_2k = 2x2 / stride 2 max
// pooling of P_k (floor sizes), SSIM_loss = csgis::ssim(., ., SsimMode::Loss) (zero "same" padding,
// mean over the whole map). With the default 4 scales (P_1, P_2, P_4, P_8) this is the reference's
// mSSIM, in [-4, 4], 4 for identical images; the inputs need H, W >= 8.
Tensor multiscale_ssim_term(const Tensor& s, const Tensor& s_gt, int scales = 4);

// The form used for training, the reference's (per output):
//   L_re(S, S_gt) = l1(S, S_gt) + ssim_weight * (scales - multiscale_ssim_term(S, S_gt)),
// ssim_weight = 0.1 and scales = 4 in the reference (0.1 * (4 - mSSIM)). Eq. 6 of the paper writes
// "+ sum SSIM", which read literally would reward dissimilarity; the reference's complement is the
// minimisable version of it.
Tensor recon_loss(const Tensor& s, const Tensor& s_gt, double ssim_weight = 0.1, int scales = 4);

}  // namespace csgis::losses
