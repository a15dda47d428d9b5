#include "engine/nn/batchnorm_stats.h"

#include "engine/autograd.h"
#include "engine/error.h"

namespace csgis::nn {

namespace {

void collect_batchnorm(Module& m, std::vector<BatchNorm2d*>& out) {
  if (auto* bn = dynamic_cast<BatchNorm2d*>(&m)) out.push_back(bn);
  for (auto& [name, child] : m.named_children()) collect_batchnorm(*child, out);
}

Tensor copy_of(const Tensor& t) {
  Tensor c = Tensor::empty(t.shape(), t.dtype(), t.device());
  c.copy_(t);
  return c;
}

}  // namespace

std::vector<BatchNorm2d*> batchnorm_layers(Module& root) {
  std::vector<BatchNorm2d*> out;
  collect_batchnorm(root, out);
  return out;
}

void freeze_batchnorm(Module& root) {
  for (BatchNorm2d* bn : batchnorm_layers(root)) bn->eval();
}

BatchNormSnapshot snapshot_batchnorm(Module& root) {
  BatchNormSnapshot s;
  for (BatchNorm2d* bn : batchnorm_layers(root)) {
    s.running_mean.push_back(copy_of(bn->running_mean));
    s.running_var.push_back(copy_of(bn->running_var));
    s.num_batches_tracked.push_back(copy_of(bn->num_batches_tracked));
  }
  return s;
}

void restore_batchnorm(Module& root, const BatchNormSnapshot& s) {
  const std::vector<BatchNorm2d*> layers = batchnorm_layers(root);
  CSGIS_CHECK(layers.size() == s.running_mean.size(), "restore_batchnorm: the snapshot has ",
              s.running_mean.size(), " BatchNorm2d layers, the module ", layers.size());
  for (size_t i = 0; i < layers.size(); ++i)
    layers[i]->set_running_stats(s.running_mean[i], s.running_var[i], s.num_batches_tracked[i]);
}

void recalibrate_batchnorm(Module& root, int64_t batches, const std::function<void()>& forward_one_batch) {
  CSGIS_CHECK(batches >= 1, "recalibrate_batchnorm: batches must be >= 1, got ", batches);
  const std::vector<BatchNorm2d*> layers = batchnorm_layers(root);
  const bool was_training = root.is_training();
  for (BatchNorm2d* bn : layers) {
    bn->reset_running_stats();
    bn->cumulative_average = true;
  }
  root.train(true);
  try {
    autograd::NoGradGuard no_grad;
    for (int64_t i = 0; i < batches; ++i) forward_one_batch();
  } catch (...) {
    for (BatchNorm2d* bn : layers) bn->cumulative_average = false;
    root.train(was_training);
    throw;
  }
  for (BatchNorm2d* bn : layers) bn->cumulative_average = false;
  root.train(was_training);
}

}  // namespace csgis::nn
