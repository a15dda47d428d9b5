// Weighted least squares smoothing (Farbman, Fattal, Lischinski and Szeliski, "Edge-preserving
// decompositions for multi-scale tone and detail manipulation", SIGGRAPH 2008), as the authors'
// wlsFilter.m, a classical baseline (`wls`):
//   u = argmin sum_p (u_p - g_p)^2 + a_x,p (dx u)_p^2 + a_y,p (dy u)_p^2,
//   a_x,p = lambda / (|(dx L)_p|^alpha + 1e-4)   (and a_y), L = log(luma + 1e-4),
// i.e. (I + L_a) u = g with L_a the 5-point graph Laplacian of the links a: forward differences,
// no link across the border (the last column's x weight and the last row's y weight are 0, as
// wlsFilter.m's padarray 'post'). Our choices: the guide L is computed from the BT.601 luma of an RGB
// image (Farbman filters the luminance channel; we filter R, G and B with the luma's weights), and
// the log's offset is 1e-4 where wlsFilter.m adds MATLAB's eps (2.2e-16), so that a black 8-bit
// pixel next to the value 1/255 is a step of log(40), not log(1.8e13). Defaults lambda 1, alpha 1.2
// (wlsFilter.m's). Solved with Eigen's conjugate gradient (data/smoothers/sparse_laplacian.h) to a
// relative residual of 1e-6, starting from g.
#pragma once
#include <vector>

#include "data/image.h"

namespace csgis::data::smoothers {

struct WlsParams {
  double lambda = 1.0;    // smoothness weight; > 0
  double alpha = 1.2;     // gradient sensitivity exponent of the weights; > 0 (Farbman uses 1.2 to 2)
  void validate() const;  // throws csgis::Error naming the bad field
};

// The link weights a_x, a_y (W x H each, row-major; a_x = 0 on the last column, a_y on the last row).
void wls_weights(const Image& img, const WlsParams& params, std::vector<double>& ax, std::vector<double>& ay);

// Grey or RGB image in [0,1] -> same shape (not clipped).
Image wls_filter(const Image& img, const WlsParams& params = {});

}  // namespace csgis::data::smoothers
