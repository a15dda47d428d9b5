// `csgis train`: trains the JESS smoothing network, or (task "segment") DeepLabv3+ alone, from a JSON
// config (see docs/training.md).
#include <cstdio>
#include <filesystem>

#include "tools/cli_flags.h"
#include "tools/commands.h"
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
  bool quiet = false, force = false;
};
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
  return [f, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    TrainOptions o;
    o.config = TrainConfig::load(f->config);
    if (f->steps > 0) o.config.steps = f->steps;
    if (!f->device.empty()) o.config.device = f->device;
    if (f->threads >= 0) o.config.threads = f->threads;
    o.out_dir = f->out.empty() ? "runs/" + std::filesystem::path(f->config).stem().string() : f->out;
    o.resume = f->resume;
    o.show_progress = !f->quiet;
    o.force = f->force;
    flags::apply_threads(o.config.threads);  // the host program owns the thread count, not the trainer
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
    std::printf("trained steps %lld..%lld in %.1f s; validation PSNR %.2f dB, SSIM %.4f (input %.2f dB, %.4f)\n",
                (long long)r.first_step + 1, (long long)r.last_step, r.seconds, r.final_val.psnr, r.final_val.ssim,
                r.final_val.input_psnr, r.final_val.input_ssim);
    print_outputs(o.out_dir, {"best.safetensors", "checkpoint.safetensors", "metrics.jsonl", "curve.png"});
    if (!std::filesystem::exists(std::filesystem::path(o.out_dir) / "best.safetensors"))
      std::printf("no best.safetensors: no validation beat the best SSIM %.4f of the resumed checkpoint\n",
                  r.best_val_ssim);
    return 0;
  };
}

}  // namespace csgis::tools
