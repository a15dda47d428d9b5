// `csgis build-dataset`: writes a data set folder (DIR/input, gt, edge, seg, over + manifest.json).
// Today: the embedded procedural generator. The VOC-smooth builder (--images) arrives with its issue.
#include <cstdio>
#include <filesystem>
#include <thread>

#include "data/dataset.h"
#include "engine/error.h"
#include "tools/commands.h"

namespace csgis::tools {

namespace {
struct BuildFlags {
  std::string out, textures, split = "val", images;
  int64_t count = 24;
  int size = 128;
  uint64_t seed = 1;
  bool procedural = false;
  int threads = 0;
};
}  // namespace

Runner add_build_dataset_command(CLI::App& app) {
  auto f = std::make_shared<BuildFlags>();
  auto* cmd = app.add_subcommand("build-dataset", "Write a data set folder (input, gt, edge, seg, over, manifest.json)");
  cmd->add_flag("--procedural", f->procedural, "generate procedural structure images blended with textures");
  cmd->add_option("--images", f->images, "real images to turn into VOC-smooth samples (not available yet)");
  cmd->add_option("--out", f->out, "output folder (must not already hold a data set)")->required();
  cmd->add_option("--textures", f->textures, "folder of GIMP .pat textures (default: gimp-data's patterns)");
  cmd->add_option("--split", f->split, "texture split: train or val (validation textures are never used for training)")
      ->check(CLI::IsMember({"train", "val"}))
      ->capture_default_str();
  cmd->add_option("--count", f->count, "number of samples")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--size", f->size, "width = height of each sample")->check(CLI::Range(16, 4096))->capture_default_str();
  cmd->add_option("--seed", f->seed, "seed of the generator")->capture_default_str();
  cmd->add_option("--threads", f->threads, "worker threads (0: all cores; the files do not depend on it)");
  return [f, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    CSGIS_CHECK(f->images.empty(), "build-dataset --images: the VOC-smooth builder is not available yet; use --procedural");
    CSGIS_CHECK(f->procedural, "build-dataset: say what to build (--procedural)");
    const data::Split split = f->split == "train" ? data::Split::Train : data::Split::Val;
    const std::string textures = f->textures.empty() ? data::default_texture_dir() : f->textures;
    data::write_procedural_dataset(f->out, f->count, f->size, f->seed, split, textures, f->threads);
    std::printf("wrote %lld %s samples of %dx%d to %s\n", (long long)f->count, f->split.c_str(), f->size, f->size,
                f->out.c_str());
    return 0;
  };
}

}  // namespace csgis::tools
