// Rolling guidance filter (Zhang, Shen, Xu and Jia, ECCV 2014), a classical baseline of the
// paper's Table 1, called there as RGF(sigma_s 4, sigma_r 0.1, 4 iterations).
//
// Small structures are removed first, then large edges are recovered iteratively:
//   J_1     = Gaussian(I, sigma_s)                      (the joint filter below with a constant guide)
//   J_{t+1} = sum_q w(p,q) I(q) / sum_q w(p,q),
//   w(p,q)  = exp(-|p-q|^2 / (2 sigma_s^2) - |J_t(p) - J_t(q)|^2 / (2 sigma_r^2)),
// for t = 1 .. iterations-1, where |J_t(p) - J_t(q)| is the Euclidean distance of the guide's RGB
// (or grey) values in [0,1]. The paper's first step starts from a constant guide (a Gaussian), not
// from the image (OpenCV's rollingGuidanceFilter does the latter, a bilateral first pass). The
// window is |p-q|_inf <= ceil(3 sigma_s), clipped at the border (the normalisation absorbs the
// missing part: no padding convention). Exact, no truncated taps: the first pass runs separably in
// double (the weights of a Gaussian cut to a rectangle are separable), the others over the whole
// square window in the AVX2 engine of smoothers/bilateral_simd.h (one exp per tap for both terms,
// float sums within a row of taps, double across rows): O((iterations - 1) (6 sigma_s)^2) per pixel,
// within ~1e-6 of a double-precision brute force, the same bits for any number of threads.
#pragma once
#include "data/image.h"

namespace csgis::data::smoothers {

struct RollingGuidanceParams {
  double sigma_s = 4.0;   // spatial sigma in pixels; > 0
  double sigma_r = 0.1;   // range sigma on [0,1] data; > 0
  int iterations = 4;     // >= 1 (1 = the Gaussian alone)
  void validate() const;  // throws csgis::Error naming the bad field
};

// Joint bilateral filter of `src` guided by `guide` (same size; 1 or 3 channels each), the building
// block above. Window radius ceil(3 sigma_s).
Image joint_bilateral_filter(const Image& src, const Image& guide, double sigma_s, double sigma_r);

// Grey or RGB image in [0,1] -> same shape.
Image rolling_guidance_filter(const Image& img, const RollingGuidanceParams& params = {});

}  // namespace csgis::data::smoothers
