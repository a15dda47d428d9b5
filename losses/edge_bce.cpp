#include "losses/edge_bce.h"

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::losses {

Tensor edge_bce(const Tensor& logits, const Tensor& edge_gt) {
  CSGIS_CHECK(logits.defined() && edge_gt.defined(), "edge_bce: undefined input");
  CSGIS_CHECK(logits.shape() == edge_gt.shape(), "edge_bce: logits ", shape_str(logits.shape()),
              " and edge_gt ", shape_str(edge_gt.shape()), " differ in shape");
  const Tensor e = edge_gt.detach();
  Tensor w;
  {
    // p = |E+| / |E|; edge pixels weigh 1 - p = |E-| / |E|, non-edge pixels p. Stays on the device.
    autograd::NoGradGuard no_grad;
    const Tensor p = mean(e);
    w = e * rsub_scalar(1.0, p) + rsub_scalar(1.0, e) * p;
  }
  const Tensor a = abs(logits);
  const Tensor softplus = (logits + a) * 0.5 + log(add_scalar(exp(-a), 1.0));
  return sum(w * (softplus - logits * e));
}

}  // namespace csgis::losses
