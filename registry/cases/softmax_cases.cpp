// Registry entries for softmax and log_softmax.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

RegisterOps reg([](std::vector<OpCase>& c) {
  // Last dimension (inner == 1): the warp-per-row kernels; 45 and 70 make lanes loop over the row.
  c.push_back({"log_softmax/last_dim", {{5, 7}}, nullptr, [](auto& x) { return log_softmax(x[0], 1); }});
  c.push_back({"log_softmax/long_rows", {{3, 70}}, nullptr, [](auto& x) { return log_softmax(x[0], -1); }});
  c.push_back({"log_softmax/1d", {{9}}, nullptr, [](auto& x) { return log_softmax(x[0], 0); }});
  c.push_back({"log_softmax/many_rows", {{11, 3}}, nullptr, [](auto& x) { return log_softmax(x[0], -1); }});
  // Inner dimensions (inner > 1): the per-column kernels.
  c.push_back({"log_softmax/channels_nchw", {{2, 5, 3, 3}}, nullptr, [](auto& x) { return log_softmax(x[0], 1); }});
  c.push_back({"log_softmax/dim0", {{4, 3, 5}}, nullptr, [](auto& x) { return log_softmax(x[0], 0); }});
  c.push_back({"log_softmax/neg_dim", {{2, 6, 5}}, nullptr, [](auto& x) { return log_softmax(x[0], -2); }});
  c.push_back({"log_softmax/size1_dim", {{3, 1, 4}}, nullptr, [](auto& x) { return log_softmax(x[0], 1); }});
  c.push_back({"log_softmax/strided_view", {{5, 4}}, nullptr,
               [](auto& x) { return log_softmax(x[0].transpose(0, 1), 1); }});
  // Shifted by a large constant: only max subtraction keeps exp finite in float32.
  c.push_back({"log_softmax/large_values", {{3, 6}}, nullptr,
               [](auto& x) { return log_softmax(add_scalar(x[0], 200.0), 1); }});
  c.push_back({"softmax/last_dim", {{4, 45}}, nullptr, [](auto& x) { return softmax(x[0], -1); }});
  c.push_back({"softmax/channels_nchw", {{2, 3, 2, 5}}, nullptr, [](auto& x) { return softmax(x[0], 1); }});
  c.push_back({"softmax/dim0", {{3, 7}}, nullptr, [](auto& x) { return softmax(x[0], 0); }});
});

}  // namespace
}  // namespace csgis::registry
