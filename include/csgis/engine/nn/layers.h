// Standard layers on top of nn::Module, with PyTorch's parameter names, shapes and default
// initialisation. Parameter/buffer members alias the registered tensors (updated in place by
// Module::to, load_state_dict and the optimizers): read them, never reassign them.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "engine/context.h"
#include "engine/nn/module.h"
#include "engine/ops/batchnorm.h"
#include "engine/ops/conv2d.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::nn {

// y = conv2d(x, weight, bias): weight [out, in, k, k], bias [out] (undefined when bias = false).
class Conv2d : public Module {
 public:
  // groups as PyTorch's (weight [out, in / groups, k, k]), last so that existing calls keep their meaning.
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1,
         int64_t padding = 0, int64_t dilation = 1, bool bias = true, int64_t groups = 1);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  // PyTorch's default: kaiming_uniform_(a = sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias.
  void reset_parameters(Generator& gen = current_context().generator());
  Conv2dParams params() const;

  const int64_t in_channels, out_channels, kernel_size, stride, padding, dilation, groups;
  Tensor weight, bias;
  // Set when the ReLU that follows was fused into this layer (see ReLU::fused_into_conv): forward
  // is conv2d_relu, one pass at inference on the CPU.
  bool relu_epilogue = false;
};

// Batch normalisation over (N, H, W) of NCHW input: weight (1), bias (0), running_mean (0),
// running_var (1) of shape [C], num_batches_tracked (int64 scalar, +1 per training forward).
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm2d"; }
  void reset_running_stats();
  // Copies running statistics in (any device; shapes [C], [C] and an int64 scalar).
  void set_running_stats(const Tensor& mean, const Tensor& var, const Tensor& batches_tracked);
  void reset_parameters();

  const int64_t num_features;
  const double eps, momentum;
  // PyTorch's momentum=None: each training forward updates the running statistics with factor
  // 1 / num_batches_tracked, so after a reset they are the plain average over the batches seen.
  // Used by recalibrate_batchnorm (engine/nn/batchnorm_stats.h).
  bool cumulative_average = false;
  // Set by fold_into_conv: the affine map of eval mode now lives in the preceding convolution's
  // weight and bias, so forward returns its input (eval mode only; training it is an error).
  bool folded = false;
  // Set by a data-parallel trainer (sync_batchnorm): training forwards normalise with the statistics
  // of every rank's batch (sync_batch_norm2d, engine/ops/batchnorm.h). Empty: this process's batch.
  BatchNormAllGather sync_gather;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  void on_state_loaded() override { tracked_ = -1; }

 private:
  // Host mirror of num_batches_tracked (-1: unknown, read once from the buffer): bumping the
  // counter then needs no device-to-host read, which would stall a CUDA stream every forward.
  int64_t tracked_ = 0;
};

// Inference: folds bn's eval-mode transform y = gamma (x - mean) / sqrt(var + eps) + beta into the
// convolution that feeds it (w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps),
// per output channel, computed in double) and marks bn folded. The convolution needs a bias.
// Irreversible: weights saved afterwards are no longer the trained ones.
void fold_into_conv(Conv2d& conv, BatchNorm2d& bn);

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  // The Conv2d before it applies this ReLU itself (Conv2d::relu_epilogue): forward passes x through.
  bool fused_into_conv = false;
  std::string type_name() const override { return "ReLU"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LeakyReLU"; }
  const double negative_slope;
};

// Inverted dropout: in training mode each element is zeroed with probability p and the rest scaled
// by 1 / (1 - p), so evaluation mode (the identity) needs no rescaling. The mask is drawn on the host
// from the current context's generator (a checkpoint that saves the generator resumes with the same
// masks) and applied as a constant product, so the gradient is the same mask.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  const double p;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
};

// Runs its children in order; they are named "0", "1", ... (state dict keys "0.weight", ...).
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  void push_back(std::shared_ptr<Module> module);
  size_t size() const { return layers_.size(); }
  std::shared_ptr<Module> operator[](size_t i) const;
  // The i-th layer as an M (null when it is another type).
  template <class M> std::shared_ptr<M> at(size_t i) const { return std::dynamic_pointer_cast<M>((*this)[i]); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace csgis::nn
#pragma GCC visibility pop
