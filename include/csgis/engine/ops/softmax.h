// Softmax family (engine/ops/softmax.cpp): numerically stable (max subtracted) normalisation along
// one dimension, negative dims counting from the end. The output is a fresh contiguous tensor.
#pragma once
#include <cstdint>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// y = x - log(sum_dim exp(x)); backward dx = dy - exp(y) * sum_dim dy
Tensor log_softmax(const Tensor& x, int64_t dim);
// y = exp(x) / sum_dim exp(x); backward dx = y * (dy - sum_dim dy * y)
Tensor softmax(const Tensor& x, int64_t dim);

}  // namespace csgis
#pragma GCC visibility pop
