#include "engine/optim/optimizer.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "kernels/cpu/optim.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/optim.h"
#include "kernels/gpu.h"

namespace csgis::optim {

namespace {
// `t` as a tensor of `like`'s dtype and device (dtype conversion runs on the host).
Tensor converted_like(const Tensor& t, const Tensor& like) {
  autograd::NoGradGuard no_grad;
  Tensor out = t.detach();
  if (out.dtype() != like.dtype()) out = out.to(Device::cpu()).to(like.dtype());
  return out.to(like.device());
}
}  // namespace

// ---------------------------------------------------------------- Optimizer
Optimizer::Optimizer(std::vector<Tensor> params, double lr)
    : params_(std::move(params)), lr_(lr), param_steps_(params_.size(), 0), slots_(params_.size()) {
  CSGIS_CHECK(lr >= 0.0, "optimizer: invalid learning rate ", lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    CSGIS_CHECK(p.defined(), "optimizer: parameter ", i, " is undefined");
    CSGIS_CHECK(p.requires_grad() && p.is_leaf(), "optimizer: parameter ", i,
                " must be a leaf tensor that requires grad");
    CSGIS_CHECK(p.is_contiguous(), "optimizer: parameter ", i, " must be contiguous (fused in-place updates)");
  }
}

void Optimizer::set_lr(double lr) {
  CSGIS_CHECK(lr >= 0.0, "optimizer: invalid learning rate ", lr);
  lr_ = lr;
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

void Optimizer::step() {
  ++step_count_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    CSGIS_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(),
                "optimizer: gradient ", g.str(), " does not match parameter ", i, " ", p.str());
    // Module::to() keeps parameters contiguous; a reassigned view would not be.
    CSGIS_CHECK(p.is_contiguous(), "optimizer: parameter ", i, " is no longer contiguous");
    update(i, p, g.contiguous(), ++param_steps_[i]);
    p.impl()->storage->bump_version();  // written in place: a pending backward that reads p must refuse
  }
}

Tensor Optimizer::slot(size_t i, const std::string& name, bool* created) {
  const Tensor& p = params_[i];
  if (created) *created = false;
  for (auto& kv : slots_[i]) {
    if (kv.first != name) continue;
    // The parameter moved (Module::to) or changed dtype since the state was made: follow it.
    if (kv.second.device() != p.device() || kv.second.dtype() != p.dtype()) kv.second = converted_like(kv.second, p);
    return kv.second;
  }
  if (created) *created = true;
  Tensor t = Tensor::zeros(p.shape(), p.dtype(), p.device());
  slots_[i].emplace_back(name, t);
  return t;
}

OptimizerState Optimizer::state() const {
  OptimizerState s;
  s.step = step_count_;
  s.lr = lr_;
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = std::to_string(i) + ".";
    // Copies: later steps update the live slots in place.
    for (const auto& kv : slots_[i]) s.tensors.emplace_back(prefix + kv.first, kv.second.detach().clone());
    if (param_steps_[i] > 0) {
      Tensor t = Tensor::empty({}, DType::I64);
      *t.data<int64_t>() = param_steps_[i];
      s.tensors.emplace_back(prefix + "step", t);
    }
  }
  return s;
}

void Optimizer::load_state(const OptimizerState& s) {
  const std::vector<std::string> names = slot_names();
  std::vector<int64_t> steps(params_.size(), 0);
  std::vector<std::vector<std::pair<std::string, Tensor>>> slots(params_.size());
  for (const auto& kv : s.tensors) {
    const std::string& key = kv.first;
    const size_t dot = key.find('.');
    size_t idx = 0;
    bool ok = dot != std::string::npos && dot > 0;
    for (size_t c = 0; ok && c < dot; ++c) {
      ok = key[c] >= '0' && key[c] <= '9';
      idx = idx * 10 + size_t(key[c] - '0');
    }
    CSGIS_CHECK(ok && idx < params_.size(), "optimizer load_state: key '", key, "' does not name one of the ",
                params_.size(), " parameters as '<index>.<slot>'");
    const std::string slot_name = key.substr(dot + 1);
    CSGIS_CHECK(kv.second.defined(), "optimizer load_state: '", key, "' is undefined");
    if (slot_name == "step") {
      CSGIS_CHECK(kv.second.numel() == 1, "optimizer load_state: '", key, "' must be a scalar");
      steps[idx] = int64_t(std::llround(kv.second.item()));
      continue;
    }
    bool known = false;
    for (const auto& n : names) known = known || n == slot_name;
    CSGIS_CHECK(known, "optimizer load_state: unknown state '", slot_name, "' in key '", key, "'");
    const Tensor& p = params_[idx];
    CSGIS_CHECK(kv.second.shape() == p.shape(), "optimizer load_state: '", key, "' has shape ",
                shape_str(kv.second.shape()), ", parameter ", idx, " has shape ", shape_str(p.shape()));
    CSGIS_CHECK(kv.second.dtype() == DType::F32 || kv.second.dtype() == DType::F64, "optimizer load_state: '",
                key, "' must be floating point, got ", dtype_name(kv.second.dtype()));
    autograd::NoGradGuard no_grad;
    // A private copy: the caller's tensors must not alias live optimizer state.
    slots[idx].emplace_back(slot_name, converted_like(kv.second, p).clone());
  }
  set_lr(s.lr);
  step_count_ = s.step;
  param_steps_ = std::move(steps);
  slots_ = std::move(slots);
}

// ---------------------------------------------------------------- Adam
Adam::Adam(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps, double weight_decay)
    : Optimizer(std::move(params), lr),
      beta1_(betas.first),
      beta2_(betas.second),
      eps_(eps),
      weight_decay_(weight_decay) {
  CSGIS_CHECK(beta1_ >= 0.0 && beta1_ < 1.0, "Adam: invalid beta1 ", beta1_);
  CSGIS_CHECK(beta2_ >= 0.0 && beta2_ < 1.0, "Adam: invalid beta2 ", beta2_);
  CSGIS_CHECK(eps_ >= 0.0, "Adam: invalid eps ", eps_);
  CSGIS_CHECK(weight_decay_ >= 0.0, "Adam: invalid weight_decay ", weight_decay_);
}

void Adam::update(size_t i, const Tensor& p, const Tensor& g, int64_t t) {
  Tensor m = slot(i, "exp_avg"), v = slot(i, "exp_avg_sq");
  // Bias corrections folded on the host in double, once per parameter and step.
  const double step_size = lr() / (1.0 - std::pow(beta1_, double(t)));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(beta2_, double(t)));
  if (p.device().is_cpu()) {
    dispatch_float(p.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::adam_step<T>(p.data<T>(), g.data<T>(), m.data<T>(), v.data<T>(), p.numel(), beta1_, beta2_, eps_,
                        weight_decay_, step_size, bc2_sqrt);
    });
  } else {
    check_gpu_dtype(p, "Adam");
    CSGIS_GPU_CALL(p.device(), adam_step, p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(),
                   p.numel(), beta1_, beta2_, eps_, weight_decay_, step_size, bc2_sqrt);
  }
}

// ---------------------------------------------------------------- SGD
SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double dampening, double weight_decay,
         bool nesterov)
    : Optimizer(std::move(params), lr),
      momentum_(momentum),
      dampening_(dampening),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
  CSGIS_CHECK(momentum_ >= 0.0, "SGD: invalid momentum ", momentum_);
  CSGIS_CHECK(weight_decay_ >= 0.0, "SGD: invalid weight_decay ", weight_decay_);
  CSGIS_CHECK(!nesterov_ || (momentum_ > 0.0 && dampening_ == 0.0),
              "SGD: Nesterov momentum requires a momentum and zero dampening");
}

void SGD::update(size_t i, const Tensor& p, const Tensor& g, int64_t) {
  // The buffer exists only with momentum; it starts as the first gradient (PyTorch).
  bool first = false;
  Tensor buf = momentum_ != 0.0 ? slot(i, "momentum_buffer", &first) : Tensor();
  if (p.device().is_cpu()) {
    dispatch_float(p.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::sgd_step<T>(p.data<T>(), g.data<T>(), buf.defined() ? buf.data<T>() : nullptr, p.numel(), lr(),
                       momentum_, dampening_, weight_decay_, nesterov_, first);
    });
  } else {
    check_gpu_dtype(p, "SGD");
    CSGIS_GPU_CALL(p.device(), sgd_step, p.data<float>(), g.data<float>(),
                   buf.defined() ? buf.data<float>() : nullptr, p.numel(), lr(), momentum_, dampening_,
                   weight_decay_, nesterov_, first);
  }
}

}  // namespace csgis::optim
