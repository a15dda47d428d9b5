// Every differentiable op of the engine. Each family lives in engine/ops/<family>.cpp together
// with its backward rule; kernels live in kernels/cpu/<family>.cpp and kernels/cuda/<family>.cu.
#pragma once
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// ---- elementwise binary with broadcasting (engine/ops/elementwise.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Shape broadcast_shapes(const Shape& a, const Shape& b);
// View of `t` broadcast to `shape` (stride 0 on expanded dims); backward sums back.
Tensor expand(const Tensor& t, const Shape& shape);
// Sums `t` down to `shape` (the inverse of broadcasting); used by backward rules.
Tensor sum_to(const Tensor& t, const Shape& shape);

// ---- reductions (engine/ops/reduce.cpp) ----
Tensor sum(const Tensor& x);  // all elements -> shape []
Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
// Maximum over one dimension; `indices` (optional) receives int64 argmax positions.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false, Tensor* indices = nullptr);

}  // namespace csgis
#pragma GCC visibility pop

// Other op families, one header each.
#include "engine/ops/batchnorm.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/matmul.h"
#include "engine/ops/pool.h"
#include "engine/ops/shape.h"
#include "engine/ops/softmax.h"
#include "engine/ops/unary.h"
#include "engine/ops/upsample.h"
#include "engine/ops/ssim.h"
#include "engine/ops/tv.h"
#include "engine/ops/gram.h"
