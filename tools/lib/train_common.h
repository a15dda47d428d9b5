// What the two training loops of `csgis train` share (trainer.cpp: the smoother; seg_trainer.cpp:
// DeepLabv3+ alone): their data sources, augmentation, the run folder's files and its safety rules,
// the metrics log, the generator state in checkpoints.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "engine/generator.h"
#include "engine/nn/module.h"
#include "engine/optim/optimizer.h"
#include "tools/lib/train_config.h"

namespace csgis::tools {

// A 64-bit mix of two words (splitmix64 finaliser): per-step seeds from (seed, step).
uint64_t mix_seed(uint64_t a, uint64_t b);

// Training and validation sources; the procedural ones share one read of the texture folder.
class TrainSources {
 public:
  explicit TrainSources(const TrainConfig& c) : c_(c) {}
  // "procedural" (count < 0: infinite) or a dataset folder.
  std::shared_ptr<const data::SampleSource> make(const std::string& source, data::Split split, int size,
                                                 int64_t count);

 private:
  const data::TextureSplit& textures();
  const TrainConfig& c_;
  std::optional<data::TextureSplit> textures_;
};

// The validation samples of a config: val_count of val_source, spread evenly over a folder's
// (name-sorted) stems so that every photo of the split is seen.
std::vector<data::Sample> validation_samples(const TrainConfig& c, TrainSources& sources);

data::AugmentConfig augment_config(const TrainConfig& c);
// Batch size, workers, seed and augmentation of the training loader.
data::LoaderConfig loader_config(const TrainConfig& c);

// Every numeric field of the metrics log, as (step, value) series by name.
using History = std::map<std::string, std::vector<std::pair<double, double>>>;

// Keeps the log lines up to `step` (a resumed run rewrites what came after its checkpoint) and
// returns their series.
History reload_log(const std::string& path, int64_t step);

// A fresh run (no resume) into a folder that holds a run would replace it: that needs force.
void refuse_overwriting_a_run(const std::string& out_dir, bool resuming, bool force);

// write_file_atomic's temporaries are "<file>.tmp.<pid>.<n>": one whose process is gone was left
// by a kill and will never be renamed. Those of the run's own files are removed at start.
void remove_stale_temporaries(const std::string& dir);

// Readies the run folder once every check has passed (so a failed start leaves an old run as it
// was): creates it, removes stale temporaries, on a forced fresh run removes the old run's files,
// writes the effective config.json and returns the metrics log's series kept up to `start`.
History open_run_folder(const std::string& out_dir, bool resuming, bool force, const TrainConfig& c, int64_t start);

// The files a run writes into its folder.
const std::vector<std::string>& run_files();

// A run's checkpoint (safetensors, written atomically): the model's state as "model.*", the
// optimizer's as "optim.*"; metadata format, step, optim_step, best_key (the best validation score
// so far), generator (the context's), config, and the caller's `extra` (the architecture).
using Metadata = std::map<std::string, std::string>;
void save_run_checkpoint(const std::string& path, const std::string& format, const TrainConfig& c, nn::Module& model,
                         const optim::Optimizer& opt, int64_t step, const std::string& best_key, double best,
                         const Metadata& extra);

struct RestoredRun {
  int64_t step = 0;
  double best = -1;
};

// Reads a checkpoint of `format`, refuses one whose validation set differs from the config's
// (seed, data.val_*: its best score would be compared with new ones of another set), calls
// check_architecture(metadata) (which throws on a mismatch) and only then loads model, optimizer
// (at the config's lr) and the context generator.
RestoredRun load_run_checkpoint(const std::string& path, const std::string& format, const TrainConfig& c,
                                nn::Module& model, optim::Optimizer& opt, const std::string& best_key,
                                const std::function<void(const Metadata&)>& check_architecture);

// The context generator's state as checkpoint metadata, and back.
std::string generator_state_text(const Generator& g);
void set_generator_state(Generator& g, const std::string& text, const std::string& where);

}  // namespace csgis::tools
