// Registry entries for the binary elementwise ops (with broadcasting).
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

Tensor away_from_zero(int, const Tensor& t) {
  // |x| + 0.5 with the sign kept: divisors stay well away from zero.
  std::vector<double> v = t.to_vector<double>();
  for (auto& x : v) x = x >= 0 ? x + 0.5 : x - 0.5;
  return Tensor::from_vector(v, t.shape());
}

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"add/same", {{3, 5}, {3, 5}}, nullptr, [](auto& x) { return add(x[0], x[1]); }});
  c.push_back({"add/broadcast", {{2, 3, 4, 5}, {3, 1, 5}}, nullptr, [](auto& x) { return add(x[0], x[1]); }});
  c.push_back({"sub/broadcast", {{4, 1}, {1, 7}}, nullptr, [](auto& x) { return sub(x[0], x[1]); }});
  c.push_back({"mul/broadcast", {{2, 3, 5}, {5}}, nullptr, [](auto& x) { return mul(x[0], x[1]); }});
  c.push_back({"mul/scalar", {{2, 3, 5}, {}}, nullptr, [](auto& x) { return mul(x[0], x[1]); }});
  c.push_back({"div/broadcast", {{3, 4}, {3, 1}}, away_from_zero, [](auto& x) { return div(x[0], x[1]); }});
  c.push_back({"mul/strided_view", {{4, 6}, {6, 4}}, nullptr,
               [](auto& x) { return mul(x[0], x[1].transpose(0, 1)); }});
});

}  // namespace
}  // namespace csgis::registry
