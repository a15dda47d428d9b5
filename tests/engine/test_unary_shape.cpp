// Exact values on tiny hand-computed inputs for the unary, softmax and shape op families, their
// error messages, and a few properties the registry's gradchecks cannot see (sub-gradients at the
// kinks, no graph cycles, name lookup of the std math overloads).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/autograd.h"
#include "engine/ops.h"

using namespace csgis;

namespace {
Tensor vec(std::vector<float> v, Shape s) { return Tensor::from_vector(v, s); }

void check_close(const std::vector<float>& got, const std::vector<float>& want, double tol = 1e-6) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(std::fabs(double(got[i]) - double(want[i])) <= tol);
  }
}

// Gradient of sum(f(x)) with respect to x.
template <typename F>
std::vector<float> grad_of_sum(Tensor x, F f) {
  x = x.detach().set_requires_grad(true);
  sum(f(x)).backward();
  return x.grad().to_vector<float>();
}
}  // namespace

TEST_CASE("unary: exact values", "[unit]") {
  Tensor x = vec({-2.f, -0.5f, 0.f, 0.5f, 3.f}, {5});
  CHECK(relu(x).to_vector<float>() == std::vector<float>{0, 0, 0, 0.5f, 3});
  check_close(leaky_relu(x, 0.1).to_vector<float>(), {-0.2f, -0.05f, 0, 0.5f, 3});
  check_close(abs(x).to_vector<float>(), {2, 0.5f, 0, 0.5f, 3});
  check_close(clamp(x, -1, 1).to_vector<float>(), {-1, -0.5f, 0, 0.5f, 1});
  check_close(square(x).to_vector<float>(), {4, 0.25f, 0, 0.25f, 9});
  check_close(add_scalar(x, 1).to_vector<float>(), {-1, 0.5f, 1, 1.5f, 4});
  check_close(mul_scalar(x, 2).to_vector<float>(), {-4, -1, 0, 1, 6});
  check_close(rsub_scalar(1, x).to_vector<float>(), {3, 1.5f, 1, 0.5f, -2});
  check_close(sigmoid(x).to_vector<float>(), {0.11920292f, 0.37754067f, 0.5f, 0.62245933f, 0.95257413f});
  check_close(tanh(x).to_vector<float>(), {-0.96402758f, -0.46211716f, 0, 0.46211716f, 0.99505475f});
  Tensor p = vec({0.25f, 1.f, 4.f}, {3});
  check_close(sqrt(p).to_vector<float>(), {0.5f, 1, 2});
  check_close(log(p).to_vector<float>(), {-1.38629436f, 0, 1.38629436f});
  check_close(exp(log(p)).to_vector<float>(), {0.25f, 1, 4}, 1e-6);
  check_close(pow(p, 1.5).to_vector<float>(), {0.125f, 1, 8});
  // Saturating sigmoid stays finite at both ends.
  check_close(sigmoid(vec({-200.f, 200.f}, {2})).to_vector<float>(), {0, 1});
}

TEST_CASE("unary: sub-gradients at the kinks follow PyTorch", "[unit]") {
  Tensor x = vec({-1.f, 0.f, 2.f}, {3});
  CHECK(grad_of_sum(x, [](const Tensor& t) { return relu(t); }) == std::vector<float>{0, 0, 1});
  CHECK(grad_of_sum(x, [](const Tensor& t) { return abs(t); }) == std::vector<float>{-1, 0, 1});
  CHECK(grad_of_sum(x, [](const Tensor& t) { return leaky_relu(t, 0.25); }) == std::vector<float>{0.25f, 0.25f, 1});
  // clamp passes the gradient on the closed interval [lo, hi], bounds included.
  Tensor c = vec({-1.f, -0.5f, 0.f, 0.5f, 1.f}, {5});
  CHECK(grad_of_sum(c, [](const Tensor& t) { return clamp(t, -0.5, 0.5); }) == std::vector<float>{0, 1, 1, 1, 0});
  CHECK(grad_of_sum(x, [](const Tensor& t) { return pow(t, 0.0); }) == std::vector<float>{0, 0, 0});
  CHECK_THROWS_WITH(clamp(x, 1, 0), Catch::Contains("above upper bound"));
}

TEST_CASE("unary: the std math overloads stay visible next to the tensor ops", "[unit]") {
  // engine/ops/unary.h brings std::exp & co into csgis so unqualified scalar calls still resolve.
  CHECK(csgis::exp(0.0) == 1.0);
  CHECK(csgis::sqrt(4.0f) == 2.0f);
  CHECK(csgis::abs(-3) == 3);
  CHECK(csgis::pow(2.0, 3) == 8.0);
}

TEST_CASE("unary: a saved output does not keep its own graph alive", "[unit]") {
  std::weak_ptr<TensorImpl> watch;
  {
    Tensor x = Tensor::randn({4}).set_requires_grad(true);
    Tensor y = sigmoid(x);  // saves its output for the backward
    watch = y.impl_ptr();
  }
  CHECK(watch.expired());
}

TEST_CASE("softmax: exact values and normalisation", "[unit]") {
  Tensor x = vec({1.f, 2.f, 3.f, 0.f, 0.f, 0.f}, {2, 3});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  check_close(log_softmax(x, 1).to_vector<float>(),
              {float(1 - lse), float(2 - lse), float(3 - lse), float(-std::log(3.0)), float(-std::log(3.0)),
               float(-std::log(3.0))});
  // Over dim 0 each column of two values: log(e^a / (e^a + e^b)).
  auto l0 = log_softmax(x, 0).to_vector<float>();
  check_close({l0[0], l0[3]}, {float(1 - std::log(std::exp(1.0) + 1)), float(-std::log(std::exp(1.0) + 1))});
  // Rows of exp(log_softmax) sum to 1 along any dim, even where exp(x) overflows (max subtraction).
  // float64: in float32 the spacing of values near 1000 (6e-5) would dominate the error.
  Tensor big = add_scalar(Tensor::randn({3, 4, 5}, nullptr, DType::F64), 1000.0);
  for (int64_t d : {0, 1, 2, -1}) {
    for (double v : sum(exp(log_softmax(big, d)), {d}).to_vector<double>()) CHECK(std::fabs(v - 1) < 1e-12);
    for (double v : sum(softmax(big, d), {d}).to_vector<double>()) CHECK(std::fabs(v - 1) < 1e-12);
    for (float v : softmax(big.to(DType::F32), d).to_vector<float>()) CHECK(std::isfinite(v));
  }
  // The gradient of sum(log_softmax) is dy - softmax * sum(dy) = 1 - 3 * softmax.
  auto g = grad_of_sum(vec({0.f, 0.f, 0.f}, {3}), [](const Tensor& t) { return log_softmax(t, 0); });
  check_close(g, {0, 0, 0});
  CHECK_THROWS_WITH(log_softmax(x, 2), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(softmax(x, -3), Catch::Contains("out of range"));
}

TEST_CASE("shape: concat and stack layout", "[unit]") {
  Tensor a = vec({1, 2, 3, 4}, {2, 2});
  Tensor b = vec({5, 6}, {2, 1});
  Tensor c = concat({a, b}, 1);
  CHECK(c.shape() == Shape{2, 3});
  CHECK(c.to_vector<float>() == std::vector<float>{1, 2, 5, 3, 4, 6});
  Tensor r = concat({a, vec({7, 8}, {1, 2})}, -2);
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 7, 8});
  Tensor s = stack({a, a}, 1);
  CHECK(s.shape() == Shape{2, 2, 2});
  CHECK(s.to_vector<float>() == std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4});
  // The gradient of each input is its slice of the output gradient.
  Tensor aa = a.detach().set_requires_grad(true), bb = b.detach().set_requires_grad(true);
  Tensor w = vec({10, 20, 30, 40, 50, 60}, {2, 3});
  sum(concat({aa, bb}, 1) * w).backward();
  CHECK(aa.grad().to_vector<float>() == std::vector<float>{10, 20, 40, 50});
  CHECK(bb.grad().to_vector<float>() == std::vector<float>{30, 60});
}

TEST_CASE("shape: concat and stack errors", "[unit]") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3, 2});
  CHECK_THROWS_WITH(concat({a, b}, 0), Catch::Contains("tensor 1 has shape [3, 2]"));
  CHECK_THROWS_WITH(concat({a, Tensor::zeros({2, 3, 1})}, 0), Catch::Contains("must match"));
  CHECK_THROWS_WITH(concat({}, 0), Catch::Contains("no tensors"));
  CHECK_THROWS_WITH(concat({a}, 2), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(concat({a, Tensor::zeros({2, 3}, DType::F64)}, 0), Catch::Contains("dtypes"));
  CHECK_THROWS_WITH(stack({a, b}, 0), Catch::Contains("all must be equal"));
}

TEST_CASE("shape: pad2d exact values for every mode", "[unit]") {
  // One 2 x 3 plane: [[1 2 3], [4 5 6]].
  Tensor x = vec({1, 2, 3, 4, 5, 6}, {1, 1, 2, 3});
  Tensor r = pad2d(x, 2, 1, 1, 0, PadMode::Reflect);
  CHECK(r.shape() == Shape{1, 1, 3, 6});
  CHECK(r.to_vector<float>() == std::vector<float>{6, 5, 4, 5, 6, 5,  //
                                                   3, 2, 1, 2, 3, 2,  //
                                                   6, 5, 4, 5, 6, 5});
  Tensor p = pad2d(x, 1, 2, 0, 2, PadMode::Replicate);
  CHECK(p.shape() == Shape{1, 1, 4, 6});
  CHECK(p.to_vector<float>() == std::vector<float>{1, 1, 2, 3, 3, 3,  //
                                                   4, 4, 5, 6, 6, 6,  //
                                                   4, 4, 5, 6, 6, 6,  //
                                                   4, 4, 5, 6, 6, 6});
  Tensor k = pad2d(x, 1, 0, 1, 1, PadMode::Constant, -1);
  CHECK(k.to_vector<float>() == std::vector<float>{-1, -1, -1, -1,  //
                                                   -1, 1, 2, 3,     //
                                                   -1, 4, 5, 6,     //
                                                   -1, -1, -1, -1});
  // Backward of sum: how many output elements read each input element.
  auto count = [&](int64_t l, int64_t rr, int64_t t, int64_t b, PadMode m) {
    return grad_of_sum(x, [&](const Tensor& v) { return pad2d(v, l, rr, t, b, m); });
  };
  CHECK(count(2, 1, 1, 0, PadMode::Reflect) == std::vector<float>{1, 3, 2, 2, 6, 4});
  CHECK(count(1, 2, 0, 2, PadMode::Replicate) == std::vector<float>{2, 1, 3, 6, 3, 9});
  CHECK(count(1, 0, 1, 1, PadMode::Constant) == std::vector<float>{1, 1, 1, 1, 1, 1});
}

TEST_CASE("shape: pad2d errors", "[unit]") {
  Tensor x = Tensor::zeros({1, 1, 2, 3});
  CHECK_THROWS_WITH(pad2d(x, 3, 0, 0, 0, PadMode::Reflect), Catch::Contains("must be smaller"));
  CHECK_THROWS_WITH(pad2d(x, 0, 0, 2, 0, PadMode::Reflect), Catch::Contains("must be smaller"));
  CHECK_THROWS_WITH(pad2d(x, -1, 0, 0, 0), Catch::Contains("negative padding"));
  // A mode value outside the enum (e.g. from a binding passing an int) names what is allowed.
  CHECK_THROWS_WITH(pad2d(x, 1, 1, 1, 1, static_cast<PadMode>(7)), Catch::Contains("is not a PadMode"));
  CHECK_THROWS_WITH(pad2d(Tensor::zeros({4}), 1, 1, 1, 1), Catch::Contains("last two dims"));
  CHECK_THROWS_WITH(pad2d(Tensor::zeros({1, 0, 3}), 1, 1, 0, 0, PadMode::Replicate), Catch::Contains("empty"));
  // Constant padding of an empty plane is all border.
  CHECK(pad2d(Tensor::zeros({1, 1, 0, 2}), 0, 0, 1, 0, PadMode::Constant, 3).to_vector<float>() ==
        std::vector<float>{3, 3});
  CHECK_NOTHROW(pad2d(x, 2, 2, 1, 1, PadMode::Reflect));
  CHECK_NOTHROW(pad2d(x, 5, 5, 5, 5, PadMode::Replicate));
}

TEST_CASE("unary, softmax and pad2d run on the emulated CUDA device", "[unit][simt]") {
  Tensor x = vec({-1.f, 0.5f, 2.f, 3.f, -4.f, 0.25f}, {1, 1, 2, 3});
  Tensor xs = x.to(Device::simt());
  check_close(relu(xs).to_vector<float>(), relu(x).to_vector<float>(), 0);
  check_close(log_softmax(xs, -1).to_vector<float>(), log_softmax(x, -1).to_vector<float>(), 1e-6);
  check_close(pad2d(xs, 1, 2, 1, 1, PadMode::Reflect).to_vector<float>(),
              pad2d(x, 1, 2, 1, 1, PadMode::Reflect).to_vector<float>(), 0);
  CHECK(concat({xs, xs}, 2).device() == Device::simt());
}
