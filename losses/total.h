// The total training loss of CSGIS-Net (paper eq. 11), assembled from the pieces it is given:
//   L = lambda_e L_edge(E_pred, E_gt) + L_re(S0) + L_re(S1) + w0 L_DTV(S0) + w1 L_DTV(S1)
//       + lambda_c (L_c,l1 + L_c,gram) + lambda_seg L_seg(phi(S1), Seg_gt)
// with L_re, L_DTV, L_c and L_seg as in recon.h, dtv.h, contrastive.h and seg_ce.h.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace csgis::losses {

struct TotalLossConfig {
  double lambda_e = 0.001;   // edge BCE weight (paper and reference)
  double lambda_c = 1.0;     // contrastive weight
  double lambda_seg = 1.0;   // segmentation weight
  bool use_edge = true, use_recon = true, use_contrastive = true, use_seg = true;
  // The paper's eq. 11 adds L_DTV; the reference computes it but leaves it out of the total. When off,
  // the DTV terms are still evaluated (without gradient) for logging, as the reference does.
  bool use_dtv = true;
  double dtv_weight_s0 = 1.0, dtv_weight_s1 = 1.0;       // weights of L_DTV(S0), L_DTV(S1) in the sum
  double dtv_tv_weight_s0 = 1.0, dtv_tv_weight_s1 = 1.0; // TV part inside each (reference logs 10, 1)
  double ssim_weight = 0.1;  // L_re = L1 + ssim_weight * (ssim_scales - mSSIM) (reference)
  int ssim_scales = 4;
  double margin_l1 = 0.3, margin_gram = 0.04;  // triplet margins k1, k2
  bool contrastive_ratio = false;  // the reference's d(a,p) / d(a,n) instead of the triplets (no margins)
};

// What the step has; undefined / empty members switch their terms off.
struct LossInputs {
  Tensor edge_logits;  // E_pred, [N, 1, H, W]
  Tensor s0, s1;       // smoother outputs, [N, 3, H, W]
  Tensor s_gt;         // smooth ground truth
  Tensor edge_gt;      // binary edge ground truth, [N, 1, H, W]
  Tensor negative;     // contrastive (a): I or I_over (anchor S1, positive S_gt)
  std::vector<Tensor> feats_anchor, feats_pos, feats_neg;  // contrastive (b): VGG features of S1, S_gt, negative
  Tensor seg_logits;   // phi(S1), [N, K, H, W]
  Tensor seg_labels;   // Seg_gt class ids (see seg_ce.h), 255 = ignore
};

// Every term unweighted (as the functions return it), undefined when not computed; `total` carries
// the weights and the graph.
struct LossTerms {
  Tensor total;
  Tensor edge, recon_s0, recon_s1, dtv_s0, dtv_s1, contrast_l1, contrast_gram, seg;
  // (name, value) of the total and each computed term, for JSON-lines logs. Copies to the host.
  std::vector<std::pair<std::string, double>> values() const;
};

LossTerms total_loss(const TotalLossConfig& cfg, const LossInputs& in);

// Callable form for a trainer: TotalLoss loss{cfg}; LossTerms t = loss(inputs); t.total.backward();
struct TotalLoss {
  TotalLossConfig config;
  LossTerms operator()(const LossInputs& in) const { return total_loss(config, in); }
};

}  // namespace csgis::losses
