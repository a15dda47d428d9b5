// Benchmark mode of the op registry: every registered OpCase is timed (forward + backward) on the
// CPU, and on CUDA when a device is present. Registry shapes are small test shapes: this catches
// regressions and per-op overheads; the layer-sized figures live in bench_conv2d and docs/perf.md.
#include <benchmark/benchmark.h>

#include "engine/autograd.h"
#include "engine/context.h"
#include "registry/op_registry.h"

using namespace csgis;
using namespace csgis::registry;

namespace {

void run_op(benchmark::State& state, const OpCase* c, Device dev) {
  std::vector<Tensor> inputs;
  for (const Tensor& t : make_case_inputs(*c, 1)) {
    Tensor x = t.to(DType::F32).to(dev).detach();
    x.set_requires_grad(c->gradcheck);
    inputs.push_back(x);
  }
  for (int i : c->no_grad_inputs) inputs[i].set_requires_grad(false);
  for (auto _ : state) {
    Tensor out = c->fn(inputs);
    if (c->gradcheck) sum(out).backward();
    current_context().synchronize();
    for (auto& x : inputs) x.zero_grad();
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const OpCase& c : op_cases()) {
    benchmark::RegisterBenchmark(("cpu/" + c.name).c_str(), run_op, &c, Device::cpu());
    if (cuda_available()) benchmark::RegisterBenchmark(("cuda/" + c.name).c_str(), run_op, &c, Device::cuda());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
