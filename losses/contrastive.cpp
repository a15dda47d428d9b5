#include "losses/contrastive.h"

#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::losses {

namespace {
Tensor gray_l1(const Tensor& a, const Tensor& b) {
  CSGIS_CHECK(a.defined() && b.defined() && a.dim() == 4 && a.shape() == b.shape(),
              "contrastive_l1_triplet: expects equal NCHW shapes");
  return mean(abs(mean(a, {1}, true) - mean(b, {1}, true)));
}
}  // namespace

Tensor contrastive_l1_triplet(const Tensor& anchor, const Tensor& pos, const Tensor& neg, double margin) {
  return relu(add_scalar(gray_l1(anchor, pos) - gray_l1(anchor, neg), margin));
}

Tensor contrastive_l1_ratio(const Tensor& anchor, const Tensor& pos, const Tensor& neg) {
  return gray_l1(anchor, pos) / add_scalar(gray_l1(anchor, neg), kRatioEps);
}

Tensor gram_distance(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  CSGIS_CHECK(!a.empty() && a.size() == b.size(), "gram_distance: feature lists must be non-empty and equally long (",
              a.size(), " and ", b.size(), ")");
  Tensor d;
  for (size_t l = 0; l < a.size(); ++l) {
    CSGIS_CHECK(a[l].shape() == b[l].shape(), "gram_distance: layer ", l, " shapes differ (",
                shape_str(a[l].shape()), " and ", shape_str(b[l].shape()), ")");
    const Tensor t = sum(square(gram(a[l]) - gram(b[l])));
    d = d.defined() ? d + t : t;
  }
  return d;
}

Tensor gram_triplet(const std::vector<Tensor>& feats_anchor, const std::vector<Tensor>& feats_pos,
                    const std::vector<Tensor>& feats_neg, double margin) {
  const size_t n = feats_anchor.size();
  CSGIS_CHECK(n > 0 && feats_pos.size() == n && feats_neg.size() == n,
              "gram_triplet: feature lists must be non-empty and equally long (", n, ", ", feats_pos.size(), ", ",
              feats_neg.size(), ")");
  Tensor gap;  // d(anchor, pos) - d(anchor, neg), the anchor's Gram matrices computed once per layer
  for (size_t l = 0; l < n; ++l) {
    CSGIS_CHECK(feats_pos[l].shape() == feats_anchor[l].shape() && feats_neg[l].shape() == feats_anchor[l].shape(),
                "gram_triplet: layer ", l, " shapes differ (", shape_str(feats_anchor[l].shape()), ", ",
                shape_str(feats_pos[l].shape()), ", ", shape_str(feats_neg[l].shape()), ")");
    const Tensor ga = gram(feats_anchor[l]);
    const Tensor t = sum(square(ga - gram(feats_pos[l]))) - sum(square(ga - gram(feats_neg[l])));
    gap = gap.defined() ? gap + t : t;
  }
  return relu(add_scalar(gap, margin));
}

Tensor gram_ratio(const std::vector<Tensor>& feats_anchor, const std::vector<Tensor>& feats_pos,
                  const std::vector<Tensor>& feats_neg) {
  CSGIS_CHECK(feats_pos.size() == feats_anchor.size() && feats_neg.size() == feats_anchor.size(),
              "gram_ratio: feature lists must be equally long (", feats_anchor.size(), ", ", feats_pos.size(), ", ",
              feats_neg.size(), ")");
  return gram_distance(feats_anchor, feats_pos) / add_scalar(gram_distance(feats_anchor, feats_neg), kRatioEps);
}

}  // namespace csgis::losses
