// Registry entries for max_pool2d, avg_pool2d and adaptive_avg_pool2d: odd sizes, rectangular
// kernels/strides/padding, ceil_mode on and off (including a shape where ceil_mode's "last window
// must start inside the input or left padding" rule drops a window), both count_include_pad
// settings, adaptive down- and up-sizing.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

OpCase max_case(std::string name, Shape s, Size2 k, Size2 st, Size2 p, bool ceil) {
  return {std::move(name), {std::move(s)}, distinct_values,
          [=](auto& x) { return max_pool2d(x[0], k, st, p, ceil); }};
}

OpCase avg_case(std::string name, Shape s, Size2 k, Size2 st, Size2 p, bool ceil, bool include_pad) {
  return {std::move(name), {std::move(s)}, nullptr,
          [=](auto& x) { return avg_pool2d(x[0], k, st, p, ceil, include_pad); }};
}

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back(max_case("max_pool2d/k3s2p1", {2, 3, 7, 9}, 3, 2, 1, false));
  c.push_back(max_case("max_pool2d/k2s2", {1, 3, 6, 7}, 2, 2, 0, false));
  c.push_back(max_case("max_pool2d/ceil", {1, 2, 8, 8}, 3, 2, 1, true));
  // H: 5 + 2 - 3 = 4, ceil(4/3) + 1 = 3 windows, the last would start at 6 >= 5 + 1: dropped -> 2.
  c.push_back(max_case("max_pool2d/ceil_drop", {1, 2, 5, 7}, 3, 3, 1, true));
  c.push_back(max_case("max_pool2d/rect", {2, 2, 6, 7}, {2, 3}, {1, 2}, {1, 1}, false));
  c.push_back(max_case("max_pool2d/rect_ceil", {1, 2, 7, 6}, {3, 2}, {2, 3}, {1, 0}, true));
  c.push_back({"max_pool2d/view_input", {{1, 2, 5, 6}}, distinct_values,
               [](auto& x) { return max_pool2d(x[0].transpose(2, 3), 3, 2, 1); }});

  c.push_back(avg_case("avg_pool2d/include_pad", {2, 3, 7, 9}, 3, 2, 1, false, true));
  c.push_back(avg_case("avg_pool2d/exclude_pad", {2, 3, 7, 9}, 3, 2, 1, false, false));
  c.push_back(avg_case("avg_pool2d/ceil_include_pad", {1, 2, 8, 7}, 3, 2, 1, true, true));
  c.push_back(avg_case("avg_pool2d/ceil_exclude_pad", {1, 2, 8, 7}, 3, 2, 1, true, false));
  c.push_back(avg_case("avg_pool2d/ceil_drop", {1, 2, 5, 7}, 3, 3, 1, true, true));
  c.push_back(avg_case("avg_pool2d/rect", {2, 2, 6, 7}, {2, 3}, {1, 2}, {1, 1}, false, true));
  c.push_back(avg_case("avg_pool2d/k2s2", {1, 3, 6, 6}, 2, 2, 0, false, true));

  c.push_back({"adaptive_avg_pool2d/down", {{2, 3, 7, 9}}, nullptr,
               [](auto& x) { return adaptive_avg_pool2d(x[0], 3, 4); }});
  c.push_back({"adaptive_avg_pool2d/global", {{2, 3, 5, 6}}, nullptr,
               [](auto& x) { return adaptive_avg_pool2d(x[0], 1, 1); }});
  c.push_back({"adaptive_avg_pool2d/up", {{1, 2, 3, 5}}, nullptr,
               [](auto& x) { return adaptive_avg_pool2d(x[0], 5, 7); }});
  c.push_back({"adaptive_avg_pool2d/mixed", {{1, 2, 10, 4}}, nullptr,
               [](auto& x) { return adaptive_avg_pool2d(x[0], 3, 6); }});
});

}  // namespace
}  // namespace csgis::registry
