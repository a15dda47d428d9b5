// `csgis bench <kernel>`: times one layer (or one classical smoother) on the chosen device and prints
// one JSON line, so that scripts (and docs/perf.md) can compare it with a peer measured in the same run.
#include <omp.h>
#include <unistd.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <nlohmann/json.hpp>

#include "data/procedural.h"
#include "data/smoothers/gpu_fft_smoothers.h"
#include "data/smoothers/gpu_smoothers.h"
#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/cpu_isa.h"
#include "engine/error.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "engine/profiler.h"
#include "losses/total.h"
#include "models/jess.h"
#include "tools/baselines.h"
#include "tools/cli_flags.h"
#include "registry/op_registry.h"
#include "tools/lib/tiled_inference.h"
#include "tools/lib/data_parallel.h"
#include "tools/lib/distributed.h"
#include "tools/lib/trainer.h"
#include "tools/commands.h"

namespace csgis::tools {

namespace {

constexpr const char* kWinogradHelp =
    "CPU: 3x3 stride-1 float convolutions with >= 16 channels through Winograd F(2x2,3x3) (off by default)";

struct ConvBenchOptions {
  int64_t batch = 2, channels = 64, size = 64, dilation = 1, kernel = 3;
  int warmup = 3, repeats = 15, threads = 0;
  std::string device = "cpu", isa;
  bool cudnn = false, cudnn_tf32 = false, winograd = false;
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
  flags::apply_threads(o.threads);
  const char* isa = flags::apply_isa(o.isa);
  const Device dev = Device::parse(o.device);
  Context& ctx = current_context();
  ctx.use_cudnn = o.cudnn;
  ctx.cudnn_tf32 = o.cudnn_tf32;
  ctx.cpu_conv_winograd = o.winograd;
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
                      {"impl", o.cudnn ? (o.cudnn_tf32 ? "cudnn-tf32" : "cudnn") : o.winograd ? "csgis-winograd" : "csgis"},
                      {"cpu_isa", isa},
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

struct TrainStepOptions {
  int64_t batch = 2, size = 64;
  int dim = 64, feature_blocks = 12, smooth_blocks = 3, enhance_blocks = 6;
  int warmup = 2, repeats = 5, threads = 0;
  int ranks = 0;           // > 1 and no launcher: run again under mpirun -np ranks
  double bucket_mb = 25;   // gradient all-reduce buckets (data parallel)
  std::string device = "cpu", isa;
  bool dtv = false, profile = false, winograd = false;
  std::string config;  // a train config: model and loss switches from it (--dim ... and --dtv excluded)
};

// The --profile table on stderr (stdout keeps its one JSON line) and its JSON form: per op family,
// forward and backward milliseconds per step (means over the profiled steps) and their share of the
// mean step, so that the rows add up to 100 %.
nlohmann::json report_profile(const OpProfile& prof, const std::vector<double>& step_times) {
  const int steps = int(step_times.size());
  double step_ms = 0;
  for (double t : step_times) step_ms += t / steps;
  struct Row { std::string name; double fwd, bwd; };
  std::vector<Row> rows;
  double tracked = 0;
  for (const auto& [name, f] : prof.families()) {
    rows.push_back({name, f.forward_ms / steps, f.backward_ms / steps});
    tracked += (f.forward_ms + f.backward_ms) / steps;
  }
  for (const auto& [name, ms] : prof.others()) {
    rows.push_back({"(" + name + ")", ms / steps, 0});
    tracked += ms / steps;
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.fwd + a.bwd > b.fwd + b.bwd; });
  rows.push_back({"(untracked)", std::max(0.0, step_ms - tracked), 0});
  nlohmann::json j = nlohmann::json::object();
  std::fprintf(stderr, "%-24s %12s %12s %8s\n", "op family", "forward ms", "backward ms", "share");
  for (const Row& r : rows) {
    const double share = step_ms > 0 ? (r.fwd + r.bwd) / step_ms : 0;
    std::fprintf(stderr, "%-24s %12.2f %12.2f %7.1f%%\n", r.name.c_str(), r.fwd, r.bwd, 100 * share);
    j[r.name] = {{"forward_ms", r.fwd}, {"backward_ms", r.bwd}, {"share", share}};
  }
  std::fprintf(stderr, "%-24s %12.2f ms per step (mean of %d profiled steps)\n", "step", step_ms, steps);
  return j;
}

// One optimisation step of JESS as the trainer runs it: forward, the reconstruction (L1 + 4-scale
// SSIM on S0 and S1) and edge losses (DTV optional), backward, Adam.
// `bench train-step --ranks N` without a launcher: this same command again, under mpirun -np N.
[[noreturn]] void rerun_under_mpirun(int ranks) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  std::vector<std::string> cmd{"mpirun", "--oversubscribe", "-np", std::to_string(ranks)};
  if (geteuid() == 0) cmd.push_back("--allow-run-as-root");
  std::error_code ec;
  cmd.push_back(std::filesystem::read_symlink("/proc/self/exe", ec).string());
  for (size_t i = 1; i < args.size(); ++i) cmd.push_back(args[i]);
  std::vector<char*> argv;
  for (std::string& a : cmd) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execvp("mpirun", argv.data());
  CSGIS_FAIL("bench train-step --ranks ", ranks, ": cannot run mpirun (", std::strerror(errno),
             "); install Open MPI (openmpi-bin) or start the bench under your launcher");
}

int train_step_bench(const TrainStepOptions& o, dist::Communicator* comm);

int run_train_step_bench(const TrainStepOptions& o) {
  if (o.ranks > 1 && dist::mpi_launcher().empty()) rerun_under_mpirun(o.ranks);
  // Data parallel under a launcher: each rank steps on its own batch, gradients averaged in buckets.
  const std::unique_ptr<dist::Communicator> comm = dist::open_communicator();
  if (comm->size() == 1) return train_step_bench(o, comm.get());
  try {
    return train_step_bench(o, comm.get());
  } catch (const std::exception& e) {  // the other ranks wait in a collective: end them all
    std::fprintf(stderr, "csgis: error: rank %d of %d: %s\n", comm->rank(), comm->size(), e.what());
    comm->abort(1);
  }
  return 1;  // not reached: abort() ends the process
}

int train_step_bench(const TrainStepOptions& o, dist::Communicator* comm) {
  CSGIS_CHECK(o.ranks <= 1 || o.ranks == comm->size(), "bench train-step --ranks ", o.ranks, " under a launcher of ",
              comm->size(), " ranks");
  int threads = o.threads;
  if (comm->size() > 1 && threads == 0 && !std::getenv("OMP_NUM_THREADS"))
    threads = std::max(1, int(std::thread::hardware_concurrency()) / comm->local_size());
  flags::apply_threads(threads);
  const char* isa = flags::apply_isa(o.isa);
  // A CUDA rank takes the device of its local rank.
  const Device dev = Device::parse(o.device == "cuda" && comm->size() > 1 ? "cuda:" + std::to_string(comm->local_rank())
                                                                          : o.device);
  Context& ctx = current_context();
  ctx.cpu_conv_winograd = o.winograd;
  models::JessConfig mc;
  mc.dim = o.dim;
  mc.feature_blocks = o.feature_blocks;
  mc.smooth_blocks = o.smooth_blocks;
  mc.enhance_blocks = o.enhance_blocks;
  losses::TotalLossConfig lc;
  lc.use_dtv = o.dtv;
  lc.use_contrastive = false;
  lc.use_seg = false;
  bool gray = false;
  std::shared_ptr<models::Vgg16Features> vgg;
  double gram_scale = 1.0;
  std::shared_ptr<models::DeepLabV3Plus> phi;
  bool label_free = false;
  std::string phi_origin;
  if (!o.config.empty()) {
    const TrainConfig c = TrainConfig::load(o.config);
    mc = c.model;
    lc = total_loss_config(c);
    gray = c.contrastive_l1;
    if (c.contrastive_gram) {
      vgg = contrastive_vgg(c, dev);
      gram_scale = gram_feature_scale(vgg->normalization, c.gram_input);
    }
    if (c.semantic) {
      // Speed does not depend on the weights' values: without the trained file, a frozen network of
      // the same shape (the procedural classes) stands in, and the JSON says so.
      label_free = c.seg_label_free;
      if (std::filesystem::exists(c.seg_weights)) {
        phi = semantic_segmenter(c, dev);
        phi_origin = c.seg_weights;
      } else {
        phi = std::make_shared<models::DeepLabV3Plus>(
            models::DeepLabConfig{data::kProceduralClasses, c.seg_output_stride});
        phi->to(dev);
        phi->freeze();
        phi_origin = "random initialisation (" + c.seg_weights + " does not exist)";
      }
    }
  }
  models::Jess model(mc);
  model.to(dev);
  model.train();
  optim::Adam opt(model.parameters(), 1e-3);
  dist::broadcast_from_rank0(*comm, model.parameters(), "the start broadcast of the model");
  dist::GradientAverager averager(model.parameters(), *comm, size_t(o.bucket_mb * 1024 * 1024));
  Generator gen(3 + uint64_t(comm->rank()));  // each rank its own batch
  Tensor input = Tensor::rand({o.batch, 3, o.size, o.size}, 0, 1, &gen, DType::F32, dev);
  Tensor gt = Tensor::rand({o.batch, 3, o.size, o.size}, 0, 1, &gen, DType::F32, dev);
  Tensor edge = Tensor::from_vector([&] {
    std::vector<float> e(size_t(o.batch * o.size * o.size));
    for (auto& v : e) v = gen.uniform() < 0.1 ? 1.f : 0.f;
    return e;
  }(), {o.batch, 1, o.size, o.size}, dev);
  const Tensor negative = Tensor::rand({o.batch, 3, o.size, o.size}, 0, 1, &gen, DType::F32, dev);
  Tensor labels = Tensor::empty({o.batch, o.size, o.size}, DType::I64, Device::cpu());
  for (int64_t i = 0; i < labels.numel(); ++i)
    labels.data<int64_t>()[i] = phi ? int64_t(gen.randint(uint64_t(phi->config.num_classes))) : 0;
  std::vector<double> times;
  OpProfile prof;
  for (int i = 0; i < o.warmup + o.repeats; ++i) {
    ctx.synchronize();
    ctx.profile = o.profile && i >= o.warmup ? &prof : nullptr;  // warm-up steps are not profiled
    const double t0 = now_ms();
    prof.mark();
    models::JessOutput out = model.forward_all(input);
    losses::LossInputs in;
    in.edge_logits = out.E_pred;
    in.s0 = out.S0;
    in.s1 = out.S1;
    in.s_gt = gt;
    in.edge_gt = edge;
    if (gray) in.negative = negative;
    if (vgg) gram_inputs(*vgg, out.S1, gt, negative, gram_scale, in);  // as the trainer
    if (phi) semantic_inputs(*phi, label_free, out.S1, gt, labels, in);
    losses::LossTerms t = losses::total_loss(lc, in);
    opt.zero_grad();
    averager.begin_step(i);
    t.total.backward();
    averager.finish();
    const double t_opt = now_ms();
    opt.step();
    ctx.synchronize();
    if (ctx.profile) ctx.profile->add_other("optimizer", now_ms() - t_opt);
    if (i >= o.warmup) times.push_back(now_ms() - t0);
  }
  ctx.profile = nullptr;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  if (comm->rank() != 0) return 0;  // rank 0 reports for the job
  const double step_ms = median(times);
  nlohmann::json j = {{"op", "train-step"},
                      {"device", dev.str()},
                      {"ranks", comm->size()},
                      {"batch", o.batch},
                      {"global_batch", o.batch * comm->size()},
                      {"size", o.size},
                      {"model", nlohmann::json::parse(mc.to_json())},
                      {"parameters", models::count_parameters(model)},
                      {"losses", std::string("edge+recon(S0,S1)") + (lc.use_dtv ? "+dtv" : "") +
                                     (gray ? "+contrast_gray" : "") + (vgg ? "+contrast_gram(vgg16)" : "") +
                                     (phi ? (label_free ? "+seg_ce(deeplabv3plus, label-free)" : "+seg_ce(deeplabv3plus)") : "")},
                      {"threads", omp_get_max_threads()},
                      {"winograd", o.winograd},
                      {"cpu_isa", isa},
                      {"repeats", o.repeats},
                      {"step_ms", step_ms},
                      {"samples_per_s", double(o.batch * comm->size()) / (step_ms / 1000.0)},
                      {"min_step_ms", *std::min_element(times.begin(), times.end())},
                      {"peak_rss_mb", double(ru.ru_maxrss) / 1024.0}};
  if (dev.is_cuda()) j["peak_device_mb"] = double(ctx.cuda_allocator().stats().peak_allocated_bytes) / (1 << 20);
  if (comm->size() > 1) {  // how far the gradient exchange overlapped backward in the last step
    j["gradient_buckets"] = averager.buckets().size();
    j["buckets_started_during_backward"] = averager.started_during_backward();
  }
  if (phi) j["segmenter"] = phi_origin;
  if (o.profile) j["profile"] = report_profile(prof, times);
  std::printf("%s\n", j.dump().c_str());
  return 0;
}


struct SmootherBenchOptions {
  std::string method, device = "cpu";
  int size = 1024, repeats = 5, threads = 0;
  Baselines baselines;  // every CPU method and its --gf-*, --rgf-*, ... flags
};

// The smoothers with a kernels/cuda implementation (data/smoothers/gpu_smoothers.h,
// data/smoothers/gpu_fft_smoothers.h).
constexpr const char* kGpuSmoothers = "gf, rgf, bf, l0, ils";
bool has_gpu_smoother(const std::string& m) {
  return m == "gf" || m == "rgf" || m == "bf" || m == "l0" || m == "ils";
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown";
}

// A deterministic texture-like RGB picture, no file I/O: flat cells of their own colour (the Voronoi
// regions of a jittered grid: edges in every direction), a fine stripe texture over them and hashed
// noise. What an edge-preserving smoother is for, at any size.
data::Image smoother_bench_image(int size) {
  auto hash = [](uint32_t v) {
    v ^= v >> 16, v *= 0x7feb352du, v ^= v >> 15, v *= 0x846ca68bu, v ^= v >> 16;
    return v;
  };
  auto unit = [&](uint32_t v) { return float(hash(v) & 0xffffffu) / float(0x1000000); };
  const int cell = std::max(4, size / 8), cells = (size + cell - 1) / cell;
  data::Image img(size, size, 3);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      uint32_t site = 0;
      float best = 1e30f;
      for (int cy = y / cell - 1; cy <= y / cell + 1; ++cy)
        for (int cx = x / cell - 1; cx <= x / cell + 1; ++cx) {
          const uint32_t id = uint32_t((cy + 1) * (cells + 2) + cx + 1);
          const float sx = (float(cx) + unit(2 * id)) * cell - x, sy = (float(cy) + unit(2 * id + 1)) * cell - y;
          if (sx * sx + sy * sy < best) best = sx * sx + sy * sy, site = id;
        }
      const float texture = 0.08f * std::sin(0.9f * x + 0.4f * y) * std::cos(0.7f * y - 0.3f * x);
      for (int c = 0; c < 3; ++c) {
        const float v = 0.15f + 0.7f * unit(site * 3 + uint32_t(c) + 7919u) + texture +
                        0.04f * (unit(uint32_t(y * size + x) * 3u + uint32_t(c)) - 0.5f);
        img.at(x, y, c) = std::min(1.f, std::max(0.f, v));
      }
    }
  return img;
}

// One warm-up run, then `repeats` timed runs of the smoother alone (the picture is made, and on a
// GPU uploaded, before any timing; results stay on the device).
int run_smoother_bench(SmootherBenchOptions& o) {
  flags::apply_threads(o.threads);
  const Device dev = Device::parse(o.device);
  o.baselines.validate();
  data::smoothers::GpuBilateralParams bf;  // the GPU bilateral's defaults (radius 5, 0.1, 3 px, cut window)
  nlohmann::json params;
  if (dev.is_cpu()) {
    CSGIS_CHECK(Baselines::is_baseline(o.method), "bench smoother: unknown --method '", o.method,
                "' (known on cpu: ", Baselines::kNames, ")");
  } else {
    CSGIS_CHECK(has_gpu_smoother(o.method), "bench smoother: --method '", o.method, "' has no implementation on ",
                dev.str(), " (there: ", kGpuSmoothers, "; on cpu: ", Baselines::kNames, ")");
    CSGIS_CHECK(!dev.is_cuda() || cuda_available(), "bench smoother: --device ", dev.str(),
                " asked for, but no CUDA device is available");
  }
  const nlohmann::json all = o.baselines.params_json();
  if (o.method == "bf" && !dev.is_cpu())
    params = {{"radius", bf.radius}, {"sigma_color", bf.sigma_color}, {"sigma_space", bf.sigma_space},
              {"separable", bf.separable}, {"border", "clip"}};
  else if (all.contains(o.method))
    params = all[o.method];
  const data::Image img = smoother_bench_image(o.size);
  Context& ctx = current_context();
  std::function<void()> run;
  data::Image cpu_out;
  Tensor hwc, gpu_out;
  if (dev.is_cpu()) {
    run = [&] { cpu_out = o.baselines.apply(o.method, img); };
  } else {
    namespace sm = data::smoothers;
    hwc = sm::image_to_hwc(img, dev);
    run = [&] {
      if (o.method == "gf") gpu_out = sm::guided_filter_gpu(hwc, o.baselines.gf);
      if (o.method == "rgf") gpu_out = sm::rolling_guidance_filter_gpu(hwc, o.baselines.rgf);
      if (o.method == "bf") gpu_out = sm::bilateral_filter_gpu(hwc, bf);
      if (o.method == "l0") gpu_out = sm::l0_smoothing_gpu(hwc, o.baselines.l0);
      if (o.method == "ils") gpu_out = sm::ils_smoothing_gpu(hwc, o.baselines.ils);
    };
  }
  std::vector<double> times;
  for (int i = 0; i < 1 + o.repeats; ++i) {
    ctx.synchronize();
    const double t0 = now_ms();
    run();
    ctx.synchronize();
    if (i > 0) times.push_back(now_ms() - t0);
  }
  nlohmann::json j = {{"op", "smoother"},
                      {"method", o.method},
                      {"size", o.size},
                      {"channels", 3},
                      {"device", dev.str()},
                      {"params", params},
                      {"threads", omp_get_max_threads()},
                      {"repeats", o.repeats},
                      {"median_ms", median(times)},
                      {"min_ms", *std::min_element(times.begin(), times.end())},
                      {"cpu_model", cpu_model()}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

struct SmoothBenchOptions {
  int size = 1024, repeats = 3, threads = 0;
  std::string weights, device = "cpu";
  TileOptions tile;
};

// `csgis smooth`'s network path (smooth_rows: 8-bit input, banded windows, rows handed out as they
// are done) on the procedural picture of `bench smoother`, without image I/O: one warm-up run, then
// the median of `repeats` runs, per megapixel, and the process's peak resident memory.
int run_smooth_bench(const SmoothBenchOptions& o) {
  flags::apply_threads(o.threads);
  o.tile.validate();
  const std::string weights = resolve_weights(o.weights);
  std::unique_ptr<models::Jess> model = load_smoother(weights, o.device);
  const data::Image img = smoother_bench_image(o.size);
  data::Image8 rgb;
  rgb.width = rgb.height = o.size;
  rgb.rgb.resize(size_t(o.size) * size_t(o.size) * 3);
  for (int y = 0; y < o.size; ++y)
    for (int x = 0; x < o.size; ++x)
      for (int c = 0; c < 3; ++c) rgb.rgb[(size_t(y) * size_t(o.size) + size_t(x)) * 3 + size_t(c)] =
          uint8_t(std::lround(img.at(x, y, c) * 255.f));
  double checksum = 0;  // every output row is read, as a writer would
  const RowFn emit = [&](int, const float* row) {
    for (int i = 0; i < 3 * o.size; i += 97) checksum += row[i];
  };
  std::vector<double> times;
  for (int i = 0; i < 1 + o.repeats; ++i) {
    const double t0 = now_ms();
    smooth_rows(*model, rgb, o.tile, emit);
    if (i > 0) times.push_back(now_ms() - t0);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double mp = double(o.size) * double(o.size) / 1e6, ms = median(times);
  const nlohmann::json j = {{"op", "smooth"},
                            {"device", o.device},
                            {"size", o.size},
                            {"megapixels", mp},
                            {"weights", weights},
                            {"tile", o.tile.tile},
                            {"overlap", o.tile.overlap},
                            {"windows", tile_count(o.size, o.size, o.tile)},
                            {"threads", omp_get_max_threads()},
                            {"cpu", cpu_model()},
                            {"repeats", o.repeats},
                            {"median_ms", ms},
                            {"ms_per_megapixel", ms / mp},
                            {"peak_rss_mb", double(ru.ru_maxrss) / 1024.0},
                            {"checksum", checksum}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

struct OpBenchOptions {
  std::string name, shape, device = "cpu", isa;
  bool list = false;
  int warmup = 3, repeats = 15, threads = 0;
};

Shape parse_shape_flag(const std::string& text) {
  Shape s;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string part = text.substr(pos, comma - pos);
    char* end = nullptr;
    const long long v = std::strtoll(part.c_str(), &end, 10);
    CSGIS_CHECK(!part.empty() && *end == '\0' && v > 0 && v <= (1LL << 30), "--shape '", text,
                "': expected positive integers separated by commas, such as 2,64,64,64");
    s.push_back(int64_t(v));
    pos = comma + 1;
  }
  return s;
}

// One registered op (registry/op_registry.h): forward alone, then backward alone (of sum(out * g)
// with a fixed random g), medians after warm-up, float32 on the chosen device.
int run_op_bench(const OpBenchOptions& o) {
  using registry::OpCase;
  if (o.list) {
    for (const OpCase& c : registry::op_cases()) {
      std::string shapes;
      for (const Shape& s : c.input_shapes) shapes += (shapes.empty() ? "" : " ") + shape_str(s);
      std::printf("%-32s %s%s\n", c.name.c_str(), shapes.c_str(), c.gradcheck ? "" : " (forward only)");
    }
    return 0;
  }
  CSGIS_CHECK(!o.name.empty(), "bench op: name an op case (`csgis bench op --list` shows them)");
  flags::apply_threads(o.threads);
  const char* isa = flags::apply_isa(o.isa);
  const Device dev = Device::parse(o.device);
  CSGIS_CHECK(!dev.is_cuda() || cuda_available(), "bench op: --device ", dev.str(), " asked for, but no CUDA device is available");
  const OpCase& c = registry::find_case(o.name);
  const std::vector<Shape> shapes = o.shape.empty() ? c.input_shapes : registry::case_shapes(c, parse_shape_flag(o.shape));
  std::vector<Tensor> inputs;
  for (const Tensor& t : registry::make_case_inputs(c, 1, shapes)) inputs.push_back(t.to(DType::F32).to(dev).detach());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (c.gradcheck && std::find(c.no_grad_inputs.begin(), c.no_grad_inputs.end(), int(i)) == c.no_grad_inputs.end())
      inputs[i].set_requires_grad(true);
  Context& ctx = current_context();
  Tensor out;
  try {
    out = c.fn(inputs);
  } catch (const Error& e) {
    CSGIS_FAIL("bench op ", c.name, ": the op refused the shapes given (", e.what(), ")");
  }
  Generator gen(2);
  const Tensor g = Tensor::randn(out.shape(), &gen, DType::F32, dev);
  std::vector<double> fwd, bwd;
  for (int i = 0; i < o.warmup + o.repeats; ++i) {
    for (Tensor& x : inputs) x.zero_grad();
    ctx.synchronize();
    double t0 = now_ms();
    out = c.fn(inputs);
    ctx.synchronize();
    if (i >= o.warmup) fwd.push_back(now_ms() - t0);
    if (!c.gradcheck) continue;
    Tensor loss = sum(out * g);
    ctx.synchronize();
    t0 = now_ms();
    loss.backward();
    ctx.synchronize();
    if (i >= o.warmup) bwd.push_back(now_ms() - t0);
  }
  nlohmann::json in = nlohmann::json::array();
  for (const Shape& s : shapes) in.push_back(s);
  nlohmann::json j = {{"op", c.name}, {"device", dev.str()}, {"input_shapes", in}, {"output_shape", out.shape()},
                      {"threads", omp_get_max_threads()}, {"repeats", o.repeats}, {"forward_ms", median(fwd)}};
  if (dev.is_cpu()) j["cpu_isa"] = isa;
  j["backward_ms"] = c.gradcheck ? nlohmann::json(median(bwd)) : nlohmann::json(nullptr);
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
  conv->add_option("--batch", o->batch, "batch size")->check(flags::positive())->capture_default_str();
  conv->add_option("--channels", o->channels, "input = output channels")->check(flags::positive())->capture_default_str();
  conv->add_option("--size", o->size, flags::kSizeHelp)->check(flags::positive())->capture_default_str();
  conv->add_option("--dilation", o->dilation, "dilation (padding = dilation for 3x3)")->check(flags::positive())->capture_default_str();
  conv->add_option("--kernel", o->kernel, "kernel size (odd)")->check(flags::positive())->capture_default_str();
  flags::device(conv, o->device);
  flags::threads(conv, o->threads);
  flags::isa(conv, o->isa);
  flags::timing(conv, o->repeats, &o->warmup);
  auto* cudnn_flag = conv->add_flag("--cudnn", o->cudnn, "use cuDNN's convolution instead of ours (CUDA only; FP32 FMA math)");
  conv->add_flag("--cudnn-tf32", o->cudnn_tf32, "with --cudnn: let cuDNN use TF32 tensor cores (PyTorch's default)")
      ->needs(cudnn_flag);
  conv->add_flag("--winograd", o->winograd, kWinogradHelp);
  auto t = std::make_shared<TrainStepOptions>();
  auto* ts = bench->add_subcommand("train-step", "one JESS training step (forward, edge + reconstruction losses, optionally DTV and the contrastive terms, backward, Adam)");
  ts->add_option("--batch", t->batch, "batch size")->check(flags::positive())->capture_default_str();
  ts->add_option("--size", t->size, flags::kSizeHelp)->check(CLI::Range(16, 4096))->capture_default_str();
  auto* dim = ts->add_option("--dim", t->dim, "model width (paper: 64)")->check(flags::positive())->capture_default_str();
  auto* fb = ts->add_option("--feature-blocks", t->feature_blocks, "rHDC blocks of the feature extractor (paper: 12)")->capture_default_str();
  auto* sbk = ts->add_option("--smooth-blocks", t->smooth_blocks, "rHDC blocks of the smooth interpreter (paper: 3)")->capture_default_str();
  auto* eb = ts->add_option("--enhance-blocks", t->enhance_blocks, "rHDC blocks of the enhancement module (paper: 6)")->capture_default_str();
  flags::device(ts, t->device);
  flags::threads(ts, t->threads);
  flags::isa(ts, t->isa);
  flags::timing(ts, t->repeats, &t->warmup);
  auto* dtv = ts->add_flag("--dtv", t->dtv, "add the DTV terms to the loss");
  ts->footer("With --config, the model and the loss switches (DTV, the contrastive gray-L1 and VGG16 Gram terms, "
             "as the trainer runs them) come from that training config instead of --dim ... --dtv; --batch and "
             "--size stay flags.");
  ts->add_option("--config", t->config, "training config (JSON; every key in docs/training.md)")
      ->check(CLI::ExistingFile)
      ->excludes(dim)->excludes(fb)->excludes(sbk)->excludes(eb)->excludes(dtv);
  ts->add_flag("--winograd", t->winograd, kWinogradHelp);
  ts->add_option("--ranks", t->ranks,
                 "data-parallel ranks: runs itself under mpirun -np N (or start it under your launcher); --batch is "
                 "per rank, the JSON gives the global batch and samples per second")
      ->check(CLI::Range(1, 1024));
  ts->add_option("--bucket-mb", t->bucket_mb, "gradient all-reduce bucket size with several ranks")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ts->add_flag("--profile", t->profile,
               "time every op family's forward and backward (a table on stderr, \"profile\" in the JSON line); "
               "an op's forward time runs from the end of the previous recorded op, see engine/profiler.h");
  auto sm = std::make_shared<SmootherBenchOptions>();
  auto* smoother = bench->add_subcommand(
      "smoother", "one classical smoother on a procedural RGB picture (no image I/O); one warm-up run first");
  smoother->add_option("--method", sm->method, std::string("cpu: ") + Baselines::kNames + "; cuda/simt: " + kGpuSmoothers)
      ->required();
  smoother->add_option("--size", sm->size, flags::kSizeHelp)->check(CLI::Range(8, 16384))->capture_default_str();
  flags::device(smoother, sm->device);
  flags::timing(smoother, sm->repeats, nullptr);
  flags::threads(smoother, sm->threads);
  sm->baselines.add_options(smoother);
  auto ob = std::make_shared<OpBenchOptions>();
  auto* op = bench->add_subcommand("op", "one registered op (every op the tests check): forward and backward medians");
  op->add_option("name", ob->name, "op case, such as conv2d/3x3_d2 (see --list)");
  op->add_flag("--list", ob->list, "list every registered op case with its input shapes, then exit");
  op->add_option("--shape", ob->shape,
                 "shape of input 0 as N,C,H,W (or the op's rank); the other inputs follow it (conv2d: a C -> C layer)");
  flags::device(op, ob->device);
  flags::threads(op, ob->threads);
  flags::isa(op, ob->isa);
  flags::timing(op, ob->repeats, &ob->warmup);
  auto sb = std::make_shared<SmoothBenchOptions>();
  auto* smooth = bench->add_subcommand(
      "smooth", "the network of `csgis smooth` (tiled, 8-bit rows) on a procedural RGB picture, no image I/O; "
                "one warm-up run; median ms, ms per megapixel and peak memory");
  smooth->add_option("--size", sb->size, flags::kSizeHelp)->check(CLI::Range(16, 16384))->capture_default_str();
  flags::weights(smooth, sb->weights);
  flags::device(smooth, sb->device);
  flags::tiling(smooth, sb->tile);
  flags::timing(smooth, sb->repeats, nullptr);
  flags::threads(smooth, sb->threads);
  return [o, conv, t, ts, sm, smoother, sb, smooth, ob, op]() -> int {
    if (op->parsed()) return run_op_bench(*ob);
    if (smooth->parsed()) return run_smooth_bench(*sb);
    if (conv->parsed()) return run_conv_bench(*o);
    if (ts->parsed()) return run_train_step_bench(*t);
    if (smoother->parsed()) return run_smoother_bench(*sm);
    return -1;
  };
}

}  // namespace csgis::tools
