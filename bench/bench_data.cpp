// Data-side timings: one procedural sample, and each classical smoother on a 128x128 textured
// procedural image (the size of the validation sets). Run: build/bench/bench_data
// (OMP_NUM_THREADS sets the threads of the OpenMP smoothers).
#include <benchmark/benchmark.h>

#include "data/procedural.h"
#include "data/smoothers/guided_filter.h"
#include "data/smoothers/l0_smoothing.h"
#include "data/smoothers/rolling_guidance.h"
#include "data/smoothers/rtv.h"
#include "data/textures.h"

using namespace csgis::data;

namespace {

// Small synthetic stripes, so the benchmark needs no texture files.
std::vector<Texture> bench_textures() {
  Image img(32, 24, 3);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      for (int c = 0; c < 3; ++c) img.at(x, y, c) = 0.5f + 0.2f * float((x / 3 + y / 2) % 2);
  return {make_texture("stripes", img)};
}

const Sample& bench_sample() {
  static const Sample s = [] {
    ProceduralConfig cfg;
    return generate_sample(cfg, bench_textures(), 0);
  }();
  return s;
}

void BM_ProceduralSample128(benchmark::State& state) {
  const auto tex = bench_textures();
  ProceduralConfig cfg;
  uint64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(generate_sample(cfg, tex, i++));
}
BENCHMARK(BM_ProceduralSample128)->Unit(benchmark::kMillisecond);

void BM_GuidedFilter128(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(smoothers::guided_filter(bench_sample().input));
}
BENCHMARK(BM_GuidedFilter128)->Unit(benchmark::kMillisecond);

void BM_RollingGuidance128(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(smoothers::rolling_guidance_filter(bench_sample().input));
}
BENCHMARK(BM_RollingGuidance128)->Unit(benchmark::kMillisecond);

void BM_L0Smoothing128(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(smoothers::l0_smoothing(bench_sample().input));
}
BENCHMARK(BM_L0Smoothing128)->Unit(benchmark::kMillisecond);

void BM_Rtv128(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(smoothers::rtv_smoothing(bench_sample().input));
}
BENCHMARK(BM_Rtv128)->Unit(benchmark::kMillisecond);

}  // namespace
