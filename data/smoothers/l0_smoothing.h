// L0 gradient minimisation (Xu, Lu, Xu and Jia, SIGGRAPH Asia 2011), a classical baseline of the
// paper's Table 1, called there with lambda 0.01, kappa 2.
//
// Minimises sum_p |S_p - I_p|^2 + lambda #{p : grad S_p != 0} by half-quadratic splitting: with
// auxiliary gradients (h, v) and a weight beta growing from 2 lambda by kappa until beta_max,
//   (h, v)_p = 0 where |dx S_p|^2 + |dy S_p|^2 < lambda / beta (summed over channels), else grad S_p;
//   S = F^-1[ (F(I) + beta (F(dx)* F(h) + F(dy)* F(v))) / (1 + beta (|F(dx)|^2 + |F(dy)|^2)) ],
// with forward differences and CIRCULAR borders, as the authors' L0Smoothing.m (OpenCV's l0Smooth
// replicates the border instead). The 2-D FFTs are Eigen's (unsupported/FFT, header-only, Debian's
// libeigen3-dev), real-to-complex half spectra (smoothers/fft2d.h PlaneFft), rows then
// columns, in double precision (float would flip the |grad|^2 < lambda / beta decisions of pixels
// near the threshold, and with them the output by far more than rounding). Per beta and channel:
// one forward transform, of the divergence dx^T h + dy^T v (whose spectrum is F(dx)* F(h) +
// F(dy)* F(v)), and one inverse. Rows, columns and the pixel loops run on OpenMP threads (the
// result does not depend on their number; inside the VOC-smooth builder's worker threads each call
// has a team of its own, as the rolling guidance filter's).
#pragma once
#include "data/image.h"

namespace csgis::data::smoothers {

struct L0Params {
  double lambda = 0.01;   // weight of the gradient count; > 0
  double kappa = 2.0;     // beta growth factor; > 1
  double beta_max = 1e5;  // stop once beta reaches this (the authors' value)
  void validate() const;  // throws csgis::Error naming the bad field
};

// Grey or RGB image in [0,1] -> same shape (not clipped).
Image l0_smoothing(const Image& img, const L0Params& params = {});

}  // namespace csgis::data::smoothers
