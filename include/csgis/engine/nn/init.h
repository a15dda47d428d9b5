// Parameter initialisation (PyTorch's torch.nn.init): every function overwrites `t` in place,
// without recording autograd history, and returns it. Values are drawn on the host from `gen`
// (default: the current context's generator) in float64 and converted, so a seed gives the same
// values on every device.
#pragma once
#include <cstdint>
#include <utility>

#include "engine/context.h"
#include "engine/generator.h"
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Conv, Sigmoid, Tanh, ReLU, LeakyReLU };

// Recommended gain for a nonlinearity: 1 (linear, conv, sigmoid), 5/3 (tanh), sqrt(2) (relu),
// sqrt(2 / (1 + slope^2)) (leaky relu with negative slope `param`).
double calculate_gain(Nonlinearity nl, double param = 0.01);
// (fan_in, fan_out) = (size(1), size(0)) times the receptive field (product of dims from 2 on).
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Shape& shape);

Tensor uniform_(const Tensor& t, double lo = 0.0, double hi = 1.0, Generator& gen = current_context().generator());
Tensor normal_(const Tensor& t, double mean = 0.0, double std = 1.0,
               Generator& gen = current_context().generator());
Tensor constant_(const Tensor& t, double value);
Tensor zeros_(const Tensor& t);
Tensor ones_(const Tensor& t);

// U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nl, a): He et al. 2015.
Tensor kaiming_uniform_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nl = Nonlinearity::LeakyReLU, Generator& gen = current_context().generator());
// N(0, std^2) with std = gain / sqrt(fan).
Tensor kaiming_normal_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nl = Nonlinearity::LeakyReLU, Generator& gen = current_context().generator());
// U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)): Glorot & Bengio 2010.
Tensor xavier_uniform_(const Tensor& t, double gain = 1.0, Generator& gen = current_context().generator());
// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(const Tensor& t, double gain = 1.0, Generator& gen = current_context().generator());

// PyTorch's default for Conv2d / Linear: weight kaiming_uniform_(a = sqrt(5)), bias (if defined)
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void default_conv_init_(const Tensor& weight, const Tensor& bias, Generator& gen = current_context().generator());

}  // namespace csgis::nn::init
#pragma GCC visibility pop
