// Exact values on tiny hand-computed inputs for matmul/bmm, the pools and bilinear resizing (on
// the CPU and on the emulated GPU), their error messages, and properties the registry cannot see
// (argmax indices, output sizes under ceil_mode, views read in place without a copy).
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

#include "engine/autograd.h"
#include "engine/generator.h"
#include "engine/context.h"
#include "engine/ops.h"

using namespace csgis;
using Catch::Matchers::Contains;

namespace {
Tensor vec(std::vector<float> v, Shape s, Device d = Device::cpu()) { return Tensor::from_vector(v, s, d); }

void check_close(const std::vector<float>& got, const std::vector<float>& want, double tol = 1e-5) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK(std::fabs(double(got[i]) - double(want[i])) <= tol);
  }
}

// 1..16 as a [1, 1, 4, 4] image.
Tensor ramp4x4(Device d) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[size_t(i)] = float(i + 1);
  return vec(v, {1, 1, 4, 4}, d);
}

const Device kDevices[] = {Device::cpu(), Device::simt()};
}  // namespace

TEST_CASE("matmul: 2x3 by 3x2 by hand, every transpose form", "[unit]") {
  for (Device d : kDevices) {
    INFO("device " << d.str());
    Tensor a = vec({1, 2, 3, 4, 5, 6}, {2, 3}, d);         // [[1,2,3],[4,5,6]]
    Tensor b = vec({7, 8, 9, 10, 11, 12}, {3, 2}, d);      // [[7,8],[9,10],[11,12]]
    // [[1*7+2*9+3*11, 1*8+2*10+3*12], [4*7+5*9+6*11, 4*8+5*10+6*12]] = [[58, 64], [139, 154]]
    const std::vector<float> want{58, 64, 139, 154};
    check_close(matmul(a, b).to_vector<float>(), want);
    Tensor at = vec({1, 4, 2, 5, 3, 6}, {3, 2}, d);        // a^T stored
    Tensor bt = vec({7, 9, 11, 8, 10, 12}, {2, 3}, d);     // b^T stored
    check_close(matmul(at, b, true, false).to_vector<float>(), want);
    check_close(matmul(a, bt, false, true).to_vector<float>(), want);
    check_close(matmul(at, bt, true, true).to_vector<float>(), want);
    check_close(matmul(at.transpose(0, 1), bt.transpose(0, 1)).to_vector<float>(), want);  // views
    // Batch of two: the second entry is the first times 2 -> products times 4.
    Tensor a2 = vec({1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12}, {2, 2, 3}, d);
    Tensor b2 = vec({7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 22, 24}, {2, 3, 2}, d);
    check_close(bmm(a2, b2).to_vector<float>(), {58, 64, 139, 154, 232, 256, 556, 616});
  }
}

TEST_CASE("matmul: gradients by hand", "[unit]") {
  // L = sum(A B): dL/dA = 1 B^T (row sums of B repeated), dL/dB = A^T 1 (column sums of A repeated).
  Tensor a = vec({1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad(true);
  Tensor b = vec({7, 8, 9, 10, 11, 12}, {3, 2}).set_requires_grad(true);
  sum(matmul(a, b)).backward();
  check_close(a.grad().to_vector<float>(), {15, 19, 23, 15, 19, 23});
  check_close(b.grad().to_vector<float>(), {5, 5, 7, 7, 9, 9});
}

TEST_CASE("matmul: empty inner dimension gives zeros", "[unit]") {
  Tensor a = Tensor::empty({2, 0}), b = Tensor::empty({0, 3});
  CHECK(matmul(a, b).to_vector<float>() == std::vector<float>(6, 0.f));
}

TEST_CASE("matmul: clear errors", "[unit]") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 2});
  REQUIRE_THROWS_WITH(matmul(a, b), Contains("[2, 3]") && Contains("[4, 2]") && Contains("inner dimensions"));
  REQUIRE_THROWS_WITH(matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 2})), Contains("bmm"));
  REQUIRE_THROWS_WITH(bmm(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 2})), Contains("batch sizes differ"));
  REQUIRE_THROWS_WITH(matmul(a, Tensor::zeros({3, 2}, DType::F64)), Contains("dtypes"));
}

TEST_CASE("matmul: the cuBLAS switch belongs to the context", "[unit]") {
  Context a, b;
  b.use_cublas = false;
  CHECK(a.use_cublas);  // the default
  {
    ContextGuard use(b);
    CHECK_FALSE(current_context().use_cublas);
  }
  CHECK(&current_context() != &b);
}

TEST_CASE("max_pool2d / avg_pool2d: 4x4 by hand", "[unit]") {
  for (Device d : kDevices) {
    INFO("device " << d.str());
    Tensor x = ramp4x4(d);  // rows [1..4], [5..8], [9..12], [13..16]
    Tensor idx;
    // 2x2 windows, stride 2: maxima are the bottom-right corners.
    check_close(max_pool2d(x, 2, 2, 0, false, &idx).to_vector<float>(), {6, 8, 14, 16});
    Tensor ih = idx.to(Device::cpu());
    CHECK(std::vector<int64_t>(ih.data<int64_t>(), ih.data<int64_t>() + 4) == std::vector<int64_t>{5, 7, 13, 15});
    // Means: (1+2+5+6)/4, (3+4+7+8)/4, (9+10+13+14)/4, (11+12+15+16)/4.
    check_close(avg_pool2d(x, 2, 2).to_vector<float>(), {3.5f, 5.5f, 11.5f, 13.5f});
    // k3 s2 p1: out = floor((4+2-3)/2)+1 = 2; windows rows/cols {-1..1} and {1..3}.
    check_close(max_pool2d(x, 3, 2, 1).to_vector<float>(), {6, 8, 14, 16});
    // ceil_mode: ceil(3/2)+1 = 3 and the last window starts at 3 < 4+1, so it stays: rows/cols {3..5}
    // hold only index 3, e.g. out[0][2] = max(4, 8), out[2][0] = max(13, 14).
    check_close(max_pool2d(x, 3, 2, 1, true).to_vector<float>(), {6, 8, 8, 14, 16, 16, 14, 16, 16});
    // avg k3 s2 p1, corner window = {1,2,5,6}: 14/9 counting the padding, 14/4 without it.
    Tensor inc = avg_pool2d(x, 3, 2, 1, false, true), exc = avg_pool2d(x, 3, 2, 1, false, false);
    CHECK(inc.to_vector<float>()[0] == Approx(14.0 / 9.0));
    CHECK(exc.to_vector<float>()[0] == Approx(3.5));
    // Last window (rows/cols 1..3) lies inside: (6+7+8+10+11+12+14+15+16)/9 = 11 either way.
    CHECK(inc.to_vector<float>()[3] == Approx(11.0));
    CHECK(exc.to_vector<float>()[3] == Approx(11.0));
    // Global adaptive pooling is the plain mean (8.5); 4 -> 3 windows are [0,2), [1,3), [2,4).
    check_close(adaptive_avg_pool2d(x, 1, 1).to_vector<float>(), {8.5f});
    check_close(adaptive_avg_pool2d(x, 3, 1).to_vector<float>(), {4.5f, 8.5f, 12.5f});
  }
}

TEST_CASE("pools: gradients by hand", "[unit]") {
  for (Device d : kDevices) {
    INFO("device " << d.str());
    Tensor x = ramp4x4(d).set_requires_grad(true);
    sum(max_pool2d(x, 2, 2)).backward();  // one unit to each window's maximum
    check_close(x.grad().to_vector<float>(), {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1});
    x.zero_grad();
    sum(avg_pool2d(x, 2, 2)).backward();  // 1/4 everywhere
    check_close(x.grad().to_vector<float>(), std::vector<float>(16, 0.25f));
    x.zero_grad();
    // Overlapping windows [0,2), [1,3), [2,4) along H: rows 1 and 2 are in two windows (1/2 each).
    sum(adaptive_avg_pool2d(x, 3, 1)).backward();
    const float e = 1.f / 8, m = 2.f / 8;
    check_close(x.grad().to_vector<float>(), {e, e, e, e, m, m, m, m, m, m, m, m, e, e, e, e});
  }
}

TEST_CASE("pools: output sizes and clear errors", "[unit]") {
  // ceil_mode's rule: 5 + 2 - 3 = 4, ceil(4/3)+1 = 3, but (3-1)*3 = 6 >= 5+1 drops the last window.
  CHECK(pool_output_size(5, 3, 3, 1, true) == 2);
  CHECK(pool_output_size(5, 3, 3, 1, false) == 2);
  CHECK(pool_output_size(8, 3, 2, 1, true) == 5);
  CHECK(pool_output_size(8, 3, 2, 1, false) == 4);
  Tensor x = Tensor::zeros({1, 1, 3, 3});
  REQUIRE_THROWS_WITH(max_pool2d(x, 5, 1, 0), Contains("larger than the padded input"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, {2, 8}, 1, {1, 2}), Contains("larger than the padded input 5x7"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 3, 1, 2), Contains("at most half the kernel"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 2, 0), Contains("stride must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(Tensor::zeros({3, 3}), 2, 2), Contains("NCHW"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(x, 0, 1), Contains("positive"));
}

TEST_CASE("upsample_bilinear2d: 2x2 -> 4x4 by hand, both modes", "[unit]") {
  for (Device d : kDevices) {
    INFO("device " << d.str());
    Tensor x = vec({1, 2, 3, 4}, {1, 1, 2, 2}, d);  // bilinear in (i, j): x = 1 + j + 2 i at the corners
    // align_corners = false: scale 2/4, src = max(0.5 d - 0.25, 0) = 0, 0.25, 0.75, 1.25 -> taps
    // (0, w 1), (0/1, 0.75/0.25), (0/1, 0.25/0.75), (1 clamped, 1): positions 0, .25, .75, 1.
    // Value = 1 + s_j + 2 s_i, e.g. row 1 (s_i = .25): 1.5 + {0, .25, .75, 1}.
    check_close(upsample_bilinear2d(x, 4, 4, false).to_vector<float>(),
                {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
    // align_corners = true: src = d * (2-1)/(4-1) = 0, 1/3, 2/3, 1; value = 1 + j/3 + 2 i/3.
    const float t = 1.f / 3;
    check_close(upsample_bilinear2d(x, 4, 4, true).to_vector<float>(),
                {1, 1 + t, 1 + 2 * t, 2, 1 + 2 * t, 2, 2 + t, 2 + 2 * t, 2 + t, 2 + 2 * t, 3, 3 + t, 3, 3 + t,
                 3 + 2 * t, 4});
    // Gradient of the sum: each of the two source indices receives total weight 2 per axis in both
    // modes (1 + .75 + .25 + 0 and 1 + 2/3 + 1/3 + 0), so every input pixel gets 2 * 2 = 4.
    for (bool ac : {false, true}) {
      Tensor xg = x.detach().set_requires_grad(true);
      sum(upsample_bilinear2d(xg, 4, 4, ac)).backward();
      check_close(xg.grad().to_vector<float>(), {4, 4, 4, 4});
    }
    // Same size without align_corners is the identity.
    check_close(upsample_bilinear2d(x, 2, 2, false).to_vector<float>(), {1, 2, 3, 4});
  }
}

TEST_CASE("upsample_bilinear2d: clear errors", "[unit]") {
  REQUIRE_THROWS_WITH(upsample_bilinear2d(Tensor::zeros({2, 2}), 4, 4, false), Contains("NCHW"));
  REQUIRE_THROWS_WITH(upsample_bilinear2d(Tensor::zeros({1, 1, 2, 2}), 0, 4, false), Contains("positive"));
}

TEST_CASE("matmul: the tiled kernel matches cuBLAS on a real GPU", "[gpu]") {
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  // The registry's [gpu] parity covers the cuBLAS path; this runs the tiled kernel on the GPU too.
  Generator gen(5);
  Tensor a = Tensor::randn({3, 130, 70}, &gen), b = Tensor::randn({3, 150, 70}, &gen);
  const std::vector<float> ref = bmm(a, b, false, true).to_vector<float>();
  Tensor ga = a.to(Device::cuda()), gb = b.to(Device::cuda());
  for (bool use : {true, false}) {
    INFO("cuBLAS " << use);
    Context ctx;
    ctx.use_cublas = use;
    ContextGuard guard(ctx);
    check_close(bmm(ga, gb, false, true).to_vector<float>(), ref, 1e-3);
  }
}
