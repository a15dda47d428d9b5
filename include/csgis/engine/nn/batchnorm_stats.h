// BatchNorm running statistics as a unit: snapshot/restore, and "precise BatchNorm"
// recalibration (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021).
//
// Why: in training mode BatchNorm normalises with the statistics of the batch at hand; in
// evaluation mode with running averages (momentum 0.1) that mix the statistics of many past
// weights. After training at a high learning rate those averages can disagree with the final
// weights, and a deep residual stack amplifies the disagreement on unusual inputs. Recalibrating
// replaces them by the equal-weight average over a number of training batches run through the
// final weights, which is what evaluation mode is meant to approximate.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/nn/layers.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::nn {

// Every BatchNorm2d in the module tree, in registration (state_dict) order.
std::vector<BatchNorm2d*> batchnorm_layers(Module& root);

// Puts every BatchNorm2d into evaluation mode (running statistics, no updates) and leaves the rest
// of the tree as it is: fine-tuning against the statistics evaluation will use.
void freeze_batchnorm(Module& root);

// Copies of every BatchNorm2d's running_mean, running_var and num_batches_tracked.
struct BatchNormSnapshot {
  std::vector<Tensor> running_mean, running_var, num_batches_tracked;
};
BatchNormSnapshot snapshot_batchnorm(Module& root);
void restore_batchnorm(Module& root, const BatchNormSnapshot& snapshot);

// Resets the running statistics and calls forward_one_batch `batches` times with the model in
// training mode, gradients off and every BatchNorm2d averaging cumulatively; afterwards the model is
// back in the mode it was in. forward_one_batch must run the model on one batch of training data.
void recalibrate_batchnorm(Module& root, int64_t batches, const std::function<void()>& forward_one_batch);

}  // namespace csgis::nn
#pragma GCC visibility pop
