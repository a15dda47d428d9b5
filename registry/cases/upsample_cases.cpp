// Registry entries for upsample_bilinear2d: up-, down- and mixed resizing with both align_corners
// settings, single-pixel inputs and outputs (align_corners' scale is 0 there), the identity size
// and a 4x upsampling as in DeepLabv3+'s decoder.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

OpCase bilinear(std::string name, Shape s, int64_t oh, int64_t ow, bool ac) {
  return {std::move(name) + (ac ? "_align" : ""), {std::move(s)}, nullptr,
          [=](auto& x) { return upsample_bilinear2d(x[0], oh, ow, ac); }};
}

RegisterOps reg([](std::vector<OpCase>& c) {
  for (bool ac : {false, true}) {
    c.push_back(bilinear("upsample_bilinear2d/up", {2, 3, 4, 5}, 7, 9, ac));
    c.push_back(bilinear("upsample_bilinear2d/down", {1, 2, 9, 11}, 4, 5, ac));
    c.push_back(bilinear("upsample_bilinear2d/mixed", {1, 2, 5, 6}, 8, 3, ac));
    c.push_back(bilinear("upsample_bilinear2d/to_1x1", {1, 2, 3, 4}, 1, 1, ac));
    c.push_back(bilinear("upsample_bilinear2d/from_1x1", {1, 2, 1, 1}, 3, 4, ac));
    c.push_back(bilinear("upsample_bilinear2d/same_size", {1, 1, 4, 5}, 4, 5, ac));
    c.push_back(bilinear("upsample_bilinear2d/x4", {1, 2, 3, 4}, 12, 16, ac));
  }
});

}  // namespace
}  // namespace csgis::registry
