// The bilateral filter (Tomasi and Manduchi, ICCV 1998) as a classical baseline (`bf`), with the
// conventions of OpenCV's cv2.bilateralFilter(src, d = -1, sigmaColor, sigmaSpace) on float images,
// so that the two can be compared:
//   out(p) = sum_q w(p,q) I_q / sum_q w(p,q),
//   w(p,q) = exp(-|q-p|^2 / (2 sigma_s^2)) * exp(-d(I_p, I_q)^2 / (2 sigma_r^2)),
//   d      = sum over channels of |I_p,c - I_q,c|   (OpenCV's colour distance: L1, not Euclidean),
// over the DISC |q-p|_2 <= radius (OpenCV skips the corners of the square), radius =
// cvRound(1.5 sigma_s) (round half to even, as lrint: sigma_s 3 gives 4.5 -> 4) and at least 1, or
// the radius given. Borders: BORDER_REFLECT_101 (OpenCV's default; ...cba|abcd|dcb...), or Clip:
// the window is cut at the image and the normalisation absorbs the missing part. Range weights are
// computed exactly, one exp per tap of the spatial and range exponents together, in the AVX2 engine
// of smoothers/bilateral_simd.h (8 pixels a step; OpenCV interpolates a 4096-bin table per
// channel, a ~1e-4 difference; ours stays within ~1e-6 of a double-precision brute force).
// The paper's VOC builder calls it with radius 5, sigma_space 3, sigma_color 0.1 (data::
// bilateral_filter); our defaults are the same sigmas with OpenCV's radius rule (--bf-radius 5
// gives the builder's window, which is a square there).
// Rows are spread over OpenMP threads; the output does not depend on their number.
#pragma once
#include "data/image.h"

namespace csgis::data::smoothers {

enum class BilateralBorder { Reflect101, Clip };

struct BilateralParams {
  double sigma_s = 3.0;  // spatial sigma in pixels; > 0
  double sigma_r = 0.1;  // range sigma on [0,1] data (L1 colour distance); > 0
  int radius = 0;        // window radius; 0: OpenCV's rule max(1, cvRound(1.5 sigma_s)); else >= 1
  BilateralBorder border = BilateralBorder::Reflect101;
  void validate() const;          // throws csgis::Error naming the bad field
  int window_radius() const;      // the radius actually used
};

// Grey or RGB image -> same shape.
Image bilateral(const Image& img, const BilateralParams& params = {});

// ---- the engine shared with data::bilateral_filter (data/filters.h) ----
enum class BilateralWindow { Disc, Rectangle };
// Range weights: exact exp, or the legacy table over the L1 distance in steps of 1/1024 (nearest
// bin) that data::bilateral_filter has always used (kept so its output does not change).
enum class BilateralRange { Exact, Table1024 };

struct BilateralPass {
  int rx = 1, ry = 1;  // half-widths; rx == ry for the full filter, one 0 for a separable pass
  float sigma_s = 1, sigma_r = 1;
  BilateralWindow window = BilateralWindow::Disc;  // Disc needs rx == ry
  BilateralBorder border = BilateralBorder::Reflect101;
  BilateralRange range = BilateralRange::Exact;
  bool parallel = true;  // OpenMP over rows (off for callers that already run one image per thread)
};

Image bilateral_pass(const Image& img, const BilateralPass& pass);

}  // namespace csgis::data::smoothers
