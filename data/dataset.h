// Sample sources and the one on-disk layout every data set uses (procedural, or built by another
// pipeline from real images):
//   DIR/input/<stem>.png   I      RGB 8-bit
//   DIR/gt/<stem>.png      S_gt   RGB 8-bit
//   DIR/edge/<stem>.png    E_gt   grey, 0 or 255
//   DIR/seg/<stem>.png     labels grey, raw class ids (0..20, 255 = ignore) — not a palette PNG:
//                                 stb expands palettes to RGB and the ids would be lost
//   DIR/over/<stem>.png    I_over RGB 8-bit
//   DIR/manifest.json      {"format": "csgis-dataset", "count", "size", "seed", "split",
//                           "generator", "generator_version", "config", "textures": {"train", "val"},
//                           "sample_textures": {stem: texture}}; written last, so its presence
//                           means the writer finished. Optional for readers (a foreign pipeline may
//                           skip it); when present its count must match the files.
// Stems are the input/ file names; every map must exist for every stem, all with the same size.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/procedural.h"
#include "data/sample.h"
#include "data/textures.h"

namespace csgis::data {

// A random-access set of samples; get() is called from several loader threads at once.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t size() const = 0;  // -1: infinite
  virtual Sample get(int64_t index) const = 0;
};

// Samples generated on the fly; count < 0 makes the source infinite.
class ProceduralSource : public SampleSource {
 public:
  ProceduralSource(ProceduralConfig cfg, std::vector<Texture> textures, int64_t count = -1);
  int64_t size() const override { return count_; }
  Sample get(int64_t index) const override;
  const ProceduralConfig& config() const { return cfg_; }

 private:
  ProceduralConfig cfg_;
  std::vector<Texture> textures_;
  int64_t count_;
};

class FolderDataset : public SampleSource {
 public:
  // Lists and checks the layout (every file present, manifest count); sizes are checked per sample
  // on load. Errors name the directory and the offending file.
  explicit FolderDataset(const std::string& dir);
  int64_t size() const override { return int64_t(stems_.size()); }
  Sample get(int64_t index) const override;  // name = path of its input file
  const std::vector<std::string>& stems() const { return stems_; }
  const nlohmann::json& manifest() const { return manifest_; }  // empty object when absent
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::string> stems_;
  nlohmann::json manifest_;
};

// What `csgis eval` scores: DIR/input/<stem>.{png,jpg,jpeg} and DIR/gt/<stem>.{png,jpg,jpeg}, the
// same stems in both (edge/, seg/, over/ and the manifest are not needed). Stems sorted by name.
class PairFolder {
 public:
  explicit PairFolder(const std::string& dir);  // errors name the folder and the unmatched file
  int64_t size() const { return int64_t(stems_.size()); }
  const std::vector<std::string>& stems() const { return stems_; }
  const std::string& input_path(int64_t i) const { return inputs_.at(size_t(i)); }
  const std::string& gt_path(int64_t i) const { return gts_.at(size_t(i)); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::string> stems_, inputs_, gts_;
};

// The five map folders, in the order above.
const std::vector<std::string>& dataset_map_dirs();
// Writes one sample's five PNGs as DIR/<map>/<stem>.png (stem = sample.name); dirs must exist.
void write_sample(const std::string& dir, const Sample& s);

// Generates `count` samples of the given split into DIR (which must not hold a data set already),
// on `threads` threads (0 = hardware concurrency; the files do not depend on it), then the manifest.
void write_procedural_dataset(const std::string& dir, int64_t count, const ProceduralConfig& cfg,
                              const TextureSplit& textures, int threads = 0);
// Convenience: textures from texture_dir, split by split_textures() (20 % validation).
void write_procedural_dataset(const std::string& dir, int64_t count, int size, uint64_t seed,
                              Split split, const std::string& texture_dir = default_texture_dir(),
                              int threads = 0);

}  // namespace csgis::data
