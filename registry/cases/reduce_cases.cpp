// Registry entries for the reductions (engine/ops/reduce.cpp).
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"sum/all", {{3, 7, 5}}, nullptr, [](auto& x) { return sum(x[0]); }});
  c.push_back({"sum/dims", {{2, 3, 4, 5}}, nullptr, [](auto& x) { return sum(x[0], {1, 3}); }});
  c.push_back({"sum/long_rows", {{3, 300}}, nullptr, [](auto& x) { return sum(x[0], {1}, true); }});
  c.push_back({"mean/dims", {{2, 3, 4}}, nullptr, [](auto& x) { return mean(x[0], {0, 2}); }});
  c.push_back({"max/dim1", {{3, 6, 2}}, distinct_values, [](auto& x) { return max(x[0], 1); }});
  c.push_back({"max/dim_last_keep", {{4, 9}}, distinct_values, [](auto& x) { return max(x[0], -1, true); }});
});

}  // namespace
}  // namespace csgis::registry
