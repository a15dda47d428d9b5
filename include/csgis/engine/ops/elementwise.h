// Elementwise binary ops with broadcasting (engine/ops/elementwise.cpp): NumPy/PyTorch rules, the
// output is a fresh contiguous tensor of the broadcast shape.
#pragma once
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Shape broadcast_shapes(const Shape& a, const Shape& b);
// View of `t` broadcast to `shape` (stride 0 on expanded dims); backward sums back.
Tensor expand(const Tensor& t, const Shape& shape);
// Sums `t` down to `shape` (the inverse of broadcasting); used by backward rules.
Tensor sum_to(const Tensor& t, const Shape& shape);

}  // namespace csgis
#pragma GCC visibility pop
