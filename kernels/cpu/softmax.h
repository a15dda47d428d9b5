// Softmax and log-softmax on host memory. The engine views the contiguous input as
// [outer, dim, inner] and normalises along the middle axis, so any tensor dimension is handled
// in place, without a permuted copy.
#pragma once
#include <cstdint>

namespace csgis::cpu {

// log:  y = x - max - log(sum_d exp(x - max))     softmax: y = exp(x - max) / sum_d exp(x - max)
template <typename T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t dim, int64_t inner, bool log);
// log:  dx = dy - exp(y) * sum_d dy               softmax: dx = y * (dy - sum_d dy * y)
template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t outer, int64_t dim, int64_t inner, bool log);

}  // namespace csgis::cpu
