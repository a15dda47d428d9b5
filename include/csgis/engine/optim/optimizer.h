// Optimizers with PyTorch's update rules, on fused kernels (kernels/{cpu,cuda}/optim): one pass
// per parameter reads the gradient and state and writes the parameter in place (no autograd).
// Parameters without a gradient are skipped (their state and step count do not move).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::optim {

// Everything needed to resume an optimizer (for checkpoints). Tensors are named
// "<parameter index>.<slot>", e.g. "0.exp_avg", "3.momentum_buffer", and "<index>.step" (int64
// scalar: the parameter's own update count, as PyTorch keeps it per parameter).
struct OptimizerState {
  int64_t step = 0;  // step() calls so far
  double lr = 0.0;
  std::vector<std::pair<std::string, Tensor>> tensors;
};

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient.
  void step();
  // Drops the parameters' gradients (PyTorch's set_to_none default).
  void zero_grad();
  double lr() const { return lr_; }
  void set_lr(double lr);
  int64_t step_count() const { return step_count_; }
  const std::vector<Tensor>& params() const { return params_; }

  // Copies (detached) of the state tensors, in parameter order.
  OptimizerState state() const;
  // Replaces the state: every tensor must name a parameter index and one of this optimizer's
  // slots and match the parameter's shape; it is converted to the parameter's dtype and device.
  void load_state(const OptimizerState& s);

 protected:
  // Updates parameter i (which has a gradient `grad`, contiguous, same dtype/device). `t` is the
  // parameter's update count including this one.
  virtual void update(size_t i, const Tensor& param, const Tensor& grad, int64_t t) = 0;
  // Names of the per-parameter state tensors this optimizer keeps ("exp_avg", ...).
  virtual std::vector<std::string> slot_names() const = 0;
  // State tensor `name` of parameter i on the parameter's device and dtype; created zero-filled
  // when absent (`created` tells). Moved along when the parameter moved since.
  Tensor slot(size_t i, const std::string& name, bool* created = nullptr);

 private:
  std::vector<Tensor> params_;
  double lr_;
  int64_t step_count_ = 0;
  std::vector<int64_t> param_steps_;
  std::vector<std::vector<std::pair<std::string, Tensor>>> slots_;
};

// Adam (Kingma & Ba) exactly as torch.optim.Adam (amsgrad = false): L2 weight decay added to the
// gradient, step_size = lr / (1 - beta1^t), denom = sqrt(v) / sqrt(1 - beta2^t) + eps.
class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, double lr = 1e-3, std::pair<double, double> betas = {0.9, 0.999},
                double eps = 1e-8, double weight_decay = 0.0);

 protected:
  void update(size_t i, const Tensor& param, const Tensor& grad, int64_t t) override;
  std::vector<std::string> slot_names() const override { return {"exp_avg", "exp_avg_sq"}; }

 private:
  double beta1_, beta2_, eps_, weight_decay_;
};

// SGD as torch.optim.SGD: d = g + weight_decay * p; with momentum, buf = d on a parameter's first
// step, then buf = momentum * buf + (1 - dampening) * d; d = nesterov ? d + momentum * buf : buf;
// p -= lr * d.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, double dampening = 0.0,
      double weight_decay = 0.0, bool nesterov = false);

 protected:
  void update(size_t i, const Tensor& param, const Tensor& grad, int64_t t) override;
  std::vector<std::string> slot_names() const override { return {"momentum_buffer"}; }

 private:
  double momentum_, dampening_, weight_decay_;
  bool nesterov_;
};

}  // namespace csgis::optim
#pragma GCC visibility pop
