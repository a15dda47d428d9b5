// Registry entries for the Gram op: one tile, channels across two 32-wide tiles (the mirrored
// lower triangle), and K long enough to be split across blocks (kernels/cpu/gram.h GramPlan).
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"gram/small", {{2, 5, 3, 4}}, nullptr, [](auto& x) { return gram(x[0]); }});
  c.push_back({"gram/one_channel", {{3, 1, 2, 2}}, nullptr, [](auto& x) { return gram(x[0]); }});
  c.push_back({"gram/two_tiles", {{1, 33, 5, 7}}, nullptr, [](auto& x) { return gram(x[0]); }});
  c.push_back({"gram/split_k", {{2, 3, 25, 40}}, nullptr, [](auto& x) { return gram(x[0]); }});
  c.push_back({"gram/tiles_and_splits", {{1, 40, 20, 30}}, nullptr, [](auto& x) { return gram(x[0]); }});
});

}  // namespace
}  // namespace csgis::registry
