#include "kernels/cpu/shape.h"

#include <cstddef>
#include <vector>

namespace csgis::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 15;
}  // namespace

template <typename T>
void pad2d_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad, T value) {
  const int64_t ho = h + pad.top + pad.bottom, wo = w + pad.left + pad.right;
  // Column sources depend only on ow: computed once instead of per row.
  std::vector<int64_t> src_col(static_cast<std::size_t>(wo));
  for (int64_t ow = 0; ow < wo; ++ow) src_col[std::size_t(ow)] = pad_source(pad.mode, ow - pad.left, w);
#pragma omp parallel for if (planes * ho * wo > kParallelMin)
  for (int64_t r = 0; r < planes * ho; ++r) {
    const int64_t p = r / ho, ih = pad_source(pad.mode, r % ho - pad.top, h);
    T* yr = y + r * wo;
    if (ih < 0) {
      for (int64_t ow = 0; ow < wo; ++ow) yr[ow] = value;
      continue;
    }
    const T* xr = x + (p * h + ih) * w;
    for (int64_t ow = 0; ow < wo; ++ow) {
      const int64_t iw = src_col[std::size_t(ow)];
      yr[ow] = iw < 0 ? value : xr[iw];
    }
  }
}

template <typename T>
void pad2d_backward(const T* dy, T* dx, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad) {
  const int64_t ho = h + pad.top + pad.bottom, wo = w + pad.left + pad.right;
  // Gather (each input sums the outputs that read it) rather than scatter: no write conflicts
  // between threads and a fixed summation order.
#pragma omp parallel for if (planes * h * w > kParallelMin)
  for (int64_t r = 0; r < planes * h; ++r) {
    const int64_t p = r / h, i = r % h;
    const PadReaders rows = pad_readers(pad.mode, i, h, pad.top, pad.bottom);
    const T* gp = dy + p * ho * wo;
    for (int64_t j = 0; j < w; ++j) {
      const PadReaders cols = pad_readers(pad.mode, j, w, pad.left, pad.right);
      T s = T(0);
      for (int64_t a = 0; a < rows.count(); ++a) {
        const T* gr = gp + (rows.at(a) + pad.top) * wo + pad.left;
        for (int64_t b = 0; b < cols.count(); ++b) s += gr[cols.at(b)];
      }
      dx[r * w + j] = s;
    }
  }
}

template void pad2d_forward<float>(const float*, float*, int64_t, int64_t, int64_t, const Pad2dSpec&, float);
template void pad2d_forward<double>(const double*, double*, int64_t, int64_t, int64_t, const Pad2dSpec&,
                                    double);
template void pad2d_backward<float>(const float*, float*, int64_t, int64_t, int64_t, const Pad2dSpec&);
template void pad2d_backward<double>(const double*, double*, int64_t, int64_t, int64_t, const Pad2dSpec&);

}  // namespace csgis::cpu
