// The input normalisation of the pretrained networks, x' = x * scale[c] + shift[c] for each channel c
// of an (N, C, H, W) batch (VGG16's scale-mean-std, DeepLab's ImageNet statistics). It keeps the
// (1, C, 1, 1) constants of the last device and dtype it saw: the Gram term runs VGG16 three times
// a training step, and rebuilding two small tensors (with their copies to the device) each time is
// waste. Not thread-safe: one per module, used by that module's forward.
#pragma once
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::models {

class ChannelAffine {
 public:
  ChannelAffine() = default;
  ChannelAffine(std::vector<double> scale, std::vector<double> shift);

  // x * scale + shift, broadcast over N, H, W; x must have as many channels (dim 1) as scale.
  Tensor operator()(const Tensor& x);
  bool has(const std::vector<double>& scale, const std::vector<double>& shift) const {
    return scale == scale_ && shift == shift_;
  }

 private:
  std::vector<double> scale_, shift_;
  Tensor scale_t_, shift_t_;  // on the device and in the dtype of the last input
};

}  // namespace csgis::models

#pragma GCC visibility pop
