// Contrastive constraint L_c (paper sec. 3.3) in the reference's triplet form: anchor S1, positive
// S_gt, negative I or I_over (the caller draws it).
#pragma once
#include <vector>

#include "engine/tensor.h"

namespace csgis::losses {

// gray(x) = mean over channels, [N, 1, H, W]; d(a, b) = mean over (n, h, w) of |gray(a) - gray(b)|
// (the reference's L_con). Returns max(d(anchor, pos) - d(anchor, neg) + margin, 0) (margin k1 = 0.3
// in the reference), one scalar for the batch. Gradient flows into every input that requires it.
Tensor contrastive_l1_triplet(const Tensor& anchor, const Tensor& pos, const Tensor& neg, double margin = 0.3);

// d(A, B) = sum over layers l of sum((gram(A_l) - gram(B_l))^2) over all batch entries
// (the reference's PerceptualLoss: MSE with reduction 'sum' between Gram matrices), with
// gram(f) = f f^T / (C H W) (csgis::gram). The lists hold one feature map per layer (VGG16 relu1_2,
// relu2_2 in the paper), equally long and shaped layer by layer. Returns
// max(d(anchor, pos) - d(anchor, neg) + margin, 0) (margin k2 = 0.04 in the reference).
Tensor gram_distance(const std::vector<Tensor>& a, const std::vector<Tensor>& b);
Tensor gram_triplet(const std::vector<Tensor>& feats_anchor, const std::vector<Tensor>& feats_pos,
                    const std::vector<Tensor>& feats_neg, double margin = 0.04);

// The reference code's ratio form of both terms (as AECR-Net's contrastive regularisation):
// d(anchor, pos) / (d(anchor, neg) + kRatioEps), with the same d as the triplets above. No margin.
constexpr double kRatioEps = 1e-7;
Tensor contrastive_l1_ratio(const Tensor& anchor, const Tensor& pos, const Tensor& neg);
Tensor gram_ratio(const std::vector<Tensor>& feats_anchor, const std::vector<Tensor>& feats_pos,
                  const std::vector<Tensor>& feats_neg);

}  // namespace csgis::losses
