// Registry entries for concat, stack and pad2d.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"concat/dim0", {{2, 3}, {3, 3}, {1, 3}}, nullptr, [](auto& x) { return concat({x[0], x[1], x[2]}, 0); }});
  c.push_back({"concat/channels", {{2, 3, 2, 3}, {2, 1, 2, 3}}, nullptr, [](auto& x) { return concat({x[0], x[1]}, 1); }});
  c.push_back({"concat/neg_dim", {{3, 2}, {3, 5}}, nullptr, [](auto& x) { return concat({x[0], x[1]}, -1); }});
  c.push_back({"concat/strided_input", {{4, 3}, {3, 2}}, nullptr,
               [](auto& x) { return concat({x[0].transpose(0, 1), x[1]}, 1); }});
  c.push_back({"concat/reused_input", {{2, 5}}, nullptr, [](auto& x) { return concat({x[0], x[0]}, 0); }});
  c.push_back({"stack/dim0", {{2, 3}, {2, 3}}, nullptr, [](auto& x) { return stack({x[0], x[1]}, 0); }});
  c.push_back({"stack/last", {{3, 2}, {3, 2}, {3, 2}}, nullptr, [](auto& x) { return stack({x[0], x[1], x[2]}, -1); }});
  c.push_back({"pad2d/constant", {{2, 3, 4, 5}}, nullptr,
               [](auto& x) { return pad2d(x[0], 1, 2, 3, 0, PadMode::Constant, 0.5); }});
  c.push_back({"pad2d/reflect", {{2, 3, 4, 5}}, nullptr,
               [](auto& x) { return pad2d(x[0], 2, 1, 1, 3, PadMode::Reflect); }});
  // Largest legal reflect padding (size - 1) on both sides of both axes.
  c.push_back({"pad2d/reflect_max", {{1, 2, 3, 4}}, nullptr,
               [](auto& x) { return pad2d(x[0], 3, 3, 2, 2, PadMode::Reflect); }});
  // Replicate padding wider than the input: edge elements collect long runs of gradients.
  c.push_back({"pad2d/replicate", {{1, 2, 3, 2}}, nullptr,
               [](auto& x) { return pad2d(x[0], 3, 4, 2, 5, PadMode::Replicate); }});
  c.push_back({"pad2d/replicate_single_row", {{2, 1, 1, 3}}, nullptr,
               [](auto& x) { return pad2d(x[0], 1, 0, 2, 2, PadMode::Replicate); }});
  c.push_back({"pad2d/zero_pad", {{1, 1, 3, 3}}, nullptr,
               [](auto& x) { return pad2d(x[0], 0, 0, 0, 0, PadMode::Reflect); }});
  c.push_back({"pad2d/3d_strided", {{5, 3, 4}}, nullptr,
               [](auto& x) { return pad2d(x[0].transpose(1, 2), 1, 1, 2, 1, PadMode::Reflect); }});
});

}  // namespace
}  // namespace csgis::registry
