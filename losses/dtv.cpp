#include "losses/dtv.h"

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::losses {

Tensor gd_loss(const Tensor& x, const Tensor& mask) {
  CSGIS_CHECK(x.defined() && x.dim() == 4, "gd_loss: expects an NCHW tensor");
  const double N = double(x.size(0)), C = double(x.size(1)), H = double(x.size(2)), W = double(x.size(3));
  CSGIS_CHECK(H >= 2 && W >= 2, "gd_loss: needs H, W >= 2 (the reference divides by C(H-1)W and CH(W-1)), got ",
              shape_str(x.shape()));
  return masked_tv(x, mask, 1.0 / (N * C * (H - 1) * W), 1.0 / (N * C * H * (W - 1)));
}

Tensor edge_l1(const Tensor& s, const Tensor& s_gt, const Tensor& edge_gt) {
  CSGIS_CHECK(s.defined() && s_gt.defined() && edge_gt.defined(), "edge_l1: undefined input");
  CSGIS_CHECK(s.dim() == 4 && s.shape() == s_gt.shape(), "edge_l1: S ", shape_str(s.shape()), " and S_gt ",
              shape_str(s_gt.shape()), " must be equal NCHW shapes");
  CSGIS_CHECK(edge_gt.dim() == 4 && edge_gt.size(0) == s.size(0) && edge_gt.size(1) == 1 &&
                  edge_gt.size(2) == s.size(2) && edge_gt.size(3) == s.size(3),
              "edge_l1: edge_gt must be [N, 1, H, W] for S ", shape_str(s.shape()), ", got ",
              shape_str(edge_gt.shape()));
  const Tensor e = edge_gt.detach();
  Tensor denom;
  {
    autograd::NoGradGuard no_grad;  // the count is a constant; clamp keeps it >= 1 without a host sync
    denom = clamp(sum(e), 1.0, 1e300) * double(s.size(1));
  }
  return sum(abs(s - s_gt) * e) / denom;
}

Tensor dtv_loss(const Tensor& s, const Tensor& s_gt, const Tensor& edge_gt, double tv_weight) {
  Tensor non_edge;
  {
    autograd::NoGradGuard no_grad;
    non_edge = rsub_scalar(1.0, edge_gt.detach());
  }
  return edge_l1(s, s_gt, edge_gt) + gd_loss(s, non_edge) * tv_weight;
}

}  // namespace csgis::losses
