// Defines a three-layer convolutional network with the engine's modules and trains it with Adam to
// reproduce a fixed 3x3 box blur of random images. Prints the loss every 50 steps; exit code 0
// when the final loss is under a tenth of the first.
#include <csgis/csgis.h>

#include <cstdio>
#include <memory>

using namespace csgis;

int main() {
  Context ctx(0, nullptr, /*seed=*/5);  // everything random below comes from this context
  ContextGuard use(ctx);
  nn::Sequential net{std::make_shared<nn::Conv2d>(1, 8, 3, 1, 1), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Conv2d>(8, 8, 3, 1, 1), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Conv2d>(8, 1, 3, 1, 1)};
  optim::Adam opt(net.parameters(), 3e-3);
  const Tensor box = Tensor::full({1, 1, 3, 3}, 1.0 / 9.0);  // the target operator
  double first = 0, last = 0;
  for (int step = 1; step <= 300; ++step) {
    const Tensor x = Tensor::rand({8, 1, 16, 16}, 0, 1, &ctx.generator());
    Tensor target;
    {
      autograd::NoGradGuard no_grad;
      target = conv2d(x, box, Tensor(), Conv2dParams::same(3));
    }
    const Tensor diff = net(x) - target;
    Tensor loss = mean(diff * diff);
    opt.zero_grad();
    loss.backward();
    opt.step();
    last = loss.item();
    if (step == 1) first = last;
    if (step % 50 == 0) std::printf("step %3d  loss %.6f\n", step, last);
  }
  std::printf("loss %.6f -> %.6f\n", first, last);
  return last < first / 10 ? 0 : 1;
}
