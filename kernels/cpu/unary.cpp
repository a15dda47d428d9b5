#include "kernels/cpu/unary.h"

#include <array>
#include <utility>

namespace csgis::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 15;

// The op is a template argument so each loop body is a straight-line expression the compiler can
// vectorise; a table indexed by the runtime op picks the instantiation once per call.
template <typename T, UnaryOp OP>
void forward_loop(const T* x, T* y, int64_t n, T a, T b) {
#pragma omp parallel for simd if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = apply_unary(OP, x[i], a, b);
}

template <typename T, UnaryOp OP>
void backward_loop(const T* v, const T* dy, T* dx, int64_t n, T a, T b) {
#pragma omp parallel for simd if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dx[i] = unary_derivative(OP, v[i], a, b) * dy[i];
}

template <typename T, int... I>
constexpr auto forward_table(std::integer_sequence<int, I...>) {
  using Fn = void (*)(const T*, T*, int64_t, T, T);
  return std::array<Fn, sizeof...(I)>{&forward_loop<T, UnaryOp(I)>...};
}

template <typename T, int... I>
constexpr auto backward_table(std::integer_sequence<int, I...>) {
  using Fn = void (*)(const T*, const T*, T*, int64_t, T, T);
  return std::array<Fn, sizeof...(I)>{&backward_loop<T, UnaryOp(I)>...};
}

using Ops = std::make_integer_sequence<int, kUnaryOpCount>;
}  // namespace

template <typename T> void unary(UnaryOp op, const T* x, T* y, int64_t n, T a, T b) {
  static constexpr auto table = forward_table<T>(Ops{});
  if (n > 0) table[size_t(op)](x, y, n, a, b);
}

template <typename T>
void unary_backward(UnaryOp op, const T* saved, const T* dy, T* dx, int64_t n, T a, T b) {
  static constexpr auto table = backward_table<T>(Ops{});
  // Ops whose derivative needs no saved tensor read dy in its place: any valid pointer will do.
  if (n > 0) table[size_t(op)](unary_saved(op) == UnarySaved::None ? dy : saved, dy, dx, n, a, b);
}

template void unary<float>(UnaryOp, const float*, float*, int64_t, float, float);
template void unary<double>(UnaryOp, const double*, double*, int64_t, double, double);
template void unary_backward<float>(UnaryOp, const float*, const float*, float*, int64_t, float, float);
template void unary_backward<double>(UnaryOp, const double*, const double*, double*, int64_t, double,
                                     double);

}  // namespace csgis::cpu
