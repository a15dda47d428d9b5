#include "engine/nn/layers.h"

#include <cmath>
#include <vector>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/nn/init.h"
#include "engine/ops/batchnorm.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/unary.h"

namespace csgis::nn {

// ---------------------------------------------------------------- Conv2d
Conv2d::Conv2d(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d, bool with_bias, int64_t g)
    : in_channels(in), out_channels(out), kernel_size(k), stride(s), padding(p), dilation(d), groups(g) {
  CSGIS_CHECK(in > 0 && out > 0 && k > 0 && s > 0 && p >= 0 && d > 0 && g > 0 && in % g == 0 && out % g == 0,
              "Conv2d: invalid configuration in=", in, " out=", out, " kernel=", k, " stride=", s, " padding=", p,
              " dilation=", d, " groups=", g, " (groups must divide in and out)");
  weight = register_parameter("weight", Tensor::empty({out, in / g, k, k}));
  if (with_bias) bias = register_parameter("bias", Tensor::empty({out}));
  reset_parameters();
}

void Conv2d::reset_parameters(Generator& gen) { init::default_conv_init_(weight, bias, gen); }

Conv2dParams Conv2d::params() const { return {stride, stride, padding, padding, dilation, dilation, groups}; }

Tensor Conv2d::forward(const Tensor& x) {
  return relu_epilogue ? conv2d_relu(x, weight, bias, params()) : conv2d(x, weight, bias, params());
}

// ---------------------------------------------------------------- BatchNorm2d
BatchNorm2d::BatchNorm2d(int64_t c, double eps_, double momentum_)
    : num_features(c), eps(eps_), momentum(momentum_) {
  CSGIS_CHECK(c > 0, "BatchNorm2d: num_features must be positive, got ", c);
  weight = register_parameter("weight", Tensor::ones({c}));
  bias = register_parameter("bias", Tensor::zeros({c}));
  running_mean = register_buffer("running_mean", Tensor::zeros({c}));
  running_var = register_buffer("running_var", Tensor::ones({c}));
  num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::I64));
}

void BatchNorm2d::reset_running_stats() {
  init::zeros_(running_mean);
  init::ones_(running_var);
  // The int64 counter lives wherever the module was moved: reset it through a host copy.
  Tensor(num_batches_tracked).copy_(Tensor::zeros({}, DType::I64).to(num_batches_tracked.device()));
  tracked_ = 0;
}

void BatchNorm2d::set_running_stats(const Tensor& mean, const Tensor& var, const Tensor& batches_tracked) {
  CSGIS_CHECK(mean.shape() == running_mean.shape() && var.shape() == running_var.shape() &&
                  batches_tracked.numel() == 1 && batches_tracked.dtype() == DType::I64,
              "BatchNorm2d::set_running_stats: expected [", num_features, "], [", num_features,
              "] and an int64 scalar, got ", shape_str(mean.shape()), ", ", shape_str(var.shape()), " and ",
              shape_str(batches_tracked.shape()));
  Tensor(running_mean).copy_(mean);
  Tensor(running_var).copy_(var);
  Tensor(num_batches_tracked).copy_(batches_tracked);
  tracked_ = -1;  // read back from the buffer at the next training forward
}

void BatchNorm2d::reset_parameters() {
  reset_running_stats();
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  CSGIS_CHECK(x.dim() == 4, "BatchNorm2d: expected 4D input (got ", x.dim(), "D input of shape ",
              shape_str(x.shape()), ")");
  CSGIS_CHECK(x.size(1) == num_features, "BatchNorm2d: input has ", x.size(1), " channels, expected ",
              num_features);
  if (folded) {
    CSGIS_CHECK(!is_training(), "BatchNorm2d: folded into its convolution for inference (fold_into_conv); it ",
                "cannot train: load the weights again");
    return x;
  }
  if (is_training()) {
    // int64 arithmetic has no device kernels: count on the host and write the scalar through.
    if (tracked_ < 0) tracked_ = int64_t(num_batches_tracked.item());
    Tensor host = Tensor::empty({}, DType::I64);
    *host.data<int64_t>() = ++tracked_;
    Tensor(num_batches_tracked).copy_(host);
  }
  const double factor = is_training() && cumulative_average ? 1.0 / double(tracked_) : momentum;
  if (is_training() && sync_gather)
    return sync_batch_norm2d(x, weight, bias, running_mean, running_var, sync_gather, factor, eps);
  return batch_norm2d(x, weight, bias, running_mean, running_var, is_training(), factor, eps);
}

void fold_into_conv(Conv2d& conv, BatchNorm2d& bn) {
  CSGIS_CHECK(!bn.folded, "fold_into_conv: this BatchNorm2d is already folded");
  CSGIS_CHECK(conv.bias.defined(), "fold_into_conv: the convolution has no bias to take BatchNorm's shift");
  CSGIS_CHECK(conv.out_channels == bn.num_features, "fold_into_conv: convolution has ", conv.out_channels,
              " output channels, BatchNorm2d ", bn.num_features, " features");
  autograd::NoGradGuard no_grad;
  auto host = [](const Tensor& t) { return t.to(Device::cpu()).to(DType::F64).contiguous().to_vector<double>(); };
  const std::vector<double> gamma = host(bn.weight), beta = host(bn.bias), mean = host(bn.running_mean),
                            var = host(bn.running_var);
  std::vector<double> w = host(conv.weight), b = host(conv.bias);
  const int64_t K = conv.out_channels, per_k = int64_t(w.size()) / K;
  for (int64_t k = 0; k < K; ++k) {
    const double s = gamma[size_t(k)] / std::sqrt(var[size_t(k)] + bn.eps);
    for (int64_t i = 0; i < per_k; ++i) w[size_t(k * per_k + i)] *= s;
    b[size_t(k)] = (b[size_t(k)] - mean[size_t(k)]) * s + beta[size_t(k)];
  }
  auto put = [](Tensor& dst, const std::vector<double>& v) {
    dst.copy_(Tensor::from_vector(v, dst.shape()).to(dst.dtype()).to(dst.device()));
  };
  put(conv.weight, w);
  put(conv.bias, b);
  bn.folded = true;
}

// ---------------------------------------------------------------- activations
Tensor ReLU::forward(const Tensor& x) { return fused_into_conv ? x : relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }

// ---------------------------------------------------------------- Dropout
Dropout::Dropout(double p) : p(p) {
  CSGIS_CHECK(p >= 0.0 && p < 1.0, "Dropout: p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p == 0.0) return x;
  Generator& g = current_context().generator();
  const double keep_scale = 1.0 / (1.0 - p);
  std::vector<double> mask(size_t(x.numel()));
  for (double& m : mask) m = g.uniform() < p ? 0.0 : keep_scale;
  return x * Tensor::from_vector(mask, x.shape()).to(x.dtype()).to(x.device());
}

// ---------------------------------------------------------------- Sequential
Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
}

std::shared_ptr<Module> Sequential::operator[](size_t i) const {
  CSGIS_CHECK(i < layers_.size(), "Sequential: index ", i, " out of range (size ", layers_.size(), ")");
  return layers_[i];
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& m : layers_) y = m->forward(y);
  return y;
}

}  // namespace csgis::nn
