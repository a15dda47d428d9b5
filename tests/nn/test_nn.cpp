// nn::Module, the layers and init: naming, state dicts, modes, device moves, BatchNorm2d running
// statistics against values computed here with plain loops.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/autograd.h"
#include "engine/nn/init.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"

using namespace csgis;
using namespace csgis::nn;

namespace {

std::vector<std::string> keys_of(const NamedTensors& v) {
  std::vector<std::string> k;
  for (auto& kv : v) k.push_back(kv.first);
  return k;
}

// Values as doubles; int64 tensors (the batch counter) are scalars here.
std::vector<double> values(const Tensor& t) {
  return t.dtype() == DType::I64 ? std::vector<double>{t.item()} : t.to_vector<double>();
}

double max_diff(const Tensor& a, const Tensor& b) {
  auto x = values(a), y = values(b);
  REQUIRE(x.size() == y.size());
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::fabs(x[i] - y[i]));
  return d;
}

// A two-level model: a Sequential trunk and a named BatchNorm, like the networks we build.
struct Net : Module {
  std::shared_ptr<Sequential> features;
  std::shared_ptr<BatchNorm2d> bn;
  Net() {
    features = register_module("features", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                                                std::make_shared<Conv2d>(2, 3, 3, 1, 1), std::make_shared<ReLU>(),
                                                std::make_shared<Conv2d>(3, 3, 1, 1, 0, 1, false)}));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(3));
  }
  Tensor forward(const Tensor& x) override { return (*bn)(features->forward(x)); }
  std::string type_name() const override { return "Net"; }
};

int64_t counter(const Tensor& t) { return int64_t(t.item()); }

}  // namespace

TEST_CASE("nn: PyTorch state dict naming and registration", "[unit]") {
  Net net;
  const std::vector<std::string> expected = {
      "features.0.weight", "features.0.bias", "features.2.weight", "bn.weight",
      "bn.bias",           "bn.running_mean", "bn.running_var",    "bn.num_batches_tracked"};
  CHECK(keys_of(net.state_dict()) == expected);
  CHECK(keys_of(net.named_parameters()) ==
        std::vector<std::string>{"features.0.weight", "features.0.bias", "features.2.weight", "bn.weight", "bn.bias"});
  CHECK(keys_of(net.named_buffers()) ==
        std::vector<std::string>{"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"});
  for (auto& p : net.parameters()) {
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
  }
  const auto state = net.state_dict();  // kept: find_entry returns a pointer into it
  const Tensor& nbt = *find_entry(state, "bn.num_batches_tracked");
  CHECK(nbt.dtype() == DType::I64);
  CHECK(nbt.dim() == 0);
  CHECK(net.features->at<Conv2d>(0)->weight.shape() == Shape{3, 2, 3, 3});
  CHECK(net.features->at<Conv2d>(2)->bias.defined() == false);
  CHECK(net.features->at<ReLU>(0) == nullptr);
  CHECK_THROWS_WITH(net.register_buffer("bn", Tensor::zeros({1})), Catch::Contains("already registered"));
  CHECK_THROWS(net.register_parameter("a.b", Tensor::zeros({1})));
}

TEST_CASE("nn: train/eval is recursive, zero_grad clears every gradient", "[unit]") {
  Net net;
  CHECK(net.is_training());
  net.eval();
  CHECK(!net.is_training());
  CHECK(!net.features->is_training());
  CHECK(!net.features->at<Conv2d>(0)->is_training());
  net.train();
  CHECK(net.bn->is_training());

  Tensor x = Tensor::randn({2, 2, 5, 5});
  sum(net(x)).backward();
  for (auto& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (auto& p : net.parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("nn: load_state_dict round trip, conversions and errors", "[unit]") {
  Net a, b;
  {
    // Make a's buffers differ from b's too.
    a.train();
    a(Tensor::randn({2, 2, 4, 4}));
  }
  b.load_state_dict(a.state_dict());
  for (auto& kv : a.state_dict()) {
    INFO(kv.first);
    CHECK(max_diff(kv.second, *find_entry(b.state_dict(), kv.first)) == 0.0);
  }
  CHECK(counter(b.bn->num_batches_tracked) == 1);
  // Counting continues from the loaded value.
  b(Tensor::randn({2, 2, 4, 4}));
  CHECK(counter(b.bn->num_batches_tracked) == 2);
  b.load_state_dict(a.state_dict());
  // The layer members still alias the registered tensors after loading.
  CHECK(max_diff(b.bn->running_mean, a.bn->running_mean) == 0.0);

  SECTION("float64 entries load into float32 tensors; int64 buffers stay int64") {
    StateDict d = a.state_dict();
    for (auto& kv : d)
      if (kv.second.dtype() == DType::F32) kv.second = kv.second.to(DType::F64);
    Net c;
    c.load_state_dict(d);
    CHECK(c.features->at<Conv2d>(0)->weight.dtype() == DType::F32);
    CHECK(c.bn->num_batches_tracked.dtype() == DType::I64);
    CHECK(max_diff(c.features->at<Conv2d>(0)->weight, a.features->at<Conv2d>(0)->weight) == 0.0);
  }
  SECTION("missing and unexpected keys") {
    StateDict d = a.state_dict();
    d.erase(d.begin() + 1);  // features.0.bias
    d.emplace_back("head.weight", Tensor::zeros({2}));
    CHECK_THROWS_WITH(b.load_state_dict(d), Catch::Contains("Missing key(s) in state_dict: \"features.0.bias\"") &&
                                                Catch::Contains("Unexpected key(s) in state_dict: \"head.weight\"") &&
                                                Catch::Contains("for Net"));
    LoadResult r = b.load_state_dict(d, /*strict=*/false);
    CHECK(r.missing_keys == std::vector<std::string>{"features.0.bias"});
    CHECK(r.unexpected_keys == std::vector<std::string>{"head.weight"});
  }
  SECTION("shape mismatch names the key and both shapes, even when not strict") {
    StateDict d = a.state_dict();
    for (auto& kv : d)
      if (kv.first == "bn.running_var") kv.second = Tensor::ones({4});
    CHECK_THROWS_WITH(b.load_state_dict(d, false),
                      Catch::Contains("size mismatch for bn.running_var") && Catch::Contains("[4]") &&
                          Catch::Contains("[3]"));
  }
}

TEST_CASE("nn: BatchNorm2d running statistics and eval mode match hand-computed values", "[unit]") {
  const int64_t N = 3, C = 2, H = 3, W = 5;
  BatchNorm2d bn(C, 1e-5, 0.1);
  init::normal_(bn.weight, 1.0, 0.5);
  init::normal_(bn.bias, 0.0, 0.5);
  Generator gen(11);
  Tensor x = Tensor::randn({N, C, H, W}, &gen) * 2.0 + 0.5;
  std::vector<double> xv = x.to_vector<double>(), wv = bn.weight.to_vector<double>(), bv = bn.bias.to_vector<double>();

  Tensor y = bn(x);
  CHECK(counter(bn.num_batches_tracked) == 1);
  std::vector<double> yv = y.to_vector<double>(), rm = bn.running_mean.to_vector<double>(),
                      rv = bn.running_var.to_vector<double>();
  const double M = double(N * H * W);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0, q = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H * W; ++i) s += xv[size_t((n * C + c) * H * W + i)];
    const double mean = s / M;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H * W; ++i) q += std::pow(xv[size_t((n * C + c) * H * W + i)] - mean, 2);
    CHECK(rm[size_t(c)] == Approx(0.9 * 0.0 + 0.1 * mean).epsilon(1e-5));
    CHECK(rv[size_t(c)] == Approx(0.9 * 1.0 + 0.1 * q / (M - 1)).epsilon(1e-5));  // unbiased
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H * W; ++i) {
        const size_t k = size_t((n * C + c) * H * W + i);
        const double expect = (xv[k] - mean) / std::sqrt(q / M + 1e-5) * wv[size_t(c)] + bv[size_t(c)];
        CHECK(yv[k] == Approx(expect).margin(1e-5));
      }
  }

  bn.eval();
  Tensor ye = bn(x);
  CHECK(counter(bn.num_batches_tracked) == 1);  // eval leaves the buffers alone
  CHECK(max_diff(bn.running_mean, Tensor::from_vector(rm, {C})) == 0.0);
  std::vector<double> yev = ye.to_vector<double>();
  for (size_t k = 0; k < xv.size(); ++k) {
    const size_t c = (k / size_t(H * W)) % size_t(C);
    CHECK(yev[k] == Approx((xv[k] - rm[c]) / std::sqrt(rv[c] + 1e-5) * wv[c] + bv[c]).margin(1e-5));
  }
  CHECK_THROWS_WITH(bn(Tensor::zeros({2, 2, 3})), Catch::Contains("expected 4D input"));
}

TEST_CASE("nn: batch_norm2d training with one value per channel is an error", "[unit]") {
  Tensor rm = Tensor::zeros({2}), rv = Tensor::ones({2});
  CHECK_THROWS_WITH(batch_norm2d(Tensor::zeros({1, 2, 1, 1}), Tensor(), Tensor(), rm, rv, true),
                    Catch::Contains("more than 1 value per channel"));
  CHECK_THROWS_WITH(batch_norm2d(Tensor::zeros({2, 2, 1, 1}), Tensor::ones({3}), Tensor(), rm, rv, true),
                    Catch::Contains("weight must have shape [2]"));
}

TEST_CASE("nn: init functions follow PyTorch's bounds and are seeded", "[unit]") {
  Generator g1(5), g2(5);
  Conv2d conv(8, 4, 3);
  const double bound = 1.0 / std::sqrt(8.0 * 9.0);  // kaiming_uniform_(a = sqrt(5)) == U(+-1/sqrt(fan_in))
  conv.reset_parameters(g1);
  auto w = conv.weight.to_vector<double>();
  double mx = 0;
  for (double v : w) mx = std::max(mx, std::fabs(v));
  CHECK(mx <= bound);
  CHECK(mx > 0.9 * bound);
  for (double v : conv.bias.to_vector<double>()) CHECK(std::fabs(v) <= bound);
  Conv2d conv2(8, 4, 3);
  conv2.reset_parameters(g2);
  CHECK(max_diff(conv.weight, conv2.weight) == 0.0);

  Tensor big = Tensor::empty({256, 64, 3, 3});
  init::kaiming_normal_(big, 0.0, init::FanMode::FanIn, init::Nonlinearity::ReLU, g1);
  auto v = big.to_vector<double>();
  double s2 = 0;
  for (double e : v) s2 += e * e;
  CHECK(std::sqrt(s2 / double(v.size())) == Approx(std::sqrt(2.0 / (64 * 9))).epsilon(0.02));
  init::xavier_uniform_(big, 1.0, g1);
  const double xb = std::sqrt(6.0 / double(64 * 9 + 256 * 9));
  mx = 0;
  for (double e : big.to_vector<double>()) mx = std::max(mx, std::fabs(e));
  CHECK(mx <= xb);
  CHECK(mx > 0.99 * xb);
  CHECK(init::calculate_gain(init::Nonlinearity::LeakyReLU, std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  init::constant_(big, 0.25);
  CHECK(big.to_vector<double>()[17] == 0.25);
  CHECK(big.requires_grad() == false);
}

TEST_CASE("nn: Module::to moves parameters and buffers in place; SIMT forward matches CPU", "[simt]") {
  Generator gen(3);
  Net cpu_net, dev_net;
  dev_net.load_state_dict(cpu_net.state_dict());
  Tensor w_handle = dev_net.features->at<Conv2d>(0)->weight;  // a handle taken before the move
  // One training step on both (equal running stats), leaving gradients on dev_net to move along.
  Tensor x0 = Tensor::randn({2, 2, 4, 4}, &gen);
  cpu_net(x0);
  dev_net(x0).backward(Tensor::ones({2, 3, 4, 4}));
  dev_net.to(Device::simt());
  for (auto& kv : dev_net.state_dict()) {
    INFO(kv.first);
    CHECK(kv.second.device() == Device::simt());
  }
  for (auto& p : dev_net.parameters()) {
    CHECK(p.is_leaf());
    CHECK(p.requires_grad());
  }
  CHECK(w_handle.device() == Device::simt());
  CHECK(dev_net.bn->num_batches_tracked.dtype() == DType::I64);

  Tensor x = Tensor::randn({2, 2, 5, 3}, &gen);
  Tensor y_cpu = cpu_net(x), y_dev = dev_net(x.to(Device::simt()));
  CHECK(max_diff(y_cpu, y_dev) < 1e-5);
  CHECK(counter(dev_net.bn->num_batches_tracked) == 2);
  CHECK(max_diff(cpu_net.bn->running_var, dev_net.bn->running_var) < 1e-5);
  sum(y_dev).backward();
  CHECK(dev_net.features->at<Conv2d>(0)->weight.grad().device() == Device::simt());
  dev_net.to(Device::cpu());
  CHECK(w_handle.device() == Device::cpu());
  CHECK(w_handle.grad().device() == Device::cpu());
}
