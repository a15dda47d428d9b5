// Unary elementwise ops on host memory (contiguous buffers of n elements).
#pragma once
#include <cstdint>

#include "kernels/common/unary_op.h"

namespace csgis::cpu {

// y[i] = f(x[i])
template <typename T> void unary(UnaryOp op, const T* x, T* y, int64_t n, T a, T b);
// dx[i] = f'(saved[i]) * dy[i], saved = x or y as unary_saved(op) says (ignored for None)
template <typename T>
void unary_backward(UnaryOp op, const T* saved, const T* dy, T* dx, int64_t n, T a, T b);

}  // namespace csgis::cpu
