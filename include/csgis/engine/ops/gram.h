// Gram matrices of feature maps (engine/ops/gram.cpp; kernels in kernels/{cpu,cuda}/gram): the
// channel correlations of the contrastive loss (losses/contrastive.h).
#pragma once
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// f: [N, C, H, W] -> [N, C, C], G[n] = F F^T / (C * H * W) with F = f[n] viewed as C x (H * W)
// (the reference's `gram`). Backward: dF = (dG + dG^T) F / (C * H * W).
Tensor gram(const Tensor& f);

}  // namespace csgis
#pragma GCC visibility pop
