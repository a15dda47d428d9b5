// The shared inner engine of the bilateral filter (`bf`, smoothers/bilateral.h) and of the rolling
// guidance filter's joint bilateral passes (smoothers/rolling_guidance.h):
//   out(p) = sum_q w(p,q) src_q / sum_q w(p,q),
//   w(p,q) = exp(-(s_q + k D(guide_p, guide_q))),
// over a list of taps q - p with their spatial exponents s_q (|q-p|^2 / (2 sigma_s^2)), where D is
// the squared L1 colour distance (OpenCV's bilateral) or the squared Euclidean one (RGF), k =
// 1 / (2 sigma_r^2). One exp per tap, so the weights equal the product form of either filter up to
// float rounding.
//
// How it is fast: the images are copied into planar, padded planes (one per channel, the border
// already applied), so the tap loop has no branches and runs over 8 neighbouring pixels at once in
// AVX2 registers with a vectorised exp (range reduction to 2^n e^f, |f| <= ln2/2, then the degree-7
// Taylor polynomial of e^f: relative error ~2e-7, like expf). Every pixel, the last ones of a row
// too, goes through the same vector code, so results do not depend on where a pixel lies or on
// the thread count. Weights and weighted sums add up in float within a row of taps, and the rows'
// sums in double (a 25x25 window keeps float's rounding to ~1e-7 of the result).
// Borders: Reflect101 pads with mirrored pixels; Clip pads with a guide value far from [0,1] (and a
// zero source), whose weight exp(-huge) is exactly 0, so the window is cut at the image.
// Without AVX2 (a non-x86-64-v3 build) the same formula runs in scalar code.
#pragma once
#include <vector>

#include "data/image.h"
#include "data/smoothers/bilateral.h"

namespace csgis::data::smoothers {

enum class RangeDistance { L1Squared, EuclideanSquared };

struct WeightedTap {
  int dx, dy;
  float spatial_exponent;  // s_q >= 0; w = exp(-(s_q + k D))
};

struct JointBilateralSpec {
  std::vector<WeightedTap> taps;  // summed in this order; taps of one dy must be consecutive
  float range_coefficient = 1;    // k
  RangeDistance distance = RangeDistance::L1Squared;
  BilateralBorder border = BilateralBorder::Reflect101;
  bool parallel = true;  // OpenMP over rows
};

// `src` and `guide`: same size, 1 or 3 channels each (guide may be the same image as src).
Image joint_bilateral_simd(const Image& src, const Image& guide, const JointBilateralSpec& spec);

}  // namespace csgis::data::smoothers
