// `csgis build-dataset`: writes a data set folder (DIR/input, gt, edge, seg, over + manifest.json),
// either from the embedded procedural generator (--procedural) or from a folder of real images by
// the VOC-smooth pipeline (--images; data/voc_smooth.h).
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <thread>

#include "data/dataset.h"
#include "data/voc_smooth.h"
#include "engine/error.h"
#include "tools/commands.h"
#include "tools/lib/progress.h"

namespace csgis::tools {

namespace {
struct BuildFlags {
  std::string out, textures, split = "val", images, labels;
  int textures_per_image = 0;
  data::SmoothnessTest test;
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
  cmd->add_option("--images", f->images,
                  "folder of real images (PNG/JPEG) to turn into VOC-smooth samples: classical smoothers,\n"
                  "smoothness test, SSIM selection, texture blending (data/voc_smooth.h)");
  cmd->add_option("--labels", f->labels,
                  "with --images: folder of segmentation labels <stem>.png (VOC palette or grey raw ids);\n"
                  "without it every pixel is 255 (ignore)");
  cmd->add_option("--textures-per-image", f->textures_per_image,
                  "with --images: blend each ground truth with this many random textures of the split (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--smooth-threshold", f->test.threshold, "with --images: smoothness test threshold (eq. 12)")
      ->capture_default_str();
  cmd->add_option("--smooth-window", f->test.window, "with --images: smoothness test window in pixels")
      ->check(CLI::Range(3, 1024))
      ->capture_default_str();
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
    CSGIS_CHECK(f->procedural != !f->images.empty(), "build-dataset: give exactly one of --procedural and --images DIR");
    CSGIS_CHECK(f->labels.empty() || !f->images.empty(), "build-dataset: --labels needs --images");
    if (!f->images.empty()) {
      const data::Split split = f->split == "train" ? data::Split::Train : data::Split::Val;
      const std::string dir = f->textures.empty() ? data::default_texture_dir() : f->textures;
      const data::TextureSplit textures = data::split_textures(data::load_texture_dir(dir));
      data::VocSmoothConfig cfg;
      cfg.test = f->test;
      cfg.test.stride = std::max(1, f->test.window / 2);
      cfg.textures_per_image = f->textures_per_image;
      cfg.seed = f->seed;
      cfg.threads = f->threads;
      std::unique_ptr<Progress> bar;  // the writer knows the image count
      const data::VocSmoothReport r = data::write_voc_smooth_dataset(
          f->images, f->labels, textures.get(split), f->out, cfg, [&](int done, int total) {
            if (!bar) bar = std::make_unique<Progress>("build-dataset", total, "image");
            bar->update(done);
          });
      if (bar) bar->finish();
      CSGIS_CHECK(r.kept > 0, "build-dataset: none of the ", r.images, " images got a ground truth (no candidate passed the ",
                  "smoothness test, threshold ", cfg.test.threshold, "); ", f->out, "/manifest.json lists every candidate's value");
      std::printf("wrote %lld samples to %s: %d of %d images got a ground truth, %s textures\n",
                  (long long)r.samples, f->out.c_str(), r.kept, r.images, f->split.c_str());
      return 0;
    }
    const data::Split split = f->split == "train" ? data::Split::Train : data::Split::Val;
    const std::string textures = f->textures.empty() ? data::default_texture_dir() : f->textures;
    data::write_procedural_dataset(f->out, f->count, f->size, f->seed, split, textures, f->threads);
    std::printf("wrote %lld %s samples of %dx%d to %s\n", (long long)f->count, f->split.c_str(), f->size, f->size,
                f->out.c_str());
    return 0;
  };
}

}  // namespace csgis::tools
