// Edge term L_edge (paper eq. 5; the reference's edgeLoss).
#pragma once
#include "engine/tensor.h"

namespace csgis::losses {

// Class-balanced binary cross-entropy with logits, SUMMED over all pixels of the batch:
//   L = sum_i w_i * ( softplus(l_i) - l_i e_i ),   softplus(l) = max(l, 0) + log(1 + exp(-|l|))
//   w_i = |E-| / |E| on edge pixels (e_i = 1), |E+| / |E| on non-edge pixels (e_i = 0),
// where |E+|, |E-| count edge / non-edge pixels over the whole batch and |E| = numel.
// logits and edge_gt: equal shapes (in practice [N, 1, H, W]); edge_gt holds 0 / 1 (the weights are
// computed from it as a constant). Differentiable in logits. The stable form never evaluates exp of
// a positive number; max(l, 0) is written (l + |l|) / 2 so the gradient at l = 0 is exactly
// sigmoid(0) - e = 1/2 - e.
Tensor edge_bce(const Tensor& logits, const Tensor& edge_gt);

}  // namespace csgis::losses
