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
#include "tools/cli_flags.h"
#include "tools/commands.h"
#include "tools/lib/progress.h"

namespace csgis::tools {

namespace {
struct BuildFlags {
  std::string out, split = "val", images, labels;
  std::vector<std::string> textures;
  int textures_per_image = 0, texture_max_side = 512, max_side = 0, crops = 0, crop_size = 0;
  data::SmoothnessTest test;
  int64_t count = 24;
  int size = 128;
  uint64_t seed = 1;
  bool procedural = false;
  int threads = 0;
  std::vector<int> photo_split{120, 26, 4};
};

// One bar per stage, finished when its last unit is done (so its time is its own).
struct StageBars {
  std::string stage;
  std::unique_ptr<Progress> bar;
  void update(const std::string& s, int64_t done, int64_t total) {
    if (s != stage) {
      finish();
      stage = s;
      bar = std::make_unique<Progress>(s, total, s == "samples" ? "sample" : "photo");
    }
    if (!bar) return;
    bar->update(done);
    if (done >= total) finish();
  }
  void finish() {
    if (bar) bar->finish();
    bar.reset();
  }
};

// The warnings for what the build skipped: every item up to a limit, then a count.
void print_rejected(const std::vector<std::pair<std::string, std::string>>& rejected, const std::string& out) {
  const size_t shown = std::min<size_t>(rejected.size(), 20);
  for (size_t i = 0; i < shown; ++i)
    std::fprintf(stderr, "warning: skipped '%s': %s\n", rejected[i].first.c_str(), rejected[i].second.c_str());
  if (rejected.size() > shown)
    std::fprintf(stderr, "warning: ... and %zu more (%s/manifest.json lists every one under \"rejected\")\n",
                 rejected.size() - shown, out.c_str());
}

int build_voc_smooth(const BuildFlags& f) {
  data::VocSmoothConfig cfg;
  cfg.test = f.test;
  cfg.test.stride = std::max(1, f.test.window / 2);
  cfg.max_side = f.max_side;
  cfg.crops = f.crops;
  cfg.crop_size = f.crop_size;
  cfg.textures_per_image = f.textures_per_image;
  cfg.seed = f.seed;
  cfg.threads = f.threads;
  cfg.split = f.split == "train" ? data::PhotoSplit::Train
              : f.split == "val" ? data::PhotoSplit::Val
                                 : data::PhotoSplit::Test;
  if (f.photo_split.size() != 3)
    CSGIS_FAIL("--photo-split: expected three weights train,val,test (e.g. 120,26,4), got ", f.photo_split.size());
  cfg.split_rule = {f.photo_split[0], f.photo_split[1], f.photo_split[2]};
  cfg.validate();  // bad flags fail before the textures load
  const std::vector<std::string> dirs =
      f.textures.empty() ? std::vector<std::string>{data::default_texture_dir()} : f.textures;
  const data::TextureFolders loaded = data::load_texture_folders(dirs, f.texture_max_side);
  for (const auto& [path, why] : loaded.skipped)
    std::fprintf(stderr, "warning: texture '%s' skipped: %s\n", path.c_str(), why.c_str());
  // Training photos blend training textures; val and test photos the held-out ones.
  const data::TextureSplit textures = data::split_textures(loaded.textures);
  const data::Split texture_split = *cfg.split == data::PhotoSplit::Train ? data::Split::Train : data::Split::Val;
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [path, why] : loaded.skipped) skipped.push_back({{"file", path}, {"reason", why}});
  cfg.texture_source = {{"folders", dirs}, {"max_side", f.texture_max_side},
                        {"split", data::split_name(texture_split)},
                        {"split_rule", "fnv1a64(texture name) % 100 < 20: held out (val and test photos)"},
                        {"skipped", skipped}};
  StageBars bars;
  const data::VocSmoothReport r = data::write_voc_smooth_dataset(
      f.images, f.labels, textures.get(texture_split), f.out, cfg,
      [&](const std::string& stage, int64_t done, int64_t total) { bars.update(stage, done, total); });
  bars.finish();
  print_rejected(r.rejected, f.out);
  if (r.ground_truths_resumed > 0)
    std::fprintf(stderr, "resumed: %d of %d photos were already done by an earlier run (%d had their ground truths)\n",
                 r.photos_resumed, r.photos, r.ground_truths_resumed);
  CSGIS_CHECK(r.ground_truths > 0, "build-dataset: none of the ", r.photos, " photos got a ground truth (no ",
              "candidate passed the smoothness test, threshold ", cfg.test.threshold, "); ", f.out,
              "/manifest.json lists every candidate's value");
  std::printf("wrote %lld samples to %s: %d ground truths from %d %s photos, %s textures\n", (long long)r.samples,
              f.out.c_str(), r.ground_truths, r.photos, f.split.c_str(), data::split_name(texture_split));
  return 0;
}

}  // namespace

Runner add_build_dataset_command(CLI::App& app) {
  auto f = std::make_shared<BuildFlags>();
  auto* cmd = app.add_subcommand("build-dataset", "Write a data set folder (input, gt, edge, seg, over, manifest.json)");
  cmd->add_flag("--procedural", f->procedural, "generate procedural structure images blended with textures");
  cmd->add_option("--images", f->images,
                  "folder of real photos (PNG/JPEG) to turn into VOC-smooth samples: classical smoothers,\n"
                  "smoothness test, SSIM selection, texture blending (data/voc_smooth.h). A rerun with the\n"
                  "same flags resumes an interrupted build (OUT/.work)");
  cmd->add_option("--labels", f->labels,
                  "with --images: folder of segmentation labels <stem>.png (VOC palette or grey raw ids);\n"
                  "without it every pixel is 255 (ignore)");
  cmd->add_option("--max-side", f->max_side,
                  "with --images: shrink photos whose longer side exceeds this (area average) first; 0: native")
      ->capture_default_str();
  cmd->add_option("--crops", f->crops,
                  "with --images: ground truths per photo, each a --crop-size square judged on its own\n"
                  "(seeded grid, non-overlapping while they fit; stems <photo>_c<k>); 0: the whole photo")
      ->capture_default_str();
  cmd->add_option("--crop-size", f->crop_size, "with --crops: side of each crop in pixels (after --max-side)")
      ->capture_default_str();
  cmd->add_option("--textures-per-image", f->textures_per_image,
                  "with --images: blend each ground truth with this many random textures of the split (0: all)")
      ->capture_default_str();
  cmd->add_option("--smooth-threshold", f->test.threshold, "with --images: smoothness test threshold (eq. 12)")
      ->capture_default_str();
  cmd->add_option("--smooth-coverage", f->test.min_coverage,
                  "with --images: fraction of the smoothness windows a candidate must leave edge-free to pass\n"
                  "(a light smoother whose kept detail reads as edges everywhere fails; data/voc_smooth.h)")
      ->capture_default_str();
  cmd->add_option("--smooth-window", f->test.window, "with --images: smoothness test window in pixels")
      ->check(CLI::Range(3, 1024))
      ->capture_default_str();
  cmd->add_option("-o,--out", f->out, "output folder (new, or an unfinished build of the same flags to resume)")->required();
  cmd->add_option("--textures", f->textures,
                  "texture folders (comma-separated or repeated): GIMP .pat and PNG/JPEG images, recursively\n"
                  "(default: gimp-data's patterns); 20% held out for validation by name")
      ->delimiter(',');
  cmd->add_option("--texture-max-side", f->texture_max_side,
                  "shrink textures whose longer side exceeds this (area average); 0: native")
      ->capture_default_str();
  cmd->add_option("--split", f->split,
                  "--procedural: texture split, train or val. --images: the photos of this split (train, val\n"
                  "or test, by a hash of the photo's name, see --photo-split), training textures for\n"
                  "train, held-out textures for val and test")
      ->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  cmd->add_option("--photo-split", f->photo_split,
                  "with --images: weights train,val,test of the photo split: fnv1a64(name) % sum picks the split\n"
                  "(default the paper's 120,26,4 ground truths; give the same value to every split's build)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--count", f->count, "number of samples")->check(flags::positive())->capture_default_str();
  cmd->add_option("--size", f->size, flags::kSizeHelp)->check(CLI::Range(16, 4096))->capture_default_str();
  cmd->add_option("--seed", f->seed, "seed of the generator")->capture_default_str();
  flags::threads(cmd, f->threads);  // the files do not depend on it
  return [f, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    f->threads = flags::apply_threads(f->threads);  // worker threads as --threads says; 0 never reaches the builders
    CSGIS_CHECK(f->procedural != !f->images.empty(), "build-dataset: give exactly one of --procedural and --images DIR");
    CSGIS_CHECK(f->labels.empty() || !f->images.empty(), "build-dataset: --labels needs --images");
    if (!f->images.empty()) return build_voc_smooth(*f);
    CSGIS_CHECK(f->split != "test", "build-dataset: --split test needs --images (procedural data has train and val)");
    CSGIS_CHECK(f->max_side == 0 && f->crops == 0 && f->crop_size == 0,
                "build-dataset: --max-side, --crops and --crop-size need --images");
    const data::Split split = f->split == "train" ? data::Split::Train : data::Split::Val;
    const std::vector<std::string> dirs =
        f->textures.empty() ? std::vector<std::string>{data::default_texture_dir()} : f->textures;
    data::ProceduralConfig cfg;
    cfg.size = f->size;
    cfg.seed = f->seed;
    cfg.split = split;
    const data::TextureSplit textures =
        data::split_textures(data::load_texture_folders(dirs, f->texture_max_side).textures);
    data::write_procedural_dataset(f->out, f->count, cfg, textures, f->threads);
    std::printf("wrote %lld %s samples of %dx%d to %s\n", (long long)f->count, f->split.c_str(), f->size, f->size,
                f->out.c_str());
    return 0;
  };
}

}  // namespace csgis::tools
