// Internal: conv2d with groups > 1 (engine/ops/depthwise_conv2d.cpp), reached through conv2d()
// (include/csgis/engine/ops/conv2d.h) when Conv2dParams::groups > 1.
#pragma once
#include "engine/ops/conv2d.h"

namespace csgis::detail {

// Depthwise (groups = C, weight [C * m, 1, R, S]) through its own kernels; any other groups as one
// groups = 1 convolution per channel slice, concatenated. x, w, bias are already checked for
// device and dtype; shapes are checked here.
Tensor conv2d_grouped(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p);

}  // namespace csgis::detail
