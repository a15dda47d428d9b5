#include "losses/total.h"

#include <optional>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"
#include "losses/contrastive.h"
#include "losses/dtv.h"
#include "losses/edge_bce.h"
#include "losses/recon.h"
#include "losses/seg_ce.h"

namespace csgis::losses {

namespace {
// total += w * t (t undefined: nothing).
void accumulate(Tensor& total, const Tensor& t, double w) {
  if (!t.defined()) return;
  const Tensor term = w == 1.0 ? t : t * w;
  total = total.defined() ? total + term : term;
}
}  // namespace

LossTerms total_loss(const TotalLossConfig& cfg, const LossInputs& in) {
  LossTerms r;
  const bool have_gt = in.s_gt.defined();
  if (cfg.use_edge && in.edge_logits.defined() && in.edge_gt.defined()) r.edge = edge_bce(in.edge_logits, in.edge_gt);
  if (cfg.use_recon && have_gt) {
    if (in.s0.defined()) r.recon_s0 = recon_loss(in.s0, in.s_gt, cfg.ssim_weight, cfg.ssim_scales);
    if (in.s1.defined()) r.recon_s1 = recon_loss(in.s1, in.s_gt, cfg.ssim_weight, cfg.ssim_scales);
  }
  if (have_gt && in.edge_gt.defined()) {
    // Off: evaluated for the log only, outside the graph.
    std::optional<autograd::NoGradGuard> no_grad;
    if (!cfg.use_dtv) no_grad.emplace();
    if (in.s0.defined()) r.dtv_s0 = dtv_loss(in.s0, in.s_gt, in.edge_gt, cfg.dtv_tv_weight_s0);
    if (in.s1.defined()) r.dtv_s1 = dtv_loss(in.s1, in.s_gt, in.edge_gt, cfg.dtv_tv_weight_s1);
  }
  if (cfg.use_contrastive) {
    if (in.s1.defined() && have_gt && in.negative.defined())
      r.contrast_l1 = cfg.contrastive_ratio ? contrastive_l1_ratio(in.s1, in.s_gt, in.negative)
                                            : contrastive_l1_triplet(in.s1, in.s_gt, in.negative, cfg.margin_l1);
    if (!in.feats_anchor.empty())
      r.contrast_gram = cfg.contrastive_ratio ? gram_ratio(in.feats_anchor, in.feats_pos, in.feats_neg)
                                              : gram_triplet(in.feats_anchor, in.feats_pos, in.feats_neg, cfg.margin_gram);
  }
  if (cfg.use_seg && in.seg_logits.defined() && in.seg_labels.defined()) r.seg = seg_ce(in.seg_logits, in.seg_labels);

  accumulate(r.total, r.edge, cfg.lambda_e);
  accumulate(r.total, r.recon_s0, 1.0);
  accumulate(r.total, r.recon_s1, 1.0);
  if (cfg.use_dtv) {
    accumulate(r.total, r.dtv_s0, cfg.dtv_weight_s0);
    accumulate(r.total, r.dtv_s1, cfg.dtv_weight_s1);
  }
  accumulate(r.total, r.contrast_l1, cfg.lambda_c);
  accumulate(r.total, r.contrast_gram, cfg.lambda_c);
  accumulate(r.total, r.seg, cfg.lambda_seg);
  CSGIS_CHECK(r.total.defined(), "total_loss: no term could be computed from the given inputs");
  return r;
}

std::vector<std::pair<std::string, double>> LossTerms::values() const {
  std::vector<std::pair<std::string, double>> v;
  const std::pair<const char*, const Tensor*> named[] = {
      {"total", &total},     {"edge", &edge},     {"recon_s0", &recon_s0},       {"recon_s1", &recon_s1},
      {"dtv_s0", &dtv_s0},   {"dtv_s1", &dtv_s1}, {"contrast_gray", &contrast_l1}, {"contrast_gram", &contrast_gram},
      {"seg_ce", &seg}};
  for (const auto& [name, t] : named)
    if (t->defined()) v.emplace_back(name, t->item());
  return v;
}

}  // namespace csgis::losses
