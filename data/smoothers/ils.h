// Iterative least squares smoothing (Liu, Zhang, Huang, Yang, Shen and Reid, "Real-time image
// smoothing via iterative least squares", ACM TOG 2020) with the Welsch penalty, a classical
// baseline (`ils`). Follows the authors' ILS_Welsch.m. The energy is
//   E(u) = sum_p (u_p - f_p)^2 + lambda sum_p phi((dx u)_p) + phi((dy u)_p),
//   phi(x) = 2 gamma^2 (1 - exp(-x^2 / (2 gamma^2))),  phi'(x) = 2 x exp(-x^2 / (2 gamma^2)),
// and with c = 2 = max phi'' (the additive half-quadratic form phi(x) = min_m (c/2) x^2 - m x + ...,
// whose minimiser is m = c x - phi'(x)) each iteration is one fixed linear solve:
//   m_x = c dx u^k - phi'(dx u^k)   (and m_y),
//   (1 + (lambda/2) c D^T D) u^{k+1} = r + (lambda/2) (dx^T m_x + dy^T m_y),
// diagonal in the Fourier domain: forward differences with CIRCULAR borders, as the authors, and the
// 2-D FFTs of data/smoothers/fft2d.h. Each channel on its own (gradients are not shared).
// r is the data term: the released code feeds each iteration's result back as the next one's r
// ("Normin1 = FU; this helps to further enlarge the smoothing strength"), so r = u^k after the first
// iteration: the default (accumulate = true). accumulate = false keeps r = f (the energy above).
// Defaults: lambda 30, gamma 10/255, 10 iterations (the issue's; the authors' demo uses gamma 5/255
// on a clip-art image; gamma is on [0,1] data).
#pragma once
#include "data/image.h"

namespace csgis::data::smoothers {

// c of the half-quadratic form above: the maximum of phi'' of the Welsch penalty.
inline constexpr double kIlsWelschC = 2.0;

struct IlsParams {
  double lambda = 30.0;         // smoothing strength; > 0
  double gamma = 10.0 / 255.0;  // Welsch scale on [0,1] data; > 0
  int iterations = 10;          // >= 1
  bool accumulate = true;       // the released code's data term (see above); false: the paper's f
  void validate() const;        // throws csgis::Error naming the bad field
};

// Grey or RGB image in [0,1] -> same shape (not clipped).
Image ils_smoothing(const Image& img, const IlsParams& params = {});

}  // namespace csgis::data::smoothers
