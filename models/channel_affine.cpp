#include "models/channel_affine.h"

#include <utility>

#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::models {

ChannelAffine::ChannelAffine(std::vector<double> scale, std::vector<double> shift)
    : scale_(std::move(scale)), shift_(std::move(shift)) {
  CSGIS_CHECK(!scale_.empty() && scale_.size() == shift_.size(), "ChannelAffine: ", scale_.size(), " scales and ",
              shift_.size(), " shifts, need the same non-zero count");
}

Tensor ChannelAffine::operator()(const Tensor& x) {
  const int64_t channels = int64_t(scale_.size());
  CSGIS_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels, "input normalisation takes (N, ", channels,
              ", H, W), got ", x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
  if (!scale_t_.defined() || scale_t_.device() != x.device() || scale_t_.dtype() != x.dtype()) {
    scale_t_ = Tensor::from_vector(scale_, {1, channels, 1, 1}).to(x.dtype()).to(x.device());
    shift_t_ = Tensor::from_vector(shift_, {1, channels, 1, 1}).to(x.dtype()).to(x.device());
  }
  return add(mul(x, scale_t_), shift_t_);
}

}  // namespace csgis::models
