#include "engine/nn/init.h"

#include <cmath>
#include <vector>

#include "engine/autograd.h"
#include "engine/error.h"

namespace csgis::nn::init {

namespace {
// Overwrites t with `values` (host float64, t's numel) converted to t's dtype and device.
Tensor assign(const Tensor& t, const std::vector<double>& values) {
  CSGIS_CHECK(t.defined(), "init: undefined tensor");
  CSGIS_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, "init: floating-point tensor expected, got ",
              dtype_name(t.dtype()));
  Tensor src = Tensor::from_vector(values, t.shape()).to(t.dtype()).to(t.device());
  autograd::NoGradGuard no_grad;  // initialisation is not part of any graph
  Tensor dst = t;
  dst.copy_(src);
  return t;
}

template <typename F> std::vector<double> draw(const Tensor& t, F&& next) {
  CSGIS_CHECK(t.defined(), "init: undefined tensor");
  std::vector<double> v(size_t(t.numel()));
  for (auto& x : v) x = next();
  return v;
}

double fan_of(const Tensor& t, FanMode mode) {
  const auto fans = fan_in_and_fan_out(t.shape());
  const int64_t fan = mode == FanMode::FanIn ? fans.first : fans.second;
  CSGIS_CHECK(fan > 0, "init: zero fan for a tensor of shape ", shape_str(t.shape()));
  return double(fan);
}
}  // namespace

double calculate_gain(Nonlinearity nl, double param) {
  switch (nl) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::ReLU: return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;
}

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Shape& shape) {
  CSGIS_CHECK(shape.size() >= 2, "fan in and fan out need a tensor with at least 2 dimensions, got shape ",
              shape_str(shape));
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

Tensor uniform_(const Tensor& t, double lo, double hi, Generator& gen) {
  return assign(t, draw(t, [&] { return gen.uniform(lo, hi); }));
}

Tensor normal_(const Tensor& t, double mean, double std, Generator& gen) {
  return assign(t, draw(t, [&] { return mean + std * gen.normal(); }));
}

Tensor constant_(const Tensor& t, double value) {
  CSGIS_CHECK(t.defined(), "init: undefined tensor");
  autograd::NoGradGuard no_grad;
  Tensor dst = t;
  dst.fill_(value);
  return t;
}

Tensor zeros_(const Tensor& t) { return constant_(t, 0.0); }
Tensor ones_(const Tensor& t) { return constant_(t, 1.0); }

Tensor kaiming_uniform_(const Tensor& t, double a, FanMode mode, Nonlinearity nl, Generator& gen) {
  // A uniform U(-b, b) has variance b^2 / 3, so b = sqrt(3) * std with std = gain / sqrt(fan).
  const double bound = std::sqrt(3.0) * calculate_gain(nl, a) / std::sqrt(fan_of(t, mode));
  return uniform_(t, -bound, bound, gen);
}

Tensor kaiming_normal_(const Tensor& t, double a, FanMode mode, Nonlinearity nl, Generator& gen) {
  return normal_(t, 0.0, calculate_gain(nl, a) / std::sqrt(fan_of(t, mode)), gen);
}

Tensor xavier_uniform_(const Tensor& t, double gain, Generator& gen) {
  const auto fans = fan_in_and_fan_out(t.shape());
  const double bound = gain * std::sqrt(6.0 / double(fans.first + fans.second));
  return uniform_(t, -bound, bound, gen);
}

Tensor xavier_normal_(const Tensor& t, double gain, Generator& gen) {
  const auto fans = fan_in_and_fan_out(t.shape());
  return normal_(t, 0.0, gain * std::sqrt(2.0 / double(fans.first + fans.second)), gen);
}

void default_conv_init_(const Tensor& weight, const Tensor& bias, Generator& gen) {
  // kaiming_uniform_ with a = sqrt(5): gain = sqrt(2 / (1 + 5)) = 1/sqrt(3), hence
  // b = sqrt(3) * (1/sqrt(3)) / sqrt(fan_in) = 1/sqrt(fan_in): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  kaiming_uniform_(weight, std::sqrt(5.0), FanMode::FanIn, Nonlinearity::LeakyReLU, gen);
  if (bias.defined()) {
    const int64_t fan_in = fan_in_and_fan_out(weight.shape()).first;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
    uniform_(bias, -bound, bound, gen);
  }
}

}  // namespace csgis::nn::init
