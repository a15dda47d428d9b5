// Registry entries for the unary elementwise ops.
#include <algorithm>
#include <cmath>

#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

// Applies f to every value of a float64 CPU tensor (the make_input hook).
template <typename F>
Tensor map_values(const Tensor& t, F f) {
  std::vector<double> v = t.to_vector<double>();
  for (auto& x : v) x = f(x);
  return Tensor::from_vector(v, t.shape());
}

// Values at least 0.05 away from `kink`: finite differences never straddle it.
Tensor away_from(const Tensor& t, double kink) {
  return map_values(t, [kink](double x) { return x >= kink ? std::max(x, kink + 0.05) : std::min(x, kink - 0.05); });
}

Tensor away_from_zero(int, const Tensor& t) { return away_from(t, 0.0); }
Tensor positive(int, const Tensor& t) { return map_values(t, [](double x) { return std::fabs(x) + 0.2; }); }
// clamp(x, -0.5, 0.7): values spread over [-2, 2] and kept away from both bounds.
Tensor away_from_bounds(int, const Tensor& t) { return away_from(away_from(t, -0.5), 0.7); }

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"relu/odd", {{3, 5, 7}}, away_from_zero, [](auto& x) { return relu(x[0]); }});
  c.push_back({"relu/strided_view", {{6, 5}}, away_from_zero, [](auto& x) { return relu(x[0].transpose(0, 1)); }});
  c.push_back({"relu/multi_block", {{3, 257}}, away_from_zero, [](auto& x) { return relu(x[0]); }});
  c.push_back({"leaky_relu/default", {{4, 9}}, away_from_zero, [](auto& x) { return leaky_relu(x[0]); }});
  c.push_back({"leaky_relu/slope", {{2, 3, 5}}, away_from_zero, [](auto& x) { return leaky_relu(x[0], 0.2); }});
  c.push_back({"sigmoid/odd", {{5, 7}}, nullptr, [](auto& x) { return sigmoid(x[0]); }});
  c.push_back({"sigmoid/large_inputs", {{3, 11}}, nullptr, [](auto& x) { return sigmoid(mul_scalar(x[0], 8.0)); }});
  c.push_back({"tanh/odd", {{2, 3, 5}}, nullptr, [](auto& x) { return tanh(x[0]); }});
  c.push_back({"exp/odd", {{3, 7}}, nullptr, [](auto& x) { return exp(x[0]); }});
  c.push_back({"log/positive", {{4, 5}}, positive, [](auto& x) { return log(x[0]); }});
  c.push_back({"abs/odd", {{3, 5}}, away_from_zero, [](auto& x) { return abs(x[0]); }});
  c.push_back({"sqrt/positive", {{2, 9}}, positive, [](auto& x) { return sqrt(x[0]); }});
  c.push_back({"pow/fractional", {{3, 5}}, positive, [](auto& x) { return pow(x[0], 2.5); }});
  c.push_back({"pow/negative_exponent", {{7}}, positive, [](auto& x) { return pow(x[0], -1.5); }});
  c.push_back({"pow/cube_any_sign", {{2, 7}}, nullptr, [](auto& x) { return pow(x[0], 3.0); }});
  c.push_back({"clamp/both_bounds", {{4, 7}}, away_from_bounds, [](auto& x) { return clamp(x[0], -0.5, 0.7); }});
  c.push_back({"square/odd", {{3, 1, 5}}, nullptr, [](auto& x) { return square(x[0]); }});
  c.push_back({"add_scalar/odd", {{3, 5}}, nullptr, [](auto& x) { return add_scalar(x[0], 1.25); }});
  c.push_back({"mul_scalar/odd", {{5, 3}}, nullptr, [](auto& x) { return mul_scalar(x[0], -0.75); }});
  c.push_back({"rsub_scalar/odd", {{2, 2, 3}}, nullptr, [](auto& x) { return rsub_scalar(2.0, x[0]); }});
  // A chain: gradients flow through several unary nodes and a saved output (sigmoid).
  c.push_back({"unary/chain", {{3, 4}}, nullptr,
               [](auto& x) { return sigmoid(add_scalar(square(tanh(x[0])), -0.3)); }});
});

}  // namespace
}  // namespace csgis::registry
