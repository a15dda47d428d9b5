#include "tools/lib/train_common.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/context.h"
#include "engine/io/atomic_file.h"
#include "engine/io/safetensors.h"
#include "models/jess.h"

namespace fs = std::filesystem;

namespace csgis::tools {

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::shared_ptr<const data::SampleSource> TrainSources::make(const std::string& source, data::Split split, int size,
                                                             int64_t count) {
  if (source != "procedural") return std::make_shared<data::FolderDataset>(source);
  data::ProceduralConfig pc;
  pc.size = size;
  pc.seed = c_.seed;
  pc.split = split;
  if (split == data::Split::Train) {  // the texture variety is for training only
    pc.texture_strength_max = c_.texture_strength_max;
    pc.texture_scale_min = c_.texture_scale_min;
    pc.texture_scale_max = c_.texture_scale_max;
    pc.texture_orient = c_.texture_orient;
  }
  return std::make_shared<data::ProceduralSource>(pc, textures().get(split), count);
}

const data::TextureSplit& TrainSources::textures() {
  if (!textures_) {
    const std::string dir = c_.texture_dir.empty() ? data::default_texture_dir() : c_.texture_dir;
    textures_ = data::split_textures(data::load_texture_dir(dir));
  }
  return *textures_;
}

std::vector<data::Sample> validation_samples(const TrainConfig& c, TrainSources& sources) {
  auto src = sources.make(c.val_source, data::Split::Val, c.val_size, c.val_count);
  const int64_t available = src->size();
  CSGIS_CHECK(available > 0, "validation source '", c.val_source, "' has no samples");
  const int64_t n = std::min<int64_t>(available, c.val_count);
  std::vector<data::Sample> samples;
  for (int64_t i = 0; i < n; ++i) samples.push_back(src->get(n >= available ? i : i * available / n));
  return samples;
}

data::AugmentConfig augment_config(const TrainConfig& c) {
  data::AugmentConfig a;
  a.patch = c.patch;
  a.hflip = c.aug_hflip;
  a.rot90 = c.aug_rot90;
  a.max_angle_deg = c.aug_max_angle;
  a.brightness = c.aug_brightness_shift;
  a.brightness_factor_lo = float(c.aug_brightness_range[0]);
  a.brightness_factor_hi = float(c.aug_brightness_range[1]);
  a.contrast = c.aug_contrast;
  a.use_contrast_range = !c.aug_contrast_range.empty();
  if (a.use_contrast_range) {
    a.contrast_lo = float(c.aug_contrast_range[0]);
    a.contrast_hi = float(c.aug_contrast_range[1]);
  }
  a.saturation = c.aug_saturation;
  a.hue = c.aug_hue;
  return a;
}

data::LoaderConfig loader_config(const TrainConfig& c) {
  data::LoaderConfig lc;
  lc.batch_size = c.batch;
  lc.workers = c.workers;
  lc.seed = c.seed;
  lc.clean_fraction = c.clean_fraction;
  lc.augment = c.augment ? augment_config(c) : data::AugmentConfig::none(c.patch);
  return lc;
}

History reload_log(const std::string& path, int64_t step) {
  History h;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("step") || !j["step"].is_number_integer() ||
        j["step"].get<int64_t>() > step)
      continue;
    kept += line + "\n";
    const double s = double(j["step"].get<int64_t>());
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "step" && it.value().is_number()) h[it.key()].emplace_back(s, it.value().get<double>());
  }
  write_file_atomic(path, kept.data(), kept.size());
  return h;
}

const std::vector<std::string>& run_files() {
  static const std::vector<std::string> files{"config.json", "metrics.jsonl", "checkpoint.safetensors",
                                              "best.safetensors", "curve.png", "val_grid.png"};
  return files;
}

void refuse_overwriting_a_run(const std::string& out_dir, bool resuming, bool force) {
  if (resuming || force) return;
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    CSGIS_FAIL("--out '", out_dir, "' exists and is not a folder");
  for (const std::string& f : run_files())
    if (fs::exists(fs::path(out_dir) / f, ec))
      CSGIS_FAIL("'", out_dir, "' holds a run already (", f, "): continue it with --resume ",
                 (fs::path(out_dir) / "checkpoint.safetensors").string(),
                 ", start it over with --force (its files are replaced), or choose another --out");
}

void remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    for (const std::string& f : run_files()) {
      const std::string prefix = f + ".tmp.";
      if (name.rfind(prefix, 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
      if (pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
    }
  }
}

History open_run_folder(const std::string& out_dir, bool resuming, bool force, const TrainConfig& c, int64_t start) {
  fs::create_directories(out_dir);
  remove_stale_temporaries(out_dir);
  if (!resuming && force)
    for (const std::string& f : run_files())
      if (f != "metrics.jsonl" && f != "config.json") fs::remove(fs::path(out_dir) / f);  // the log is rewritten below
  const std::string cfg_text = c.to_json().dump(2) + "\n";
  write_file_atomic((fs::path(out_dir) / "config.json").string(), cfg_text.data(), cfg_text.size());
  return reload_log((fs::path(out_dir) / "metrics.jsonl").string(), start);
}

std::string generator_state_text(const Generator& g) {
  std::ostringstream out;
  for (uint64_t w : g.state()) out << w << " ";
  return out.str();
}

void set_generator_state(Generator& g, const std::string& text, const std::string& where) {
  Generator::State gs{};
  std::istringstream in(text);
  for (auto& w : gs) CSGIS_CHECK(bool(in >> w), where, ": malformed generator state '", text, "'");
  g.set_state(gs);
}

void save_run_checkpoint(const std::string& path, const std::string& format, const TrainConfig& c, nn::Module& model,
                         const optim::Optimizer& opt, int64_t step, const std::string& best_key, double best,
                         const Metadata& extra) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [name, t] : model.state_dict()) tensors.emplace_back(models::kCheckpointModelPrefix + name, t);
  optim::OptimizerState st = opt.state();
  for (auto& [name, t] : st.tensors) tensors.emplace_back("optim." + name, t);
  Metadata meta = extra;
  meta["format"] = format;
  meta["step"] = std::to_string(step);
  meta["optim_step"] = std::to_string(st.step);
  meta[best_key] = std::to_string(best);
  meta["generator"] = generator_state_text(current_context().generator());
  meta["config"] = c.to_json().dump();
  save_safetensors(path, tensors, meta);
}

RestoredRun load_run_checkpoint(const std::string& path, const std::string& format, const TrainConfig& c,
                                nn::Module& model, optim::Optimizer& opt, const std::string& best_key,
                                const std::function<void(const Metadata&)>& check_architecture) {
  SafetensorsFile f = load_safetensors(path);
  auto meta = [&](const std::string& key) -> const std::string& {
    auto it = f.metadata.find(key);
    CSGIS_CHECK(it != f.metadata.end(), "checkpoint '", path, "' has no '", key,
                "' metadata: not a csgis training checkpoint");
    return it->second;
  };
  CSGIS_CHECK(meta("format") == format, "checkpoint '", path, "' has format '", meta("format"), "', expected ",
              format);
  // The best score a checkpoint carries was measured on its validation set: a resume that would
  // build another one (another seed or validation keys) would compare new scores with an old one.
  if (auto it = f.metadata.find("config"); it != f.metadata.end()) {
    const nlohmann::json then = nlohmann::json::parse(it->second, nullptr, false), now = c.to_json();
    for (const char* key : {"/seed", "/data/val_source", "/data/val_count", "/data/val_size", "/data/texture_dir"}) {
      const nlohmann::json::json_pointer ptr(key);
      if (then.is_discarded() || !then.contains(ptr) || !now.contains(ptr) || then.at(ptr) == now.at(ptr)) continue;
      CSGIS_FAIL("checkpoint '", path, "' was written with ", std::string(key + 1), " = ", then.at(ptr).dump(),
                 ", the config says ", now.at(ptr).dump(),
                 ": the validation set would change while the best score kept from the old one stays; resume with the "
                 "checkpoint's value or start a fresh run");
    }
  }
  check_architecture(f.metadata);
  nn::StateDict model_state;
  optim::OptimizerState opt_state;
  for (auto& [name, t] : f.tensors) {
    if (name.rfind(models::kCheckpointModelPrefix, 0) == 0)
      model_state.emplace_back(name.substr(std::string(models::kCheckpointModelPrefix).size()), t);
    else if (name.rfind("optim.", 0) == 0) opt_state.tensors.emplace_back(name.substr(6), t);
    else CSGIS_FAIL("checkpoint '", path, "': unexpected tensor '", name, "'");
  }
  model.load_state_dict(model_state, true);
  opt_state.step = std::stoll(meta("optim_step"));
  opt_state.lr = c.lr;
  opt.load_state(opt_state);
  set_generator_state(current_context().generator(), meta("generator"), "checkpoint '" + path + "'");
  return {std::stoll(meta("step")), std::stod(meta(best_key))};
}

}  // namespace csgis::tools
