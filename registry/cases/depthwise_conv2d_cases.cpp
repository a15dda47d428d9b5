// Registry entries for grouped and depthwise conv2d (Conv2dParams::groups): MobileNetV2's
// depthwise 3x3 (stride 1 and 2, a channel multiplier), dilated depthwise (DeepLabv3+ with output
// stride 8/16), and general groups through the per-group path; odd sizes throughout.
#include "engine/error.h"
#include "engine/ops.h"
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

Conv2dParams grouped(int64_t groups, int64_t stride, int64_t pad, int64_t dil) {
  Conv2dParams p{stride, stride, pad, pad, dil, dil};
  p.groups = groups;
  return p;
}

OpCase grouped_case(const std::string& name, Shape x, Shape w, bool bias, Conv2dParams p) {
  std::vector<Shape> shapes{x, w};
  if (bias) shapes.push_back({w[0]});
  // groups follow from the shapes (C / weight's input channels), so a user's --shape keeps the layer's kind.
  OpCase c{"conv2d_groups/" + name, shapes, nullptr, [p, bias](const std::vector<Tensor>& in) {
             Conv2dParams q = p;
             q.groups = in[0].size(1) / in[1].size(1);
             return conv2d(in[0], in[1], bias ? in[2] : Tensor(), q);
           }};
  c.parity_tol = 1e-4;
  // A user shape N,C,H,W: a depthwise layer over its C channels (or the case's groups when they divide C).
  const int64_t multiplier = w[0] / x[1], groups_of_case = p.groups, depthwise = p.groups == x[1];
  c.shapes_for = [w, bias, multiplier, groups_of_case, depthwise](const Shape& u) {
    CSGIS_CHECK(u.size() == 4, "conv2d_groups cases take --shape N,C,H,W");
    const int64_t g = depthwise ? u[1] : groups_of_case;
    CSGIS_CHECK(u[1] % g == 0, "this case has groups = ", g, ", which must divide C = ", u[1]);
    std::vector<Shape> s{u, {u[1] * multiplier, u[1] / g, w[2], w[3]}};
    if (bias) s.push_back({u[1] * multiplier});
    return s;
  };
  return c;
}

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back(grouped_case("depthwise_3x3", {2, 5, 9, 7}, {5, 1, 3, 3}, true, grouped(5, 1, 1, 1)));
  c.push_back(grouped_case("depthwise_3x3_stride2", {1, 6, 11, 10}, {6, 1, 3, 3}, true, grouped(6, 2, 1, 1)));
  c.push_back(grouped_case("depthwise_3x3_d2_nobias", {2, 3, 10, 9}, {3, 1, 3, 3}, false, grouped(3, 1, 2, 2)));
  c.push_back(grouped_case("depthwise_multiplier2", {1, 3, 8, 7}, {6, 1, 3, 3}, true, grouped(3, 1, 1, 1)));
  c.push_back(grouped_case("depthwise_5x3_asym", {1, 4, 9, 8}, {4, 1, 5, 3}, true, {2, 1, 2, 0, 1, 2, 4}));
  c.push_back(grouped_case("groups2", {2, 4, 7, 6}, {6, 2, 3, 3}, true, grouped(2, 1, 1, 1)));
  c.push_back(grouped_case("groups3_stride2", {1, 6, 9, 9}, {3, 2, 3, 3}, false, grouped(3, 2, 1, 1)));
});

}  // namespace
}  // namespace csgis::registry
