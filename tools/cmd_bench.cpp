// `csgis bench <kernel>`: times one layer on the chosen device and prints one JSON line, so that
// scripts (and docs/perf.md) can compare it with a peer measured in the same run.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/ops.h"
#include "tools/commands.h"

namespace csgis::tools {

namespace {

struct ConvBenchOptions {
  int64_t batch = 2, channels = 64, size = 64, dilation = 1, kernel = 3;
  int warmup = 3, repeats = 15, threads = 0;
  std::string device = "cpu";
  bool cudnn = false;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

int run_conv_bench(const ConvBenchOptions& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const Device dev = Device::parse(o.device);
  Context& ctx = current_context();
  ctx.use_cudnn = o.cudnn;
  Generator gen(1);
  Tensor x = Tensor::randn({o.batch, o.channels, o.size, o.size}, &gen, DType::F32, dev).set_requires_grad(true);
  Tensor w = (Tensor::randn({o.channels, o.channels, o.kernel, o.kernel}, &gen, DType::F32, dev) * 0.05)
                 .detach()
                 .set_requires_grad(true);
  Tensor b = Tensor::randn({o.channels}, &gen, DType::F32, dev).set_requires_grad(true);
  Tensor dy = Tensor::randn({o.batch, o.channels, o.size, o.size}, &gen, DType::F32, dev);
  const Conv2dParams p = Conv2dParams::same(o.kernel, o.dilation);
  std::vector<double> fwd, bwd;
  for (int i = 0; i < o.warmup + o.repeats; ++i) {
    ctx.synchronize();
    const double t0 = now_ms();
    Tensor y = conv2d(x, w, b, p);
    ctx.synchronize();
    const double t1 = now_ms();
    y.backward(dy);
    ctx.synchronize();
    const double t2 = now_ms();
    if (i >= o.warmup) {
      fwd.push_back(t1 - t0);
      bwd.push_back(t2 - t1);
    }
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
  }
  const double flops = 2.0 * o.batch * o.channels * o.channels * o.kernel * o.kernel * o.size * o.size;
  nlohmann::json j = {{"op", "conv2d"},
                      {"device", dev.str()},
                      {"impl", o.cudnn ? "cudnn" : "csgis"},
                      {"batch", o.batch},
                      {"channels", o.channels},
                      {"size", o.size},
                      {"kernel", o.kernel},
                      {"dilation", o.dilation},
                      {"threads", omp_get_max_threads()},
                      {"repeats", o.repeats},
                      {"forward_ms", median(fwd)},
                      {"backward_ms", median(bwd)},
                      {"forward_gflops", flops / (median(fwd) * 1e6)},
                      {"backward_gflops", 2 * flops / (median(bwd) * 1e6)}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace

Runner add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Time one kernel; prints one JSON line with median times");
  bench->require_subcommand(1);
  auto o = std::make_shared<ConvBenchOptions>();
  auto* conv = bench->add_subcommand(
      "conv2d", "conv2d forward and backward (input, weight and bias gradients), 'same' padding, stride 1");
  conv->add_option("--batch", o->batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  conv->add_option("--channels", o->channels, "input = output channels")->check(CLI::PositiveNumber)->capture_default_str();
  conv->add_option("--size", o->size, "height = width of the input")->check(CLI::PositiveNumber)->capture_default_str();
  conv->add_option("--dilation", o->dilation, "dilation (padding = dilation for 3x3)")->check(CLI::PositiveNumber)->capture_default_str();
  conv->add_option("--kernel", o->kernel, "kernel size (odd)")->check(CLI::PositiveNumber)->capture_default_str();
  conv->add_option("--device", o->device, "cpu, cuda, cuda:N or simt (emulated CUDA, slow)")->capture_default_str();
  conv->add_option("--threads", o->threads, "CPU threads (default: OMP_NUM_THREADS or all cores)");
  conv->add_option("--warmup", o->warmup, "untimed runs first")->check(CLI::NonNegativeNumber)->capture_default_str();
  conv->add_option("--repeats", o->repeats, "timed runs; the median is reported")->check(CLI::PositiveNumber)->capture_default_str();
  conv->add_flag("--cudnn", o->cudnn, "use cuDNN's convolution instead of ours (CUDA only)");
  return [o, conv]() -> int {
    if (conv->parsed()) return run_conv_bench(*o);
    return -1;
  };
}

}  // namespace csgis::tools
