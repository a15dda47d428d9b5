// Masked total variation with wrap-around differences (engine/ops/tv.cpp; fused kernels in
// kernels/{cpu,cuda}/tv): the core of the reference's GDLoss and of the paper's DTV term (see
// losses/dtv.h for the losses built on it).
#pragma once
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// x: [N, C, H, W]; mask: [N or 1, C or 1, H, W] (broadcast over batch / channels), or undefined
// for all ones. Returns the scalar
//   sum_{n,c,i,j} mask[n,c,i,j] * ( wh * (x[n,c,(i+1) mod H,j] - x[n,c,i,j])^2
//                                 + ww * (x[n,c,i,(j+1) mod W] - x[n,c,i,j])^2 ),
// i.e. squared forward differences that wrap around at the last row / column, weighted by the
// mask at the difference's first pixel. Differentiable in x; the mask is a constant (an error is
// raised when it requires grad, rather than silently dropping its gradient).
Tensor masked_tv(const Tensor& x, const Tensor& mask, double wh = 1.0, double ww = 1.0);

}  // namespace csgis
#pragma GCC visibility pop
