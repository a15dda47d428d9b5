// Registry entries for the fused SSIM op: both conventions, sizes below one 32 x 16 tile, sizes
// that span several tiles in both directions, and a constant second input (no dy).
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

// Image-like values: mostly inside [0, 1], where C1 and C2 are calibrated.
Tensor image_like(int, const Tensor& t) { return add_scalar(mul_scalar(t, 0.25), 0.5); }

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"ssim_map/loss_small", {{2, 3, 9, 13}, {2, 3, 9, 13}}, image_like,
               [](auto& x) { return ssim_map(x[0], x[1], SsimMode::Loss); }});
  c.push_back({"ssim_map/loss_tiles", {{1, 2, 20, 37}, {1, 2, 20, 37}}, image_like,
               [](auto& x) { return ssim_map(x[0], x[1], SsimMode::Loss); }});
  c.push_back({"ssim_map/loss_tiny", {{1, 1, 3, 2}, {1, 1, 3, 2}}, image_like,
               [](auto& x) { return ssim_map(x[0], x[1], SsimMode::Loss); }});
  c.push_back({"ssim_map/metric", {{2, 2, 13, 16}, {2, 2, 13, 16}}, image_like,
               [](auto& x) { return ssim_map(x[0], x[1], SsimMode::Metric); }});
  c.push_back({"ssim_map/metric_tiles", {{1, 1, 30, 45}, {1, 1, 30, 45}}, image_like,
               [](auto& x) { return ssim_map(x[0], x[1], SsimMode::Metric); }});
  OpCase mean_case{"ssim/loss_mean_const_y", {{2, 3, 11, 12}, {2, 3, 11, 12}}, image_like,
                   [](auto& x) { return ssim(x[0], x[1], SsimMode::Loss); }};
  mean_case.no_grad_inputs = {1};
  c.push_back(mean_case);
  c.push_back({"ssim/per_image_metric", {{3, 2, 12, 11}, {3, 2, 12, 11}}, image_like,
               [](auto& x) { return ssim_per_image(x[0], x[1], SsimMode::Metric); }});
});

}  // namespace
}  // namespace csgis::registry
