// CPU conv2d benchmarks: the network's 64->64 3x3 layer, batch 2, 64x64, dilation d = pad in {1,2,3},
// float32, plus the sgemm of the equivalent GEMM shape as the machine's practical ceiling.
// Threads: the kernels use omp_get_max_threads() (set OMP_NUM_THREADS); the sgemm reference uses
// OpenBLAS's own pool (OPENBLAS_NUM_THREADS, default all cores). Times are wall-clock (UseRealTime)
// because the work is multi-threaded. Peer: bench/peers/conv2d_torch.py times the same layer in
// PyTorch; docs/perf.md records both.
//   OMP_NUM_THREADS=2 ./bench_conv2d --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>
#include <vector>

#include "kernels/conv2d_shape.h"
#include "kernels/cpu/conv2d.h"

namespace {
using csgis::Conv2dShape;

Conv2dShape layer(int64_t d) { return Conv2dShape::make(2, 64, 64, 64, 64, 3, 3, 1, d, d); }

std::vector<float> random_vec(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& e : v) e = u(rng);
  return v;
}

struct Tensors {
  std::vector<float> x, w, b, y, dy, dx, dw, db;
  explicit Tensors(const Conv2dShape& s)
      : x(random_vec(s.x_numel(), 1)), w(random_vec(s.w_numel(), 2)), b(random_vec(s.K, 3)),
        y(size_t(s.y_numel())), dy(random_vec(s.y_numel(), 4)), dx(size_t(s.x_numel())),
        dw(size_t(s.w_numel())), db(size_t(s.K)) {}
};

// y = conv(x, w) + b
void BM_conv2d_forward(benchmark::State& state) {
  const Conv2dShape s = layer(state.range(0));
  Tensors t(s);
  for (auto _ : state) {
    csgis::cpu::conv2d_forward(s, t.x.data(), t.w.data(), t.b.data(), t.y.data());
    benchmark::DoNotOptimize(t.y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// dx, dw, db from dy (the full backward of the layer: 2x the forward FLOPs plus the bias sum)
void BM_conv2d_backward(benchmark::State& state) {
  const Conv2dShape s = layer(state.range(0));
  Tensors t(s);
  for (auto _ : state) {
    csgis::cpu::conv2d_backward_input(s, t.dy.data(), t.w.data(), t.dx.data());
    csgis::cpu::conv2d_backward_weight(s, t.x.data(), t.dy.data(), t.dw.data());
    csgis::cpu::conv2d_backward_bias(s, t.dy.data(), t.db.data());
    benchmark::DoNotOptimize(t.dx.data());
    benchmark::DoNotOptimize(t.dw.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2 * s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Per-pass breakdown of the backward (0 = input grad, 1 = weight grad).
void BM_conv2d_backward_pass(benchmark::State& state) {
  const Conv2dShape s = layer(state.range(0));
  Tensors t(s);
  for (auto _ : state) {
    if (state.range(1) == 0)
      csgis::cpu::conv2d_backward_input(s, t.dy.data(), t.w.data(), t.dx.data());
    else
      csgis::cpu::conv2d_backward_weight(s, t.x.data(), t.dy.data(), t.dw.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The equivalent GEMM through OpenBLAS: per image Y[64 x 4096] = W[64 x 576] * col[576 x 4096].
void BM_sgemm_equivalent(benchmark::State& state) {
  const int M = 64, N = 64 * 64, K = 64 * 9;
  const auto a = random_vec(int64_t(M) * K, 5), b = random_vec(int64_t(K) * N, 6);
  std::vector<float> c(size_t(M) * N);
  for (auto _ : state) {
    for (int img = 0; img < 2; ++img)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, a.data(), K, b.data(), N, 0.f,
                  c.data(), N);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * 2 * M * N * K * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// A large square sgemm: the best case for OpenBLAS on this machine.
void BM_sgemm_square(benchmark::State& state) {
  const int n = int(state.range(0));
  const auto a = random_vec(int64_t(n) * n, 7), b = random_vec(int64_t(n) * n, 8);
  std::vector<float> c(size_t(n) * n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f,
                c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
}  // namespace

BENCHMARK(BM_conv2d_forward)->ArgName("dil")->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_backward)->ArgName("dil")->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_backward_pass)
    ->ArgNames({"dil", "weight"})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_sgemm_equivalent)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgemm_square)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
