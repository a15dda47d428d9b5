// The unary elementwise operations and their derivatives, shared by the CPU and CUDA kernels.
// Every op takes up to two scalar parameters (a, b): the slope of leaky_relu, the exponent of pow,
// the bounds of clamp, the scalar of the scalar ops. Unused parameters are ignored.
#pragma once
#include <cmath>

#include "kernels/common/layout.h"

namespace csgis {

enum class UnaryOp : int {
  Relu = 0,
  LeakyRelu,   // a = negative slope
  Sigmoid,
  Tanh,
  Exp,
  Log,
  Abs,
  Sqrt,
  Pow,         // a = exponent
  Clamp,       // a = lo, b = hi
  AddScalar,   // a = s: x + s
  MulScalar,   // a = s: x * s
  RsubScalar,  // a = s: s - x
  Square,
};
constexpr int kUnaryOpCount = int(UnaryOp::Square) + 1;

// What the backward kernel reads besides dy: the derivative of sigmoid, tanh, exp and sqrt is
// cheapest from the output (no transcendental recomputed), the others need the input or nothing.
enum class UnarySaved : int { Input, Output, None };

CSGIS_HD inline UnarySaved unary_saved(UnaryOp op) {
  switch (op) {
    case UnaryOp::Sigmoid:
    case UnaryOp::Tanh:
    case UnaryOp::Exp:
    case UnaryOp::Sqrt: return UnarySaved::Output;
    case UnaryOp::AddScalar:
    case UnaryOp::MulScalar:
    case UnaryOp::RsubScalar: return UnarySaved::None;
    default: return UnarySaved::Input;
  }
}

// Float and double overloads of the libm functions, spelled with the global names so that nvcc
// (device overloads) and g++ (the SIMT build and the host kernels) both resolve them.
namespace umath {
CSGIS_HD inline float exp_(float x) { return ::expf(x); }
CSGIS_HD inline double exp_(double x) { return ::exp(x); }
CSGIS_HD inline float log_(float x) { return ::logf(x); }
CSGIS_HD inline double log_(double x) { return ::log(x); }
CSGIS_HD inline float tanh_(float x) { return ::tanhf(x); }
CSGIS_HD inline double tanh_(double x) { return ::tanh(x); }
CSGIS_HD inline float sqrt_(float x) { return ::sqrtf(x); }
CSGIS_HD inline double sqrt_(double x) { return ::sqrt(x); }
CSGIS_HD inline float abs_(float x) { return ::fabsf(x); }
CSGIS_HD inline double abs_(double x) { return ::fabs(x); }
CSGIS_HD inline float pow_(float x, float e) { return ::powf(x, e); }
CSGIS_HD inline double pow_(double x, double e) { return ::pow(x, e); }
}  // namespace umath

// y = f(x). Comparisons are written so that NaN inputs propagate (as in PyTorch).
template <typename T>
CSGIS_HD inline T apply_unary(UnaryOp op, T x, T a, T b) {
  switch (op) {
    case UnaryOp::Relu: return x < T(0) ? T(0) : x;
    case UnaryOp::LeakyRelu: return x < T(0) ? x * a : x;
    case UnaryOp::Sigmoid: {
      // exp of a non-positive argument only: no overflow for large |x|.
      if (x >= T(0)) return T(1) / (T(1) + umath::exp_(-x));
      const T e = umath::exp_(x);
      return e / (T(1) + e);
    }
    case UnaryOp::Tanh: return umath::tanh_(x);
    case UnaryOp::Exp: return umath::exp_(x);
    case UnaryOp::Log: return umath::log_(x);
    case UnaryOp::Abs: return umath::abs_(x);
    case UnaryOp::Sqrt: return umath::sqrt_(x);
    case UnaryOp::Pow: return umath::pow_(x, a);
    case UnaryOp::Clamp: return x < a ? a : (x > b ? b : x);
    case UnaryOp::AddScalar: return x + a;
    case UnaryOp::MulScalar: return x * a;
    case UnaryOp::RsubScalar: return a - x;
    case UnaryOp::Square: return x * x;
  }
  return x;
}

// f'(x), given v = x or y = f(x) as unary_saved(op) says (v is unused for UnarySaved::None).
// Sub-gradients follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes where lo <= x <= hi.
template <typename T>
CSGIS_HD inline T unary_derivative(UnaryOp op, T v, T a, T b) {
  switch (op) {
    case UnaryOp::Relu: return v > T(0) ? T(1) : T(0);
    case UnaryOp::LeakyRelu: return v > T(0) ? T(1) : a;
    case UnaryOp::Sigmoid: return v * (T(1) - v);
    case UnaryOp::Tanh: return T(1) - v * v;
    case UnaryOp::Exp: return v;
    case UnaryOp::Log: return T(1) / v;
    case UnaryOp::Abs: return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
    case UnaryOp::Sqrt: return T(0.5) / v;
    case UnaryOp::Pow: return a == T(0) ? T(0) : a * umath::pow_(v, a - T(1));
    case UnaryOp::Clamp: return (v >= a && v <= b) ? T(1) : T(0);
    case UnaryOp::AddScalar: return T(1);
    case UnaryOp::MulScalar: return a;
    case UnaryOp::RsubScalar: return T(-1);
    case UnaryOp::Square: return T(2) * v;
  }
  return T(0);
}

}  // namespace csgis
