// Unary elementwise ops (engine/ops/unary.cpp): activations, elementary functions and the
// tensor-scalar ops. Any shape and strides; the output is a fresh contiguous tensor.
//
// exp, log, abs, sqrt, pow and tanh share their names with the C math functions. The std
// overloads are brought into namespace csgis below, so unqualified calls such as `sqrt(2.0)` in
// engine code keep finding the scalar functions next to these tensor ones.
#pragma once
#include <cmath>
#include <cstdlib>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

using std::abs;
using std::exp;
using std::log;
using std::pow;
using std::sqrt;
using std::tanh;

Tensor relu(const Tensor& x);                               // max(x, 0); relu'(0) = 0
Tensor leaky_relu(const Tensor& x, double slope = 0.01);    // x > 0 ? x : slope * x
Tensor sigmoid(const Tensor& x);                            // 1 / (1 + e^-x)
Tensor tanh(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor abs(const Tensor& x);                                // abs'(0) = 0
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);               // x^exponent
Tensor clamp(const Tensor& x, double lo, double hi);        // gradient where lo <= x <= hi
Tensor square(const Tensor& x);                             // x * x
Tensor add_scalar(const Tensor& x, double s);               // x + s
Tensor mul_scalar(const Tensor& x, double s);               // x * s
Tensor rsub_scalar(double s, const Tensor& x);              // s - x

}  // namespace csgis
#pragma GCC visibility pop
