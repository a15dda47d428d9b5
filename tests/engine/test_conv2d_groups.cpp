// Grouped and depthwise conv2d beyond the registry's gradchecks and SIMT parity: the depthwise
// kernels against the per-group path built from groups = 1 convolutions (forward and every
// gradient), nn::Conv2d's groups, and the errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/generator.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"

using namespace csgis;

namespace {

double max_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

// The same grouped convolution as concat over groups of groups = 1 convolutions (the reference).
Tensor per_group(const Tensor& x, const Tensor& w, const Tensor& b, Conv2dParams p) {
  const int64_t g = p.groups, cg = x.size(1) / g, kg = w.size(0) / g;
  p.groups = 1;
  std::vector<Tensor> outs;
  for (int64_t i = 0; i < g; ++i)
    outs.push_back(conv2d(x.slice(1, i * cg, (i + 1) * cg), w.slice(0, i * kg, (i + 1) * kg),
                          b.slice(0, i * kg, (i + 1) * kg), p));
  return concat(outs, 1);
}

}  // namespace

TEST_CASE("conv2d groups: depthwise kernels equal the per-group GEMM path, values and gradients", "[unit]") {
  Generator gen(21);
  for (const auto& [stride, pad, dil, mult] : std::vector<std::array<int64_t, 4>>{{1, 1, 1, 1}, {2, 1, 1, 1}, {1, 2, 2, 2}, {2, 0, 1, 3}}) {
    INFO("stride " << stride << " pad " << pad << " dilation " << dil << " multiplier " << mult);
    const int64_t C = 5;
    Conv2dParams p{stride, stride, pad, pad, dil, dil};
    p.groups = C;
    auto make = [&](const Shape& s) { return Tensor::randn(s, &gen, DType::F64).set_requires_grad(true); };
    Tensor x = make({2, C, 11, 9}), w = make({C * mult, 1, 3, 3}), b = make({C * mult});
    Tensor x2 = x.detach().clone().set_requires_grad(true), w2 = w.detach().clone().set_requires_grad(true),
           b2 = b.detach().clone().set_requires_grad(true);
    const Tensor y = conv2d(x, w, b, p), ref = per_group(x2, w2, b2, p);
    REQUIRE(y.shape() == ref.shape());
    CHECK(max_diff(y, ref) < 1e-12);
    const Tensor g = Tensor::randn(y.shape(), &gen, DType::F64);
    sum(mul(y, g)).backward();
    sum(mul(ref, g)).backward();
    CHECK(max_diff(x.grad(), x2.grad()) < 1e-12);
    CHECK(max_diff(w.grad(), w2.grad()) < 1e-12);
    CHECK(max_diff(b.grad(), b2.grad()) < 1e-12);
  }
}

TEST_CASE("conv2d groups: nn::Conv2d with groups, and the errors", "[unit]") {
  nn::Conv2d dw(8, 8, 3, 1, 1, 1, true, 8);
  CHECK(dw.weight.shape() == Shape{8, 1, 3, 3});
  CHECK(dw.params().groups == 8);
  CHECK(dw.forward(Tensor::ones({1, 8, 5, 5})).shape() == Shape{1, 8, 5, 5});
  nn::Conv2d g2(6, 4, 1, 1, 0, 1, false, 2);
  CHECK(g2.weight.shape() == Shape{4, 3, 1, 1});
  CHECK_THROWS_WITH(nn::Conv2d(6, 4, 3, 1, 1, 1, true, 4), Catch::Contains("groups must divide"));

  const Tensor x = Tensor::ones({1, 6, 5, 5});
  Conv2dParams p = Conv2dParams::same(3);
  p.groups = 4;
  CHECK_THROWS_WITH(conv2d(x, Tensor::ones({4, 1, 3, 3}), Tensor(), p), Catch::Contains("groups = 4 must divide"));
  p.groups = 3;
  CHECK_THROWS_WITH(conv2d(x, Tensor::ones({3, 3, 3, 3}), Tensor(), p),
                    Catch::Contains("input channels per group") && Catch::Contains("has 2"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::ones({3, 2, 3, 3}), Tensor::ones({4}), p), Catch::Contains("bias must have shape [3]"));
  p.groups = 0;
  CHECK_THROWS_WITH(conv2d(x, Tensor::ones({3, 2, 3, 3}), Tensor(), p), Catch::Contains("groups must be >= 1"));
  p.groups = 6;  // depthwise with a kernel larger than the padded input
  p.pad_h = p.pad_w = 0;
  CHECK_THROWS_WITH(conv2d(x, Tensor::ones({6, 1, 7, 7}), Tensor(), p), Catch::Contains("does not fit"));
}
