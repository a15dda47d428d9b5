#include "losses/recon.h"

#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::losses {

Tensor l1(const Tensor& a, const Tensor& b) {
  CSGIS_CHECK(a.defined() && b.defined(), "l1: undefined input");
  CSGIS_CHECK(a.shape() == b.shape(), "l1: shapes differ (", shape_str(a.shape()), " and ", shape_str(b.shape()),
              ")");
  return mean(abs(a - b));
}

Tensor multiscale_ssim_term(const Tensor& s, const Tensor& s_gt, int scales) {
  CSGIS_CHECK(scales >= 1, "multiscale_ssim_term: scales must be >= 1, got ", scales);
  CSGIS_CHECK(s.defined() && s_gt.defined() && s.dim() == 4, "multiscale_ssim_term: expects NCHW tensors");
  const int64_t need = int64_t(1) << (scales - 1);
  CSGIS_CHECK(s.size(2) >= need && s.size(3) >= need, "multiscale_ssim_term: ", scales,
              " scales of 2x2 max pooling need H, W >= ", need, ", got ", shape_str(s.shape()));
  Tensor a = s, b = s_gt;
  Tensor total = ssim(a, b, SsimMode::Loss);
  for (int k = 1; k < scales; ++k) {
    a = max_pool2d(a, 2, 2);
    b = max_pool2d(b, 2, 2);
    total = total + ssim(a, b, SsimMode::Loss);
  }
  return total;
}

Tensor recon_loss(const Tensor& s, const Tensor& s_gt, double ssim_weight, int scales) {
  return l1(s, s_gt) + rsub_scalar(double(scales), multiscale_ssim_term(s, s_gt, scales)) * ssim_weight;
}

}  // namespace csgis::losses
