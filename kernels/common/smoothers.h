// Plain definitions shared by the smoother kernels of kernels/cuda/{guided_filter,bilateral}.cu and
// their host callers (data/smoothers/gpu_smoothers.cpp): the border convention of a filter window
// and the workspace sizes the launchers expect. Guarded, unlike the launcher headers, because the
// definitions must exist once whichever namespace calls them.
#pragma once
#include <cstdint>

#include "kernels/common/layout.h"  // CSGIS_HD

namespace csgis {

// What a window that overhangs the image border reads.
enum class WindowBorder : int {
  Clip = 0,        // the window is cut to the image; the weight normalisation absorbs the loss
  Reflect101 = 1,  // taps outside are mirrored without repeating the edge: [a b c] -> b | a b c | b
};

// Index read by coordinate u on an axis of n samples under Reflect101 (OpenCV's BORDER_REFLECT_101,
// reflected again as often as needed, so any radius works; n == 1 always reads 0).
CSGIS_HD inline int reflect101_index(int u, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  u %= period;
  if (u < 0) u += period;
  return u < n ? u : period - u;
}

// Floats of device workspace the guided filter launcher needs: eight planes per channel (the row
// sums of I, p, I^2, I p and then their box means; later the row sums of a and b).
inline int64_t guided_filter_workspace_floats(int width, int height, int channels) {
  return int64_t(width) * height * channels * 8;
}

}  // namespace csgis
