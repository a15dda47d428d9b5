// Tests of the conv2d kernels: kernels/cpu/conv2d (float and double) against direct loops, the
// adjoint identities tying the three passes together, and kernels/cuda/conv2d.cu run under the SIMT
// emulator against the CPU float kernel.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/conv2d_shape.h"
#include "kernels/cpu/conv2d.h"

#ifndef CSGIS_SIMT
#define CSGIS_SIMT 1
#endif
#include "kernels/cuda/cuda_common.cuh"
#define CSGIS_GPU_NS simt_cuda
#include "kernels/cuda/conv2d.h"
#undef CSGIS_GPU_NS

namespace {
using csgis::Conv2dShape;
namespace cpu = csgis::cpu;

template <typename T>
std::vector<T> random_vec(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& e : v) e = T(u(rng));
  return v;
}

template <typename A, typename B>
std::vector<A> cast(const std::vector<B>& v) {
  return std::vector<A>(v.begin(), v.end());
}

// Direct-loop reference of all four passes, accumulated in double.
struct Reference {
  const Conv2dShape& s;
  // Calls f(n, k, p, q, c, r, t, x_index) for every (output, tap) pair that reads inside x.
  template <typename F>
  void for_each_tap(F f) const {
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t k = 0; k < s.K; ++k)
        for (int64_t p = 0; p < s.P; ++p)
          for (int64_t q = 0; q < s.Q; ++q)
            for (int64_t c = 0; c < s.C; ++c)
              for (int64_t r = 0; r < s.R; ++r)
                for (int64_t t = 0; t < s.S; ++t) {
                  const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h;
                  const int64_t w = q * s.stride_w - s.pad_w + t * s.dil_w;
                  if (h < 0 || h >= s.H || w < 0 || w >= s.W) continue;
                  f(((n * s.K + k) * s.P + p) * s.Q + q, ((k * s.C + c) * s.R + r) * s.S + t,
                    ((n * s.C + c) * s.H + h) * s.W + w, k);
                }
  }
  std::vector<double> forward(const std::vector<double>& x, const std::vector<double>& w,
                              const double* bias) const {
    std::vector<double> y(size_t(s.y_numel()), 0.0);
    for_each_tap([&](int64_t yi, int64_t wi, int64_t xi, int64_t) { y[yi] += w[wi] * x[xi]; });
    if (bias)
      for (size_t i = 0; i < y.size(); ++i) y[i] += bias[(int64_t(i) / (s.P * s.Q)) % s.K];
    return y;
  }
  std::vector<double> backward_input(const std::vector<double>& dy, const std::vector<double>& w) const {
    std::vector<double> dx(size_t(s.x_numel()), 0.0);
    for_each_tap([&](int64_t yi, int64_t wi, int64_t xi, int64_t) { dx[xi] += w[wi] * dy[yi]; });
    return dx;
  }
  std::vector<double> backward_weight(const std::vector<double>& x, const std::vector<double>& dy) const {
    std::vector<double> dw(size_t(s.w_numel()), 0.0);
    for_each_tap([&](int64_t yi, int64_t wi, int64_t xi, int64_t) { dw[wi] += x[xi] * dy[yi]; });
    return dw;
  }
  std::vector<double> backward_bias(const std::vector<double>& dy) const {
    std::vector<double> db(size_t(s.K), 0.0);
    for (size_t i = 0; i < dy.size(); ++i) db[(int64_t(i) / (s.P * s.Q)) % s.K] += dy[i];
    return db;
  }
};

// max|a-b| <= rel * max|b| + abs_tol
template <typename A, typename B>
void require_close(const std::vector<A>& a, const std::vector<B>& b, double rel, double abs_tol,
                   const std::string& what) {
  REQUIRE(a.size() == b.size());
  double err = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  INFO(what << ": max abs error " << err << ", max |ref| " << scale);
  REQUIRE(scale > 0);
  REQUIRE(err <= rel * scale + abs_tol);
}

std::string describe(const Conv2dShape& s) {
  auto v = [](int64_t a) { return std::to_string(a); };
  return "N" + v(s.N) + " C" + v(s.C) + " " + v(s.H) + "x" + v(s.W) + " K" + v(s.K) + " " + v(s.R) +
         "x" + v(s.S) + " stride " + v(s.stride_h) + "," + v(s.stride_w) + " pad " + v(s.pad_h) +
         "," + v(s.pad_w) + " dil " + v(s.dil_h) + "," + v(s.dil_w);
}

// Shapes for the CPU tests: odd sizes, strides, paddings (incl. pad > dil*(R-1)), dilations up to
// 18, 1x1, 5x5, rectangular kernels, C=3, K=1, channel counts off the 4-wide micro-tile.
std::vector<Conv2dShape> cpu_shapes() {
  using S = Conv2dShape;
  return {
      S::make(2, 5, 13, 11, 7, 3, 3, 1, 1, 1),     S::make(1, 3, 17, 19, 5, 3, 3, 2, 1, 1),
      S::make(2, 4, 12, 15, 6, 3, 3, 2, 0, 1),     S::make(1, 6, 10, 9, 9, 3, 3, 1, 0, 1),
      S::make(1, 4, 14, 30, 5, 3, 3, 1, 2, 2),     S::make(2, 3, 11, 13, 4, 3, 3, 1, 3, 3),
      S::make(1, 3, 20, 21, 3, 3, 3, 1, 6, 6),     S::make(1, 2, 27, 26, 3, 3, 3, 1, 12, 12),
      S::make(1, 2, 40, 38, 2, 3, 3, 1, 18, 18),   S::make(2, 65, 6, 7, 7, 1, 1, 1, 0, 1),
      S::make(1, 3, 9, 33, 64 / 8, 3, 3, 1, 1, 1), S::make(2, 8, 9, 8, 1, 3, 3, 1, 1, 1),
      S::make(1, 5, 11, 12, 6, 5, 5, 1, 2, 1),     S::make(1, 4, 8, 9, 5, 3, 3, 1, 3, 1),
      S::make(1, 3, 13, 10, 4, 3, 1, 2, 1, 1, 0, 2, 1), S::make(1, 4, 9, 16, 3, 1, 3, 1, 3, 0, 2, 1, 3),
      S::make(1, 2, 1, 7, 3, 1, 3, 1, 1, 0, 1, 1, 1),   S::make(1, 3, 15, 14, 4, 3, 3, 3, 2, 2),
      // Rows past one 64-pixel AVX-512 tile with a partial last vector, and one of 3 vectors.
      S::make(1, 5, 7, 83, 9, 3, 3, 1, 1, 1),      S::make(2, 3, 6, 47, 5, 3, 3, 1, 1, 2),
  };
}

// Layers of the network at reduced spatial size (64->64 d = 1, 2, 3, ASPP rates, odd channel
// counts, stride 2) and one large-image batch.
std::vector<Conv2dShape> layer_shapes() {
  std::vector<Conv2dShape> v;
  for (int d : {1, 2, 3}) v.push_back(Conv2dShape::make(1, 64, 16, 16, 64, 3, 3, 1, d, d));
  for (int d : {6, 12, 18}) v.push_back(Conv2dShape::make(1, 16, 24, 24, 16, 3, 3, 1, d, d));
  v.push_back(Conv2dShape::make(1, 68, 10, 10, 64, 3, 3, 1, 1, 1));
  v.push_back(Conv2dShape::make(1, 64, 10, 10, 3, 3, 3, 1, 1, 1));
  v.push_back(Conv2dShape::make(1, 64, 12, 12, 64, 3, 3, 2, 1, 1));
  // > 4 MB of gathered input per image: the CPU kernels gather one image at a time.
  v.push_back(Conv2dShape::make(2, 64, 128, 128, 2, 3, 3, 1, 1, 1));
  return v;
}

}  // namespace

TEST_CASE("Conv2dShape::make computes the output size and validates", "[unit]") {
  const auto s = Conv2dShape::make(2, 3, 64, 63, 8, 3, 3, 2, 1, 1, 2, 1, 3);
  CHECK(s.P == (64 + 2 - 2 - 1) / 2 + 1);
  CHECK(s.Q == (63 + 4 - 6 - 1) / 1 + 1);
  CHECK(Conv2dShape::make(1, 64, 64, 64, 64, 3, 3, 1, 18, 18).P == 64);
  CHECK_THROWS_AS(Conv2dShape::make(0, 3, 8, 8, 4, 3, 3, 1, 1, 1), std::invalid_argument);
  CHECK_THROWS_AS(Conv2dShape::make(1, 3, 8, 8, 4, 3, 3, 0, 1, 1), std::invalid_argument);
  CHECK_THROWS_AS(Conv2dShape::make(1, 3, 8, 8, 4, 3, 3, 1, -1, 1), std::invalid_argument);
  CHECK_THROWS_AS(Conv2dShape::make(1, 3, 8, 8, 4, 3, 3, 1, 1, 0), std::invalid_argument);
  CHECK_THROWS_AS(Conv2dShape::make(1, 3, 4, 4, 4, 3, 3, 1, 0, 3), std::invalid_argument);
}

TEST_CASE("conv2d cpu double matches direct loops", "[unit]") {
  uint32_t seed = 1;
  for (const auto& s : cpu_shapes()) {
    INFO(describe(s));
    const Reference ref{s};
    const auto x = random_vec<double>(s.x_numel(), seed++), w = random_vec<double>(s.w_numel(), seed++);
    const auto b = random_vec<double>(s.K, seed++), dy = random_vec<double>(s.y_numel(), seed++);
    std::vector<double> y(size_t(s.y_numel())), dx(size_t(s.x_numel())), dw(size_t(s.w_numel())), db(size_t(s.K));
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
    require_close(y, ref.forward(x, w, b.data()), 1e-12, 1e-12, "forward+bias");
    cpu::conv2d_forward(s, x.data(), w.data(), static_cast<const double*>(nullptr), y.data());
    require_close(y, ref.forward(x, w, nullptr), 1e-12, 1e-12, "forward");
    cpu::conv2d_backward_input(s, dy.data(), w.data(), dx.data());
    require_close(dx, ref.backward_input(dy, w), 1e-12, 1e-12, "backward_input");
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw.data());
    require_close(dw, ref.backward_weight(x, dy), 1e-12, 1e-12, "backward_weight");
    cpu::conv2d_backward_bias(s, dy.data(), db.data());
    require_close(db, ref.backward_bias(dy), 1e-12, 1e-12, "backward_bias");
  }
}

// The float paths a test loops over: portable, AVX2 and AVX-512 micro-kernels. A path the CPU lacks
// falls back (AVX-512 -> AVX2 -> portable) inside the kernels, so the loop runs everywhere and
// exercises what the machine has.
struct FloatPath {
  const char* name;
  cpu::Conv2dCpuOptions opt;
};
std::vector<FloatPath> float_paths() {
  cpu::Conv2dCpuOptions portable{cpu::ConvIsa::Portable, false}, avx2{cpu::ConvIsa::Avx2, false},
      avx512{cpu::ConvIsa::Avx512, false};
  return {{"portable", portable}, {"avx2", avx2}, {"avx512", avx512}};
}
bool cpu_has_avx512f() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

TEST_CASE("conv2d cpu float (portable, AVX2 and AVX-512 paths) agrees with double", "[unit]") {
  auto shapes = cpu_shapes();
  for (const auto& s : layer_shapes()) shapes.push_back(s);
  for (const auto& [path, opt] : float_paths()) {
    uint32_t seed = 100;
    for (const auto& s : shapes) {
      INFO(describe(s) << " (" << path << ")");
      const auto xd = random_vec<double>(s.x_numel(), seed++), wd = random_vec<double>(s.w_numel(), seed++);
      const auto bd = random_vec<double>(s.K, seed++), dyd = random_vec<double>(s.y_numel(), seed++);
      const auto x = cast<float>(xd), w = cast<float>(wd), b = cast<float>(bd), dy = cast<float>(dyd);
      const auto xr = cast<double>(x), wr = cast<double>(w), br = cast<double>(b), dyr = cast<double>(dy);
      std::vector<double> y64(size_t(s.y_numel())), dx64(size_t(s.x_numel())), dw64(size_t(s.w_numel())), db64(size_t(s.K));
      std::vector<float> y(size_t(s.y_numel())), dx(size_t(s.x_numel())), dw(size_t(s.w_numel())), db(size_t(s.K));
      cpu::conv2d_forward(s, xr.data(), wr.data(), br.data(), y64.data());
      cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), opt);
      require_close(y, y64, 1e-5, 1e-6, "forward");
      cpu::conv2d_backward_input(s, dyr.data(), wr.data(), dx64.data());
      cpu::conv2d_backward_input(s, dy.data(), w.data(), dx.data(), opt);
      require_close(dx, dx64, 1e-5, 1e-6, "backward_input");
      cpu::conv2d_backward_weight(s, xr.data(), dyr.data(), dw64.data());
      cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), opt);
      require_close(dw, dw64, 1e-5, 1e-6, "backward_weight");
      cpu::conv2d_backward_bias(s, dyr.data(), db64.data());
      cpu::conv2d_backward_bias(s, dy.data(), db.data());
      require_close(db, db64, 1e-5, 1e-6, "backward_bias");
    }
  }
}

TEST_CASE("conv2d cpu AVX-512 tiles: forward the same bits as AVX2, weight gradient its own rounding", "[unit]") {
  if (!cpu_has_avx512f()) {
    WARN("this CPU has no AVX-512F: the AVX-512 tiles are not exercised here (the paths test fell back to AVX2)");
    return;
  }
  cpu::Conv2dCpuOptions avx2{cpu::ConvIsa::Avx2, false}, avx512{cpu::ConvIsa::Avx512, false};
  uint32_t seed = 700;
  for (const auto& s : {Conv2dShape::make(2, 5, 7, 83, 9, 3, 3, 1, 1, 1), Conv2dShape::make(1, 64, 16, 16, 64, 3, 3, 1, 2, 2),
                        Conv2dShape::make(1, 7, 9, 64, 6, 3, 3, 1, 1, 1)}) {
    INFO(describe(s));
    const auto x = random_vec<float>(s.x_numel(), seed++), w = random_vec<float>(s.w_numel(), seed++);
    const auto b = random_vec<float>(s.K, seed++), dy = random_vec<float>(s.y_numel(), seed++);
    std::vector<float> y2(size_t(s.y_numel())), y5(y2.size()), dx2(size_t(s.x_numel())), dx5(dx2.size());
    std::vector<float> dw2(size_t(s.w_numel())), dw5(dw2.size());
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y2.data(), avx2);
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y5.data(), avx512);
    CHECK(y5 == y2);  // one FMA per reduction index in the same order on both paths
    cpu::conv2d_backward_input(s, dy.data(), w.data(), dx2.data(), avx2);
    cpu::conv2d_backward_input(s, dy.data(), w.data(), dx5.data(), avx512);
    CHECK(dx5 == dx2);
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw2.data(), avx2);
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw5.data(), avx512);
    CHECK(dw5 != dw2);  // 16 partial sums per accumulator instead of 8: the AVX-512 tile really ran
    require_close(dw5, dw2, 1e-5, 1e-6, "avx512 vs avx2 backward_weight");
  }
}

TEST_CASE("conv2d cpu passes satisfy the adjoint identities", "[unit]") {
  // <conv(x), dy> == <x, backward_input(dy)> == <w, backward_weight(x, dy)>  (no bias)
  uint32_t seed = 500;
  auto shapes = cpu_shapes();
  for (const auto& s : layer_shapes()) shapes.push_back(s);
  for (const auto& s : shapes) {
    INFO(describe(s));
    const auto x = random_vec<double>(s.x_numel(), seed++), w = random_vec<double>(s.w_numel(), seed++);
    const auto dy = random_vec<double>(s.y_numel(), seed++);
    std::vector<double> y(size_t(s.y_numel())), dx(size_t(s.x_numel())), dw(size_t(s.w_numel()));
    cpu::conv2d_forward(s, x.data(), w.data(), static_cast<const double*>(nullptr), y.data());
    cpu::conv2d_backward_input(s, dy.data(), w.data(), dx.data());
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw.data());
    auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
      double acc = 0, mag = 0;
      for (size_t i = 0; i < a.size(); ++i) acc += a[i] * b[i], mag += std::fabs(a[i] * b[i]);
      return std::make_pair(acc, mag);
    };
    const auto [yy, mag] = dot(y, dy);
    CHECK(std::fabs(dot(x, dx).first - yy) <= 1e-12 * mag);
    CHECK(std::fabs(dot(w, dw).first - yy) <= 1e-12 * mag);
  }
}

TEST_CASE("conv2d cpu Winograd F(2x2,3x3) path agrees with double and with the direct float kernel", "[unit]") {
  // The 3x3 stride-1 shapes that take kernels/cpu/conv2d_winograd (C, K >= 16): every dilation up to
  // 5, odd sizes (partial 2x2 tiles at the bottom and right), images smaller than one tile span,
  // more tiles per row than one GEMM chunk (48), more tile rows than one band, channel counts off
  // the 4-wide micro-tile, padding other than 'same', a batch. Forward and backward-input (itself a
  // 3x3 stride-1 conv) against the float64 direct kernel; the Winograd float error must stay within
  // 4x the tolerance of the direct float kernel's test above.
  using S = Conv2dShape;
  const std::vector<Conv2dShape> shapes = {
      S::make(1, 16, 17, 23, 16, 3, 3, 1, 1, 1),  S::make(2, 17, 13, 11, 19, 3, 3, 1, 2, 2),
      S::make(1, 16, 29, 31, 20, 3, 3, 1, 3, 3),  S::make(1, 18, 5, 7, 16, 3, 3, 1, 5, 5),
      S::make(1, 16, 3, 2, 16, 3, 3, 1, 1, 1),    S::make(1, 16, 9, 131, 17, 3, 3, 1, 1, 1),
      S::make(1, 16, 41, 10, 16, 3, 3, 1, 0, 1),  S::make(1, 20, 12, 14, 16, 3, 3, 1, 0, 2),
      S::make(1, 16, 11, 12, 16, 3, 3, 1, 1, 2, 3, 1, 2),  // per-axis padding and dilation
  };
  uint32_t seed = 900;
  for (const auto& s : shapes) {
    INFO(describe(s));
    const auto xd = random_vec<double>(s.x_numel(), seed++), wd = random_vec<double>(s.w_numel(), seed++);
    const auto bd = random_vec<double>(s.K, seed++), dyd = random_vec<double>(s.y_numel(), seed++);
    const auto x = cast<float>(xd), w = cast<float>(wd), b = cast<float>(bd), dy = cast<float>(dyd);
    const auto xr = cast<double>(x), wr = cast<double>(w), br = cast<double>(b), dyr = cast<double>(dy);
    std::vector<double> y64(size_t(s.y_numel())), dx64(size_t(s.x_numel()));
    cpu::conv2d_forward(s, xr.data(), wr.data(), br.data(), y64.data());
    cpu::conv2d_backward_input(s, dyr.data(), wr.data(), dx64.data());
    std::vector<float> y[2], dx[2];
    for (bool winograd : {false, true}) {
      const cpu::Conv2dCpuOptions opt{cpu::ConvIsa::Avx2, winograd};
      y[winograd].resize(size_t(s.y_numel()));
      dx[winograd].resize(size_t(s.x_numel()));
      cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y[winograd].data(), opt);
      cpu::conv2d_backward_input(s, dy.data(), w.data(), dx[winograd].data(), opt);
    }
    require_close(y[1], y64, 4e-5, 4e-6, "winograd forward");
    require_close(dx[1], dx64, 4e-5, 4e-6, "winograd backward_input");
    require_close(y[1], y[0], 4e-5, 4e-6, "winograd vs direct forward");
    // The path was really taken: Winograd rounds differently from the direct sum.
    CHECK(y[1] != y[0]);
  }
}

TEST_CASE("conv2d cpu fused ReLU epilogue is max(0, y) of the same sums, NaN kept, on every path", "[unit]") {
  using S = Conv2dShape;
  for (const auto& s : {S::make(2, 5, 13, 11, 7, 3, 3, 1, 1, 1), S::make(1, 16, 17, 23, 18, 3, 3, 1, 2, 2),
                        S::make(1, 3, 17, 19, 5, 3, 3, 2, 1, 1)}) {
    auto x = random_vec<float>(s.x_numel(), 41);
    x[size_t(s.x_numel() / 2)] = std::nanf("");  // one NaN input: its outputs must stay NaN
    const auto w = random_vec<float>(s.w_numel(), 42), b = random_vec<float>(s.K, 43);
    const std::vector<cpu::Conv2dCpuOptions> paths = {
        {cpu::ConvIsa::Avx2, false}, {cpu::ConvIsa::Portable, false}, {cpu::ConvIsa::Avx2, true}, {cpu::ConvIsa::Avx512, false}};
    for (const cpu::Conv2dCpuOptions& base : paths) {
      INFO(describe(s) << " isa " << int(base.isa) << " winograd " << base.winograd);
      cpu::Conv2dCpuOptions fused = base;
      fused.relu = true;
      std::vector<float> plain(size_t(s.y_numel())), relu(size_t(s.y_numel()));
      cpu::conv2d_forward(s, x.data(), w.data(), b.data(), plain.data(), base);
      cpu::conv2d_forward(s, x.data(), w.data(), b.data(), relu.data(), fused);
      size_t nans = 0, zeros = 0;
      for (size_t i = 0; i < plain.size(); ++i) {
        if (std::isnan(plain[i])) {
          REQUIRE(std::isnan(relu[i]));
          ++nans;
        } else {
          REQUIRE(relu[i] == (plain[i] < 0 ? 0.f : plain[i]));
          zeros += plain[i] < 0;
        }
      }
      CHECK(nans > 0);
      CHECK(zeros > 0);
    }
  }
}

TEST_CASE("conv2d cpu float results are deterministic", "[unit]") {
  const auto s = Conv2dShape::make(2, 16, 20, 20, 16, 3, 3, 1, 2, 2);
  const auto x = random_vec<float>(s.x_numel(), 7), dy = random_vec<float>(s.y_numel(), 8);
  std::vector<float> a(size_t(s.w_numel())), b(size_t(s.w_numel()));
  cpu::conv2d_backward_weight(s, x.data(), dy.data(), a.data());
  cpu::conv2d_backward_weight(s, x.data(), dy.data(), b.data());
  CHECK(a == b);
}

TEST_CASE("conv2d cuda kernels (SIMT emulation) match the CPU float kernel", "[simt]") {
  namespace gpu = csgis::simt_cuda;
  using S = Conv2dShape;
  // Small shapes (the emulator runs each thread as a fiber); they still cover several M and N tiles,
  // reduction tails, stride/padding/dilation gathers and the split reduction of backward_weight.
  const std::vector<S> shapes = {
      S::make(1, 3, 7, 9, 5, 3, 3, 1, 1, 1),   S::make(2, 4, 9, 8, 70, 3, 3, 2, 1, 1),
      S::make(1, 5, 12, 13, 3, 3, 3, 1, 2, 2), S::make(1, 2, 14, 15, 4, 3, 3, 1, 6, 6),
      S::make(1, 2, 20, 20, 2, 3, 3, 1, 12, 12), S::make(1, 1, 37, 37, 2, 3, 3, 1, 18, 18),
      S::make(2, 20, 5, 6, 6, 1, 1, 1, 0, 1), S::make(1, 3, 10, 11, 1, 3, 3, 2, 0, 1),
      S::make(2, 3, 12, 12, 4, 3, 3, 1, 3, 3), S::make(1, 3, 9, 10, 4, 3, 1, 2, 1, 1, 0, 2, 1),
  };
  uint32_t seed = 900;
  for (const auto& s : shapes) {
    INFO(describe(s));
    const auto x = random_vec<float>(s.x_numel(), seed++), w = random_vec<float>(s.w_numel(), seed++);
    const auto b = random_vec<float>(s.K, seed++), dy = random_vec<float>(s.y_numel(), seed++);
    std::vector<float> y(size_t(s.y_numel())), dx(size_t(s.x_numel())), dw(size_t(s.w_numel())), db(size_t(s.K));
    std::vector<float> y_ref = y, dx_ref = dx, dw_ref = dw, db_ref = db;
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y_ref.data());
    cpu::conv2d_backward_input(s, dy.data(), w.data(), dx_ref.data());
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw_ref.data());
    cpu::conv2d_backward_bias(s, dy.data(), db_ref.data());
    gpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), nullptr);
    require_close(y, y_ref, 1e-4, 1e-5, "forward");
    gpu::conv2d_backward_input(s, dy.data(), w.data(), dx.data(), nullptr);
    require_close(dx, dx_ref, 1e-4, 1e-5, "backward_input");
    gpu::conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), nullptr);
    require_close(dw, dw_ref, 1e-4, 1e-5, "backward_weight");
    gpu::conv2d_backward_bias(s, dy.data(), db.data(), nullptr);
    require_close(db, db_ref, 1e-4, 1e-5, "backward_bias");
  }
  // Forward without bias.
  const auto s = S::make(1, 4, 6, 7, 5, 3, 3, 1, 1, 1);
  const auto x = random_vec<float>(s.x_numel(), 1), w = random_vec<float>(s.w_numel(), 2);
  std::vector<float> y(size_t(s.y_numel())), y_ref(size_t(s.y_numel()));
  cpu::conv2d_forward(s, x.data(), w.data(), static_cast<const float*>(nullptr), y_ref.data());
  gpu::conv2d_forward(s, x.data(), w.data(), nullptr, y.data(), nullptr);
  require_close(y, y_ref, 1e-4, 1e-5, "forward (no bias)");
}
