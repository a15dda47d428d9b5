// Edge-guided regularisation L_DTV (paper eq. 7) and the reference's GDLoss it is built on.
#pragma once
#include "engine/tensor.h"

namespace csgis::losses {

// The reference's GDLoss(x, mask), exactly: for x [N, C, H, W] (H, W >= 2) and mask [N or 1, 1 or C,
// H, W] (in training mask = 1 - E_gt),
//   gd = ( sum mask * dh^2 / (C (H-1) W) + sum mask * dw^2 / (C H (W-1)) ) / N,
//   dh[i,j] = x[(i+1) mod H, j] - x[i,j],  dw[i,j] = x[i, (j+1) mod W] - x[i,j]  (wrap-around),
// sums over (n, c, i, j). The "counts" are the reference's tensor sizes C(H-1)W and CH(W-1) (as in
// a plain TV loss), not the number of masked pixels. Differentiable in x; the mask is a constant.
Tensor gd_loss(const Tensor& x, const Tensor& mask);

// L1 on edge pixels: sum_{n,c,i,j} E[n,i,j] |S - S_gt| / (C * max(1, sum_{n,i,j} E[n,i,j])), the mean
// absolute error over the edge pixels of the batch (0 when there are none). edge_gt: [N, 1, H, W]
// holding 0 / 1, a constant. Differentiable in s (and s_gt).
Tensor edge_l1(const Tensor& s, const Tensor& s_gt, const Tensor& edge_gt);

// L_DTV(S, S_gt) = edge_l1(S, S_gt, E_gt) + tv_weight * gd_loss(S, 1 - E_gt): structure (L1) on edge
// pixels plus smoothness (wrap-around TV of S) on non-edge pixels. The reference computes
// 10 * GD(S0) + GD(S1) (logged, not trained on); the paper's eq. 11 adds L_DTV(S0) + L_DTV(S1)
// (tv_weight 1). losses::TotalLossConfig chooses per output.
Tensor dtv_loss(const Tensor& s, const Tensor& s_gt, const Tensor& edge_gt, double tv_weight = 1.0);

}  // namespace csgis::losses
