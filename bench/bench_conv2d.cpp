// CPU conv2d benchmarks: the network's 64->64 3x3 layer, batch 2, 64x64, dilation d = pad in {1,2,3},
// float32, plus sgemm through OpenBLAS (the equivalent GEMM shape and a 1024^3 square) and a
// register-only FMA loop as the machine's ceilings.
// Threads: the kernels use omp_get_max_threads() (set OMP_NUM_THREADS); OpenBLAS uses its own pool
// (OPENBLAS_NUM_THREADS, default all cores). Times are wall-clock (UseRealTime) because the work is
// multi-threaded; the "GFLOP" counter reads as GFLOP/s. Peer: bench/peers/conv2d_torch.py times the
// same layer in PyTorch; docs/perf.md records both.
//   OMP_NUM_THREADS=2 ./bench_conv2d --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>

#include <random>
#include <vector>

#include "kernels/common/conv2d_shape.h"
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
  state.counters["GFLOP"] = benchmark::Counter(s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
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
  state.counters["GFLOP"] =
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
  state.counters["GFLOP"] = benchmark::Counter(s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
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
  state.counters["GFLOP"] =
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
  state.counters["GFLOP"] =
      benchmark::Counter(2.0 * n * n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// 12 independent register-only FMA chains per thread, on every OpenMP thread: the FMA issue ceiling
// (distinct start values so the compiler cannot merge the chains).
__attribute__((target("avx2,fma"), noinline)) float fma_chains(long iters, float seed) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(seed + 0.01f * float(i));
  const __m256 b = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-4f);
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], b, c);
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
  return _mm256_cvtss_f32(s);
}

void BM_fma_peak(benchmark::State& state) {
  const long iters = 1 << 22;
  const int threads = omp_get_max_threads();
  for (auto _ : state) {
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    sink += fma_chains(iters, float(omp_get_thread_num()));
    benchmark::DoNotOptimize(sink);
  }
  state.counters["GFLOP"] = benchmark::Counter(double(threads) * iters * 12 * 16 * 1e-9,
                                               benchmark::Counter::kIsIterationInvariantRate);
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
BENCHMARK(BM_fma_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
