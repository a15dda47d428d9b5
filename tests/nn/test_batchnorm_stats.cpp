// Precise-BatchNorm recalibration and running-statistics snapshots (engine/nn/batchnorm_stats.h),
// against per-channel statistics computed here with plain loops.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/autograd.h"
#include "engine/nn/batchnorm_stats.h"
#include "engine/nn/init.h"
#include "engine/ops.h"

using namespace csgis;
using namespace csgis::nn;

namespace {

// Per-channel mean and unbiased variance of an NCHW tensor.
void channel_stats(const Tensor& x, std::vector<double>& mean, std::vector<double>& var) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  const std::vector<double> v = x.to_vector<double>();
  mean.assign(size_t(C), 0);
  var.assign(size_t(C), 0);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0, q = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) s += v[size_t((n * C + c) * HW + i)];
    const double m = s / double(N * HW);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) q += std::pow(v[size_t((n * C + c) * HW + i)] - m, 2);
    mean[size_t(c)] = m;
    var[size_t(c)] = q / double(N * HW - 1);
  }
}

// conv -> BN -> ReLU -> conv -> BN: two BatchNorms, the first fed by a fixed conv.
struct Net : Module {
  std::shared_ptr<Sequential> body;
  Net() {
    body = register_module("body", std::make_shared<Sequential>());
    body->push_back(std::make_shared<Conv2d>(2, 3, 3, 1, 1, 1, true));
    body->push_back(std::make_shared<BatchNorm2d>(3));
    body->push_back(std::make_shared<ReLU>());
    body->push_back(std::make_shared<Conv2d>(3, 2, 3, 1, 1, 1, true));
    body->push_back(std::make_shared<BatchNorm2d>(2));
  }
  Tensor forward(const Tensor& x) override { return body->forward(x); }
};

}  // namespace

TEST_CASE("nn: recalibrate_batchnorm averages the batch statistics of the final weights", "[unit]") {
  Net net;
  Generator gen(21);
  for (Tensor p : net.parameters()) init::normal_(p, 0.0, 0.4, gen);
  const std::vector<Tensor> batches = {Tensor::randn({3, 2, 5, 6}, &gen) + 0.7, Tensor::randn({3, 2, 5, 6}, &gen) * 2.0,
                                       Tensor::randn({3, 2, 5, 6}, &gen) - 0.3};
  // Stale statistics, as training leaves them.
  for (int i = 0; i < 4; ++i) net(Tensor::randn({2, 2, 5, 6}, &gen) * 3.0);
  net.eval();
  const std::vector<Tensor> weights_before = [&] {
    std::vector<Tensor> w;
    for (const Tensor& p : net.parameters()) w.push_back(p.to(Device::cpu()).to(DType::F64));
    return w;
  }();

  size_t next = 0;
  recalibrate_batchnorm(net, 3, [&] { net(batches[next++]); });
  CHECK(next == 3);
  CHECK(!net.is_training());  // the mode it was in
  const std::vector<BatchNorm2d*> bns = batchnorm_layers(net);
  REQUIRE(bns.size() == 2);
  for (BatchNorm2d* bn : bns) {
    CHECK(!bn->cumulative_average);
    CHECK(bn->num_batches_tracked.item() == 3.0);
  }
  // The first BatchNorm sees the first conv's output: the average of the three batches' statistics.
  auto& conv1 = dynamic_cast<Conv2d&>(*net.body->child("0"));
  std::vector<double> mean_sum(3, 0), var_sum(3, 0), m, v;
  {
    autograd::NoGradGuard no_grad;
    for (const Tensor& x : batches) {
      channel_stats(conv1(x), m, v);
      for (size_t c = 0; c < 3; ++c) {
        mean_sum[c] += m[c] / 3;
        var_sum[c] += v[c] / 3;
      }
    }
  }
  const std::vector<double> rm = bns[0]->running_mean.to_vector<double>(), rv = bns[0]->running_var.to_vector<double>();
  for (size_t c = 0; c < 3; ++c) {
    CHECK(rm[c] == Approx(mean_sum[c]).epsilon(1e-5));
    CHECK(rv[c] == Approx(var_sum[c]).epsilon(1e-5));
  }
  // Weights untouched, no gradients recorded.
  const std::vector<Tensor> after = net.parameters();
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].to_vector<double>() == weights_before[i].to_vector<double>());
    CHECK(!after[i].grad().defined());
  }
  CHECK_THROWS_WITH(recalibrate_batchnorm(net, 0, [] {}), Catch::Contains("batches must be >= 1"));
}

TEST_CASE("nn: BatchNorm snapshots restore statistics and the batch counter", "[unit]") {
  Net net;
  Generator gen(4);
  net(Tensor::randn({2, 2, 4, 4}, &gen));
  const BatchNormSnapshot snap = snapshot_batchnorm(net);
  const std::vector<double> before = batchnorm_layers(net)[1]->running_var.to_vector<double>();
  recalibrate_batchnorm(net, 2, [&] { net(Tensor::randn({2, 2, 4, 4}, &gen) * 5.0); });
  CHECK(batchnorm_layers(net)[1]->running_var.to_vector<double>() != before);
  restore_batchnorm(net, snap);
  BatchNorm2d& bn = *batchnorm_layers(net)[1];
  CHECK(bn.running_var.to_vector<double>() == before);
  CHECK(bn.num_batches_tracked.item() == 1.0);
  net(Tensor::randn({2, 2, 4, 4}, &gen));  // the counter continues from the restored value
  CHECK(bn.num_batches_tracked.item() == 2.0);
  // The snapshot is a copy: later training does not change it.
  CHECK(snap.num_batches_tracked[1].item() == 1.0);
}
