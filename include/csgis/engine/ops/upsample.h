// Bilinear resizing of NCHW tensors (up or down) with PyTorch's source-index rules.
#pragma once
#include <cstdint>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// x [N,C,H,W] -> [N,C,out_h,out_w]. Per axis, destination index d reads source position
//   align_corners = false: src = max((d + 0.5) * in / out - 0.5, 0)
//   align_corners = true:  src = d * (in - 1) / (out - 1)   (0 when out == 1)
// and interpolates linearly between floor(src) and the next index (clamped to the last).
Tensor upsample_bilinear2d(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners);

}  // namespace csgis
#pragma GCC visibility pop
