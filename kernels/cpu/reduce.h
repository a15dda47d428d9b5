// Row reductions on host memory: the engine permutes the reduced dimensions innermost, so every
// reduction is over the `cols` contiguous elements of each of `rows` rows.
#pragma once
#include <cstdint>

namespace csgis::cpu {

// out[r] = sum_c x[r*cols + c]   (accumulated in double for float inputs)
template <typename T> void sum_rows(const T* x, T* out, int64_t rows, int64_t cols);
// out[r] = max_c x[r*cols + c], index[r] = first argmax (NaN propagates as in PyTorch)
template <typename T> void max_rows(const T* x, T* out, int64_t* index, int64_t rows, int64_t cols);

}  // namespace csgis::cpu
