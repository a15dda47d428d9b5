// `csgis train`: trains the JESS smoothing network, or (task "segment") DeepLabv3+ alone, from a JSON
// config (see docs/training.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "engine/error.h"
#include "tools/cli_flags.h"
#include "tools/commands.h"
#include "tools/lib/distributed.h"
#include "tools/lib/seg_trainer.h"
#include "tools/lib/trainer.h"

namespace csgis::tools {

namespace {
// Names only what is there: a run resumed into a new folder has no best.safetensors until its
// validation beats the checkpoint's best score.
void print_outputs(const std::string& dir, std::initializer_list<const char*> names) {
  std::string files;
  for (const char* f : names)
    if (std::filesystem::exists(std::filesystem::path(dir) / f)) files += std::string(files.empty() ? "" : ", ") + f;
  std::printf("outputs in %s: %s\n", dir.c_str(), files.c_str());
}

struct TrainFlags {
  std::string config, out, device, resume;
  int64_t steps = -1;
  int threads = -1;  // -1: the config's `threads`
  double collective_timeout = 300;
  bool quiet = false, force = false;
};

int run_train(const TrainFlags& f, CLI::App* cmd, dist::Communicator& comm);
}  // namespace

Runner add_train_command(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  auto* cmd = app.add_subcommand("train", "Train the smoothing network (or, task \"segment\", the segmenter) from a JSON config");
  cmd->footer("--steps, --device and --threads override the config's keys of the same name; every other\n"
              "setting lives in the config (docs/training.md).");
  cmd->add_option("--config", f->config, "training config (JSON; every key in docs/training.md)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--steps", f->steps, "override the config's number of training steps")
      ->check(flags::positive());
  cmd->add_option("-o,--out", f->out, "run folder: checkpoints, metrics, best weights (default: runs/<config name>)");
  flags::device(cmd, f->device);
  flags::threads(cmd, f->threads)->default_str("the config's threads");
  cmd->add_option("--resume", f->resume, "continue from this checkpoint (out/checkpoint.safetensors)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--quiet", f->quiet, "no progress bar");
  cmd->add_flag("--force", f->force, "start a fresh run in an --out folder that holds a run (its files are replaced)");
  cmd->add_option("--collective-timeout", f->collective_timeout,
                  "under mpirun/srun: seconds a rank waits in one collective (gradient all-reduce, BatchNorm "
                  "statistics) before it ends the job as one whose other rank died or hangs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return [f, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    // Under mpirun/srun every rank runs this; alone, a communicator of one that needs no MPI.
    std::unique_ptr<dist::Communicator> comm = dist::open_communicator();
    comm->set_timeout(f->collective_timeout);
    if (comm->size() == 1) return run_train(*f, cmd, *comm);
    try {
      return run_train(*f, cmd, *comm);
    } catch (const std::exception& e) {
      // Each rank says its own error, except what would repeat rank 0's.
      if (comm->rank() == 0 || !comm->rank0_reports)
        std::fprintf(stderr, "csgis: error: rank %d of %d: %s\n", comm->rank(), comm->size(), e.what());
      // A rank that fails mid-run leaves the others waiting in a collective: end them all now.
      if (comm->run_started) comm->abort(1);
      return 1;
    }
  };
}

namespace {
int run_train(const TrainFlags& flags, CLI::App* cmd, dist::Communicator& comm) {
  const TrainFlags* f = &flags;
  TrainOptions o;
  o.comm = &comm;
  // Until train() holds its start gate, a failure here must still be said to the other ranks.
  try {
    o.config = TrainConfig::load(f->config);
    if (f->steps > 0) o.config.steps = f->steps;
    if (!f->device.empty()) o.config.device = f->device;
    if (f->threads >= 0) o.config.threads = f->threads;
    o.out_dir = f->out.empty() ? "runs/" + std::filesystem::path(f->config).stem().string() : f->out;
    o.resume = f->resume;
    o.show_progress = !f->quiet;
    o.force = f->force;
    if (comm.size() > 1) {
      // Ranks on one machine share its cores (unless OMP_NUM_THREADS or threads says otherwise), and
      // a CUDA rank takes the device of its local rank.
      if (o.config.threads == 0 && !std::getenv("OMP_NUM_THREADS"))
        o.config.threads = std::max(1, int(std::thread::hardware_concurrency()) / comm.local_size());
      if (o.config.device == "cuda") o.config.device = "cuda:" + std::to_string(comm.local_rank());
      CSGIS_CHECK(o.config.task != "segment", "config '", f->config, "': task \"segment\" trains on one process; "
                  "run it without mpirun/srun");
      o.show_progress = o.show_progress && comm.rank() == 0;
    }
    flags::apply_threads(o.config.threads);  // the host program owns the thread count, not the trainer
  } catch (...) {
    dist::start_check(comm, /*failed=*/true, "");  // the other ranks wait for this rank's word
    throw;
  }
  if (o.config.task == "segment") {
    const SegTrainResult r = train_segmenter(o);
    std::printf("trained steps %lld..%lld in %.1f s; validation mean IoU %.4f, pixel accuracy %.4f (best mIoU %.4f)\n",
                (long long)r.first_step + 1, (long long)r.last_step, r.seconds, r.final_miou, r.final_pixel_acc,
                r.best_miou);
    print_outputs(o.out_dir, {"best.safetensors", "checkpoint.safetensors", "metrics.jsonl", "curve.png", "val_grid.png"});
    if (!std::filesystem::exists(std::filesystem::path(o.out_dir) / "best.safetensors"))
      std::printf("no best.safetensors: no validation beat the best mIoU %.4f of the resumed checkpoint\n", r.best_miou);
    return 0;
  }
  TrainResult r = train(o);
  if (comm.rank() != 0) return 0;  // rank 0 reports for the job
  std::printf("trained steps %lld..%lld in %.1f s; validation PSNR %.2f dB, SSIM %.4f (input %.2f dB, %.4f)\n",
              (long long)r.first_step + 1, (long long)r.last_step, r.seconds, r.final_val.psnr, r.final_val.ssim,
              r.final_val.input_psnr, r.final_val.input_ssim);
  print_outputs(o.out_dir, {"best.safetensors", "checkpoint.safetensors", "metrics.jsonl", "curve.png"});
  if (!std::filesystem::exists(std::filesystem::path(o.out_dir) / "best.safetensors"))
    std::printf("no best.safetensors: no validation beat the best SSIM %.4f of the resumed checkpoint\n",
                r.best_val_ssim);
  return 0;
}
}  // namespace

}  // namespace csgis::tools
