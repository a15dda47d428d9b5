// Registry entries for batch_norm2d: training and eval, affine on/off, N = 1..3, odd H/W.
// The forward mutates the running statistics, and the registry calls `fn` several times (probe,
// CPU run, device run, every finite-difference point), so each call builds fresh running buffers.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

// [C] tensor of a + b*c on x's dtype and device: deterministic, distinct per channel.
Tensor per_channel(const Tensor& x, double a, double b) {
  const int64_t C = x.size(1);
  std::vector<double> v(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) v[size_t(c)] = a + b * double(c);
  return Tensor::from_vector(v, {C}).to(x.dtype()).to(x.device());
}

struct Running {
  Tensor mean, var;
};

// Training starts from PyTorch's fresh buffers; eval uses non-trivial statistics so that the
// normalisation is not close to the identity.
Running fresh_running(const Tensor& x, bool trained) {
  if (!trained) return {per_channel(x, 0.0, 0.0), per_channel(x, 1.0, 0.0)};
  return {per_channel(x, -0.3, 0.2), per_channel(x, 0.5, 0.3)};
}

Tensor bn(const std::vector<Tensor>& in, bool training, bool affine, bool weight_only = false) {
  Running r = fresh_running(in[0], !training);
  const Tensor w = affine ? in[1] : Tensor();
  const Tensor b = affine && !weight_only ? in[2] : Tensor();
  return batch_norm2d(in[0], w, b, r.mean, r.var, training, 0.1, 1e-5);
}

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"batchnorm/train_affine", {{2, 3, 5, 7}, {3}, {3}}, nullptr,
               [](auto& x) { return bn(x, true, true); }});
  c.push_back({"batchnorm/train_plain_n1", {{1, 2, 3, 5}}, nullptr, [](auto& x) { return bn(x, true, false); }});
  c.push_back({"batchnorm/train_affine_n3", {{3, 4, 3, 3}, {4}, {4}}, nullptr,
               [](auto& x) { return bn(x, true, true); }});
  c.push_back({"batchnorm/train_weight_only", {{2, 2, 1, 3}, {2}}, nullptr,
               [](auto& x) { return bn(x, true, true, true); }});
  // 598 values per channel: one piece per channel, 8 warps with only some of them loaded.
  c.push_back({"batchnorm/train_multi_warp", {{2, 2, 13, 23}, {2}, {2}}, nullptr,
               [](auto& x) { return bn(x, true, true); }});
  // 6,519 values per channel: the CUDA reductions cut each channel into 4 pieces of up to 2,048
  // (kernels/common/batchnorm_partials.h), the last one short, the cuts inside rows of S = 2,173.
  c.push_back({"batchnorm/train_pieces", {{3, 2, 41, 53}, {2}, {2}}, nullptr,
               [](auto& x) { return bn(x, true, true); }});
  // Values around 300 with unit spread: E[x^2] - E[x]^2 in float32 would lose about 1% of the
  // variance; the shifted sums of the CUDA kernel must not (tolerance: float32 rounding of x).
  OpCase large{"batchnorm/train_large_mean", {{2, 3, 19, 23}, {3}, {3}},
               [](int i, const Tensor& normal) { return i == 0 ? normal + 300.0 : normal; },
               [](auto& x) { return bn(x, true, true); }};
  large.parity_tol = 1e-3;
  c.push_back(large);
  // S = 21 < 256 threads: each thread's walk carries across several rows at every step.
  c.push_back({"batchnorm/train_short_rows", {{9, 3, 3, 7}, {3}, {3}}, nullptr,
               [](auto& x) { return bn(x, true, true); }});
  c.push_back({"batchnorm/eval_affine", {{2, 3, 5, 3}, {3}, {3}}, nullptr,
               [](auto& x) { return bn(x, false, true); }});
  c.push_back({"batchnorm/eval_plain_n1", {{1, 2, 5, 5}}, nullptr, [](auto& x) { return bn(x, false, false); }});
  // Eval without running statistics falls back to the batch statistics.
  c.push_back({"batchnorm/eval_untracked", {{3, 2, 3, 1}, {2}, {2}}, nullptr, [](auto& x) {
                 Tensor none_mean, none_var;
                 return batch_norm2d(x[0], x[1], x[2], none_mean, none_var, false);
               }});
  // The in-place running-stat updates, compared CPU vs device through the registry's parity test.
  OpCase rm{"batchnorm/running_mean_update", {{3, 3, 5, 3}}, nullptr, [](auto& x) {
              Running r = fresh_running(x[0], true);
              batch_norm2d(x[0], Tensor(), Tensor(), r.mean, r.var, true, 0.25);
              return r.mean;
            }};
  rm.gradcheck = false;
  c.push_back(rm);
  OpCase rv{"batchnorm/running_var_update", {{3, 3, 5, 3}}, nullptr, [](auto& x) {
              Running r = fresh_running(x[0], true);
              batch_norm2d(x[0], Tensor(), Tensor(), r.mean, r.var, true, 0.25);
              return r.var;
            }};
  rv.gradcheck = false;
  c.push_back(rv);
});

}  // namespace
}  // namespace csgis::registry
