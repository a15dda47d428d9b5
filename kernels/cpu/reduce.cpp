#include "kernels/cpu/reduce.h"

#include <cmath>

namespace csgis::cpu {

template <typename T> void sum_rows(const T* x, T* out, int64_t rows, int64_t cols) {
  if (rows == 1) {
    // One long row: split it over threads and combine the partial sums.
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) if (cols > (1 << 15))
    for (int64_t c = 0; c < cols; ++c) total += double(x[c]);
    out[0] = T(total);
    return;
  }
#pragma omp parallel for if (rows * cols > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = x + r * cols;
    double s = 0.0;
    for (int64_t c = 0; c < cols; ++c) s += double(p[c]);
    out[r] = T(s);
  }
}

template <typename T> void max_rows(const T* x, T* out, int64_t* index, int64_t rows, int64_t cols) {
#pragma omp parallel for if (rows * cols > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = x + r * cols;
    T best = p[0];
    int64_t bi = 0;
    for (int64_t c = 1; c < cols && !std::isnan(best); ++c) {
      if (p[c] > best || std::isnan(p[c])) {
        best = p[c];
        bi = c;
      }
    }
    out[r] = best;
    if (index) index[r] = bi;
  }
}

template void sum_rows<float>(const float*, float*, int64_t, int64_t);
template void sum_rows<double>(const double*, double*, int64_t, int64_t);
template void max_rows<float>(const float*, float*, int64_t*, int64_t, int64_t);
template void max_rows<double>(const double*, double*, int64_t*, int64_t, int64_t);

}  // namespace csgis::cpu
