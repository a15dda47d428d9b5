// Registry entries for the copy family (engine/ops/copy.cpp): clone / contiguous of strided and
// broadcast views (the strided copy kernel) and a tensor filled on the device (the fill kernel).
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"copy/contiguous_transposed", {{2, 3, 5}}, nullptr,
               [](auto& x) { return x[0].transpose(1, 2).contiguous(); }});
  c.push_back({"copy/clone_permuted", {{3, 2, 5, 7}}, nullptr,
               [](auto& x) { return x[0].permute({3, 1, 0, 2}).clone(); }});
  // A broadcast view (stride 0): every output element of a row reads the same input element.
  c.push_back({"copy/contiguous_expanded", {{3, 1, 5}}, nullptr,
               [](auto& x) { return expand(x[0], {3, 4, 5}).contiguous(); }});
  c.push_back({"copy/clone_sliced", {{7, 9}}, nullptr,
               [](auto& x) { return x[0].slice(0, 1, 6).slice(1, 2, 9).transpose(0, 1).clone(); }});
  // Tensor::full on the input's device runs the fill kernel there.
  c.push_back({"copy/filled", {{3, 5}}, nullptr, [](auto& x) {
                 return mul(x[0], Tensor::full(x[0].shape(), 0.75, x[0].dtype(), x[0].device()));
               }});
});

}  // namespace
}  // namespace csgis::registry
