// Contexts a host program owns: two of them, on two threads at once, training and running a small
// network give exactly what each gives alone (no state shared behind the contexts' backs).
#include <catch2/catch.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"

using namespace csgis;

namespace {

// Initialises, trains (5 Adam steps) and runs a two-layer network, everything random drawn from
// the context's own generator; returns the final output on the host.
std::vector<float> train_and_run(uint64_t seed, Device dev) {
  Context ctx(0, nullptr, seed);
  ContextGuard use(ctx);
  nn::Sequential net{std::make_shared<nn::Conv2d>(3, 5, 3, 1, 1), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Conv2d>(5, 3, 3, 1, 2, 2)};
  net.to(dev);
  optim::Adam opt(net.parameters(), 1e-2);
  for (int step = 0; step < 5; ++step) {
    const Tensor x = Tensor::rand({2, 3, 11, 13}, 0, 1, &ctx.generator()).to(dev);
    const Tensor y = net(x);
    Tensor loss = mean(y * y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  autograd::NoGradGuard no_grad;
  return net(Tensor::rand({1, 3, 9, 10}, 0, 1, &ctx.generator()).to(dev)).to_vector<float>();
}

void check_two_threads(Device dev) {
  const std::vector<float> a_alone = train_and_run(1, dev), b_alone = train_and_run(2, dev);
  std::vector<float> a_together, b_together;
  std::thread ta([&] { a_together = train_and_run(1, dev); });
  std::thread tb([&] { b_together = train_and_run(2, dev); });
  ta.join();
  tb.join();
  CHECK(a_together == a_alone);
  CHECK(b_together == b_alone);
  CHECK(a_alone != b_alone);  // the seeds matter, so equality above is not vacuous
}

}  // namespace

TEST_CASE("contexts: two contexts on two threads train and run as each does alone (CPU)", "[unit]") {
  check_two_threads(Device::cpu());
}

TEST_CASE("contexts: two contexts on two threads train and run as each does alone (SIMT)", "[simt]") {
  check_two_threads(Device::simt());
}
