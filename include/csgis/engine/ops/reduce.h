// Reductions (engine/ops/reduce.cpp): over all elements or over the listed dims (negative dims
// count from the end), keeping the reduced dims as size 1 when `keepdim`.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

Tensor sum(const Tensor& x);  // all elements -> shape []
Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
// Maximum over one dimension; `indices` (optional) receives int64 argmax positions.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false, Tensor* indices = nullptr);

}  // namespace csgis
#pragma GCC visibility pop
