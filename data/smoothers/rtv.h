// Relative total variation (Xu, Yan, Xia and Jia, "Structure extraction from texture via relative
// total variation", SIGGRAPH Asia 2012), a classical baseline of the paper's Table 1, called there
// with lambda 0.015, sigma 3. Follows the authors' tsmooth.m:
//   x = I; repeat `iterations` times:
//     w_x(p) = 1 / max(|G_sigma * dx x|(p), 1e-3)  *  1 / max(|grad x|(p), sharpness)   (and w_y)
//       (|G * dx x| and |grad x| averaged over channels; G a Gaussian of size odd(round(5 sigma)),
//        zero-padded as MATLAB's conv2 'same'; forward differences, the last column/row weight 0)
//     solve (1 + (lambda/2) L_w) x = I per channel, L_w the weighted 5-point graph Laplacian
//     sigma = max(sigma / 2, 0.5)
// The sparse SPD systems are solved with Eigen's conjugate gradient (data/smoothers/sparse_laplacian.h) to a
// relative residual of 1e-6.
#pragma once
#include "data/image.h"

namespace csgis::data::smoothers {

struct RtvParams {
  double lambda = 0.015;    // smoothness weight; > 0
  double sigma = 3.0;       // texture scale in pixels; > 0
  double sharpness = 0.02;  // floor of the gradient magnitude in the weights; > 0
  int iterations = 4;       // >= 1
  void validate() const;    // throws csgis::Error naming the bad field
};

// Grey or RGB image in [0,1] -> same shape (not clipped).
Image rtv_smoothing(const Image& img, const RtvParams& params = {});

}  // namespace csgis::data::smoothers
