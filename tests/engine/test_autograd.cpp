// Autograd mechanics: accumulation, graph freeing, error messages, NoGradGuard, grad-ready hooks.
#include <catch2/catch.hpp>

#include "engine/autograd.h"
#include "engine/generator.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"

using namespace csgis;

TEST_CASE("autograd: gradients of a small expression and accumulation", "[unit]") {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}).set_requires_grad(true);
  Tensor y = Tensor::from_vector(std::vector<float>{4, 5, 6}, {3}).set_requires_grad(true);
  // L = sum(x*y + x) -> dL/dx = y + 1, dL/dy = x
  sum(x * y + x).backward();
  CHECK(x.grad().to_vector<float>() == std::vector<float>{5, 6, 7});
  CHECK(y.grad().to_vector<float>() == std::vector<float>{1, 2, 3});
  // a second forward/backward accumulates
  sum(x * 2.0).backward();
  CHECK(x.grad().to_vector<float>() == std::vector<float>{7, 8, 9});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("autograd: a tensor used twice gets both contributions", "[unit]") {
  Tensor x = Tensor::from_vector(std::vector<float>{3}, {1}).set_requires_grad(true);
  Tensor y = x * x;       // 2x
  Tensor z = y * x + y;   // x^3 + x^2 -> 3x^2 + 2x = 33
  sum(z).backward();
  CHECK(x.grad().item() == Approx(33.0));
}

TEST_CASE("autograd: backward twice and non-scalar backward are clear errors", "[unit]") {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2}, {2}).set_requires_grad(true);
  Tensor loss = sum(x * x);
  loss.backward();
  CHECK_THROWS_WITH(loss.backward(), Catch::Contains("backward() called twice"));
  Tensor v = x * 3.0;
  CHECK_THROWS_WITH(v.backward(), Catch::Contains("one-element"));
  v.backward(Tensor::ones({2}));  // with an explicit gradient it works
  CHECK(x.grad().to_vector<float>() == std::vector<float>{2 + 3, 4 + 3});
  Tensor c = Tensor::ones({1});
  CHECK_THROWS_WITH(c.backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("autograd: the graph is freed after backward", "[unit]") {
  Tensor x = Tensor::randn({1000}).set_requires_grad(true);
  std::weak_ptr<TensorImpl> saved;
  Tensor loss;
  {
    Tensor h = x * 2.0;
    saved = h.impl_ptr();
    loss = sum(h * h);  // Mul saves h
  }
  CHECK_FALSE(saved.expired());  // kept alive by the graph
  loss.backward();
  CHECK(saved.expired());  // released with the graph
}

TEST_CASE("autograd: NoGradGuard records nothing", "[unit]") {
  Tensor x = Tensor::randn({4}).set_requires_grad(true);
  Tensor y;
  {
    autograd::NoGradGuard g;
    y = x * 2.0;
    CHECK_FALSE(autograd::grad_enabled());
  }
  CHECK(autograd::grad_enabled());
  CHECK_FALSE(y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
  Tensor d = x.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.same_storage(x));
}

TEST_CASE("autograd: grad-ready hooks fire once per pass, last layer first", "[unit]") {
  Tensor w1 = Tensor::randn({3}).set_requires_grad(true);
  Tensor w2 = Tensor::randn({3}).set_requires_grad(true);
  std::vector<std::string> order;
  w1.register_grad_ready_hook([&](Tensor& t) {
    CHECK(t.grad().defined());
    order.push_back("w1");
  });
  w2.register_grad_ready_hook([&](Tensor&) { order.push_back("w2"); });
  Tensor x = Tensor::randn({3});
  Tensor h = x * w1;        // first layer
  Tensor out = h * w2 + h;  // second layer uses h twice: w1 is ready only after both paths
  sum(out).backward();
  REQUIRE(order.size() == 2);
  CHECK(order[0] == "w2");
  CHECK(order[1] == "w1");
}

TEST_CASE("autograd: gradients flow through views and device moves", "[unit]") {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad(true);
  Tensor y = x.transpose(0, 1).slice(0, 1, 3).to(Device::simt());  // [[2,5],[3,6]]
  sum(y * y).backward();
  CHECK(x.grad().device() == Device::cpu());
  CHECK(x.grad().to_vector<float>() == std::vector<float>{0, 4, 6, 0, 10, 12});
}

TEST_CASE("autograd: a tensor the backward needs, modified in place after the forward, is refused", "[unit]") {
  Generator gen(11);
  Tensor x = Tensor::randn({1, 2, 5, 6}, &gen).set_requires_grad(true);
  Tensor w = Tensor::randn({3, 2, 3, 3}, &gen).set_requires_grad(true);
  optim::Adam opt({w}, 0.1);

  // The usual order works: forward, backward, step, forward again.
  sum(conv2d(x, w, Tensor(), Conv2dParams::same(3))).backward();
  opt.step();
  Tensor loss = sum(conv2d(x, w, Tensor(), Conv2dParams::same(3)));
  opt.step();  // w changes while the graph above still needs the old w
  CHECK_THROWS_WITH(loss.backward(), Catch::Contains("backward of Conv2d") && Catch::Contains("modified in place") &&
                                         Catch::Contains("[3, 2, 3, 3]"));

  // copy_/fill_ count as in-place writes too, through any view of the storage.
  Tensor a = Tensor::randn({4}, &gen).set_requires_grad(true);
  Tensor b = Tensor::randn({4}, &gen);
  Tensor prod = sum(a * b);
  b.slice(0, 1, 3).fill_(2.0);
  CHECK_THROWS_WITH(prod.backward(), Catch::Contains("backward of Mul"));

  // An op whose backward reads nothing of its inputs does not mind.
  Tensor c = Tensor::randn({4}, &gen).set_requires_grad(true);
  Tensor d = Tensor::randn({4}, &gen);
  Tensor total = sum(c + d);
  d.fill_(5.0);
  total.backward();
  CHECK(c.grad().to_vector<float>() == std::vector<float>(4, 1.f));

  // A saved output (exp keeps its result for the backward) is checked as well.
  Tensor e = Tensor::randn({3}, &gen).set_requires_grad(true);
  Tensor y = exp(e);
  Tensor s = sum(y);  // Sum reads nothing saved: the check that fires is Exp's
  {
    autograd::NoGradGuard no_grad;
    y.fill_(0.0);
  }
  CHECK_THROWS_WITH(s.backward(), Catch::Contains("backward of Exp"));
}
