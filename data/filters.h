// Edge-aware smoothing for the data pipeline (the over-smoothed negative I_over, paper sec. 4.4).
#pragma once
#include "data/image.h"

namespace csgis::data {

// Bilateral filter (the data pipeline's variant of smoothers::bilateral, data/smoothers/bilateral.h),
// OpenCV-style colour distance (sum of |channel differences|, images in [0,1]):
//   out(p) = sum_q w(p,q) I_q / sum_q w(p,q),
//   w(p,q) = exp(-|q-p|^2 / (2 sigma_space^2)) * exp(-d(I_p, I_q)^2 / (2 sigma_color^2)),
// over the window |q-p|_inf <= radius, cut at the image border (no padding: the normalisation
// absorbs the missing part). separable = true runs a 1-D pass along rows and then one along
// columns on its result (the usual separable approximation, Pham & van Vliet 2005): 2(2r+1) taps
// per pixel instead of (2r+1)^2, close to the full filter when sigma_color is large, as here.
// 1 or 3 channels.
Image bilateral_filter(const Image& img, int radius, float sigma_color, float sigma_space,
                       bool separable = false);

}  // namespace csgis::data
