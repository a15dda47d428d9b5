// Registry entries for the masked wrap-around TV op. The mask (input 1) is a constant: binary
// like 1 - E_gt, or soft; broadcast over channels, over the batch, or absent.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

Tensor binary_mask(int index, const Tensor& t) {
  if (index == 0) return t;
  std::vector<double> v = t.to_vector<double>();
  for (auto& x : v) x = x > -0.3 ? 1.0 : 0.0;
  return Tensor::from_vector(v, t.shape());
}

OpCase tv_case(std::string name, std::vector<Shape> shapes, double wh, double ww) {
  OpCase c{std::move(name), std::move(shapes), binary_mask, [wh, ww](auto& x) {
             return masked_tv(x[0], x.size() > 1 ? x[1] : Tensor(), wh, ww);
           }};
  if (c.input_shapes.size() > 1) c.no_grad_inputs = {1};
  return c;
}

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back(tv_case("masked_tv/mask_n1hw", {{2, 3, 5, 7}, {2, 1, 5, 7}}, 0.3, 0.7));
  c.push_back(tv_case("masked_tv/mask_1chw", {{2, 2, 4, 3}, {1, 2, 4, 3}}, 1.0, 0.5));
  c.push_back(tv_case("masked_tv/no_mask", {{1, 2, 4, 6}}, 1.0, 1.0));
  c.push_back(tv_case("masked_tv/one_row", {{1, 1, 1, 5}, {1, 1, 1, 5}}, 1.0, 2.0));
  c.push_back(tv_case("masked_tv/many_blocks", {{2, 3, 40, 50}, {2, 1, 40, 50}}, 1e-3, 2e-3));
});

}  // namespace
}  // namespace csgis::registry
