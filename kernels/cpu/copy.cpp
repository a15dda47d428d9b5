#include "kernels/cpu/copy.h"

#include <cstring>
#include <type_traits>

namespace csgis::cpu {

namespace {
bool is_contiguous(const StridedLayout& l) {
  int64_t expected = 1;
  for (int d = l.ndim - 1; d >= 0; --d) {
    if (l.sizes[d] != 1 && l.strides[d] != expected) return false;
    expected *= l.sizes[d];
  }
  return true;
}
}  // namespace

template <typename S, typename D>
void strided_copy(const S* src, const StridedLayout& sl, D* dst, const StridedLayout& dl) {
  const int64_t n = sl.numel();
  const bool sc = is_contiguous(sl), dc = is_contiguous(dl);
  if (sc && dc) {
    if constexpr (std::is_same_v<S, D>) {
      std::memcpy(dst, src, size_t(n) * sizeof(S));
    } else {
#pragma omp parallel for if (n > (1 << 16))
      for (int64_t i = 0; i < n; ++i) dst[i] = D(src[i]);
    }
    return;
  }
  // General case: iterate rows of the innermost dimension so the inner loop is a simple stride.
  const int last = sl.ndim - 1;
  const int64_t inner = last >= 0 ? sl.sizes[last] : 1;
  const int64_t s_in = last >= 0 ? sl.strides[last] : 0, d_in = last >= 0 ? dl.strides[last] : 0;
  const int64_t rows = inner ? n / inner : 0;
#pragma omp parallel for if (n > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    const S* s = src + sl.offset_of(r * inner);
    D* d = dst + dl.offset_of(r * inner);
    for (int64_t i = 0; i < inner; ++i) d[i * d_in] = D(s[i * s_in]);
  }
}

template <typename T> void fill(T* dst, int64_t n, T value) {
#pragma omp parallel for if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) dst[i] = value;
}

template void strided_copy<float, float>(const float*, const StridedLayout&, float*, const StridedLayout&);
template void strided_copy<double, double>(const double*, const StridedLayout&, double*, const StridedLayout&);
template void strided_copy<float, double>(const float*, const StridedLayout&, double*, const StridedLayout&);
template void strided_copy<double, float>(const double*, const StridedLayout&, float*, const StridedLayout&);
template void strided_copy<int64_t, int64_t>(const int64_t*, const StridedLayout&, int64_t*, const StridedLayout&);
template void strided_copy<int64_t, float>(const int64_t*, const StridedLayout&, float*, const StridedLayout&);
template void strided_copy<int64_t, double>(const int64_t*, const StridedLayout&, double*, const StridedLayout&);
template void strided_copy<float, int64_t>(const float*, const StridedLayout&, int64_t*, const StridedLayout&);
template void strided_copy<double, int64_t>(const double*, const StridedLayout&, int64_t*, const StridedLayout&);
template void fill<float>(float*, int64_t, float);
template void fill<double>(double*, int64_t, double);
template void fill<int64_t>(int64_t*, int64_t, int64_t);

}  // namespace csgis::cpu
