// Folder data sets: the writer (procedural samples, on threads, manifest last) and the validating reader.
#include "data/dataset.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "engine/error.h"
#include "engine/io/atomic_file.h"

namespace csgis::data {

namespace fs = std::filesystem;

const std::vector<std::string>& dataset_map_dirs() {
  static const std::vector<std::string> dirs{"input", "gt", "edge", "seg", "over"};
  return dirs;
}

// ---------------------------------------------------------------- procedural source

ProceduralSource::ProceduralSource(ProceduralConfig cfg, std::vector<Texture> textures, int64_t count)
    : cfg_(cfg), textures_(std::move(textures)), count_(count < 0 ? -1 : count) {
  CSGIS_CHECK(!textures_.empty(), "ProceduralSource: no textures for the ", split_name(cfg_.split),
              " split");
}

Sample ProceduralSource::get(int64_t index) const {
  CSGIS_CHECK(index >= 0 && (count_ < 0 || index < count_), "ProceduralSource: index ", index,
              " out of range (size ", count_, ")");
  return generate_sample(cfg_, textures_, uint64_t(index));
}

// ---------------------------------------------------------------- folder reader

FolderDataset::FolderDataset(const std::string& dir) : dir_(dir), manifest_(nlohmann::json::object()) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) CSGIS_FAIL("dataset '", dir, "': not a directory");
  const fs::path root(dir);
  if (!fs::is_directory(root / "input", ec))
    CSGIS_FAIL("dataset '", dir, "': missing '", (root / "input").string(),
               "' (layout: input/, gt/, edge/, seg/, over/ with the same PNG stems)");
  for (const auto& e : fs::directory_iterator(root / "input", ec))
    if (e.is_regular_file() && e.path().extension() == ".png") stems_.push_back(e.path().stem().string());
  if (ec) CSGIS_FAIL("dataset '", dir, "': cannot list input/: ", ec.message());
  if (stems_.empty()) CSGIS_FAIL("dataset '", dir, "': input/ holds no .png file");
  std::sort(stems_.begin(), stems_.end());
  for (const std::string& m : dataset_map_dirs())
    for (const std::string& s : stems_) {
      const fs::path p = root / m / (s + ".png");
      if (!fs::is_regular_file(p, ec))
        CSGIS_FAIL("dataset '", dir, "': missing '", p.string(), "' (every stem of input/ needs ", m,
                   "/", s, ".png)");
    }
  const fs::path mpath = root / "manifest.json";
  if (fs::exists(mpath, ec)) {
    std::ifstream f(mpath);
    try {
      manifest_ = nlohmann::json::parse(f);
    } catch (const std::exception& e) {
      CSGIS_FAIL("dataset '", dir, "': cannot parse '", mpath.string(), "': ", e.what());
    }
    if (manifest_.contains("count") && manifest_["count"].get<int64_t>() != size())
      CSGIS_FAIL("dataset '", dir, "': manifest.json says ", manifest_["count"].get<int64_t>(),
                 " samples, input/ holds ", size());
  }
}

namespace {
bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// stem -> path of the images in `folder`; two files of one stem (a.png and a.jpg) are refused.
std::map<std::string, std::string> images_by_stem(const std::string& dir, const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    CSGIS_FAIL("data set '", dir, "': missing folder '", folder.string(),
               "' (expected input/ and gt/ with the same image names)");
  std::map<std::string, std::string> by_stem;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (!e.is_regular_file() || !is_image_file(e.path())) continue;
    const auto [it, added] = by_stem.emplace(e.path().stem().string(), e.path().string());
    if (!added)
      CSGIS_FAIL("data set '", dir, "': '", it->second, "' and '", e.path().string(),
                 "' have the same name; keep one image per name");
  }
  if (ec) CSGIS_FAIL("data set '", dir, "': cannot list '", folder.string(), "': ", ec.message());
  return by_stem;
}
}  // namespace

PairFolder::PairFolder(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) CSGIS_FAIL("data set '", dir, "': not a folder");
  const auto inputs = images_by_stem(dir, fs::path(dir) / "input");
  const auto gts = images_by_stem(dir, fs::path(dir) / "gt");
  if (inputs.empty()) CSGIS_FAIL("data set '", dir, "': input/ holds no PNG or JPEG image");
  for (const auto& [stem, path] : inputs) {
    auto it = gts.find(stem);
    if (it == gts.end())
      CSGIS_FAIL("data set '", dir, "': '", path, "' has no ground truth (expected gt/", stem, ".png or .jpg)");
    stems_.push_back(stem);
    inputs_.push_back(path);
    gts_.push_back(it->second);
  }
}

Sample FolderDataset::get(int64_t index) const {
  CSGIS_CHECK(index >= 0 && index < size(), "dataset '", dir_, "': index ", index,
              " out of range (size ", size(), ")");
  const std::string& stem = stems_[size_t(index)];
  auto path = [&](const char* m) { return (fs::path(dir_) / m / (stem + ".png")).string(); };
  Sample s;
  s.name = path("input");
  s.input = load_image(s.name);
  s.gt = load_image(path("gt"));
  s.over = load_image(path("over"));
  s.edge = load_edges(path("edge"));
  s.seg = load_labels(path("seg"));
  if (manifest_.contains("sample_textures") && manifest_["sample_textures"].contains(stem))
    s.texture = manifest_["sample_textures"][stem].get<std::string>();
  const int W = s.input.width, H = s.input.height;
  auto check = [&](const char* m, int w, int h) {
    if (w != W || h != H)
      CSGIS_FAIL("dataset '", dir_, "': '", path(m), "' is ", w, "x", h, " but '", s.name, "' is ", W,
                 "x", H);
  };
  check("gt", s.gt.width, s.gt.height);
  check("over", s.over.width, s.over.height);
  check("edge", s.edge.width, s.edge.height);
  check("seg", s.seg.width, s.seg.height);
  return s;
}

// ---------------------------------------------------------------- writer

void write_sample(const std::string& dir, const Sample& s) {
  CSGIS_CHECK(!s.name.empty() && s.name.find('/') == std::string::npos,
              "write_sample: sample name '", s.name, "' is not a file stem");
  const fs::path root(dir);
  auto path = [&](const char* m) { return (root / m / (s.name + ".png")).string(); };
  save_png(path("input"), s.input);
  save_png(path("gt"), s.gt);
  save_edges_png(path("edge"), s.edge);
  save_png(path("seg"), s.seg);
  save_png(path("over"), s.over);
}

namespace {

nlohmann::json config_json(const ProceduralConfig& c) {
  return {{"texture_strength", c.texture_strength}, {"texture_strength_max", c.texture_strength_max},
          {"texture_scale_min", c.texture_scale_min}, {"texture_scale_max", c.texture_scale_max},
          {"texture_orient", c.texture_orient},     {"antialias", c.antialias},
          {"ignore_boundary", c.ignore_boundary},   {"edge_threshold", c.edge_threshold},
          {"min_layers", c.min_layers},             {"max_layers", c.max_layers},
          {"over_radius", c.over_radius},           {"over_sigma_color", c.over_sigma_color},
          {"over_sigma_space", c.over_sigma_space}};
}

std::vector<std::string> names(const std::vector<Texture>& ts) {
  std::vector<std::string> out;
  for (const Texture& t : ts) out.push_back(t.name);
  return out;
}

}  // namespace

void write_procedural_dataset(const std::string& dir, int64_t count, const ProceduralConfig& cfg,
                              const TextureSplit& textures, int threads) {
  CSGIS_CHECK(count > 0, "write_procedural_dataset: count must be positive, got ", count);
  const fs::path root(dir);
  std::error_code ec;
  if (fs::exists(root / "manifest.json", ec) ||
      (fs::is_directory(root / "input", ec) && !fs::is_empty(root / "input", ec)))
    CSGIS_FAIL("write_procedural_dataset: '", dir, "' already holds a data set; remove it first");
  for (const std::string& m : dataset_map_dirs()) {
    fs::create_directories(root / m, ec);
    if (ec) CSGIS_FAIL("write_procedural_dataset: cannot create '", (root / m).string(), "': ", ec.message());
  }
  const std::vector<Texture>& pool = textures.get(cfg.split);
  CSGIS_CHECK(!pool.empty(), "write_procedural_dataset: no ", split_name(cfg.split), " textures");

  // Every sample depends on its index only, so the thread count changes nothing in the files.
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  threads = int(std::min<int64_t>(threads, count));
  std::vector<std::string> used(static_cast<size_t>(count));
  std::atomic<int64_t> next{0};
  std::exception_ptr err;
  std::mutex err_mu;
  auto work = [&] {
    for (int64_t i; (i = next.fetch_add(1)) < count;) {
      try {
        const Sample s = generate_sample(cfg, pool, uint64_t(i));
        write_sample(dir, s);
        used[size_t(i)] = s.texture;
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu);
        if (!err) err = std::current_exception();
        next = count;  // stop the others early
      }
    }
  };
  std::vector<std::thread> pool_threads;
  for (int t = 1; t < threads; ++t) pool_threads.emplace_back(work);
  work();
  for (auto& t : pool_threads) t.join();
  if (err) std::rethrow_exception(err);

  nlohmann::json sample_textures = nlohmann::json::object();
  for (int64_t i = 0; i < count; ++i) {
    char stem[32];
    std::snprintf(stem, sizeof stem, "%06lld", static_cast<long long>(i));
    sample_textures[stem] = used[size_t(i)];
  }
  const nlohmann::json manifest = {
      {"format", "csgis-dataset"},
      {"generator", "csgis-procedural"},
      {"generator_version", kProceduralVersion},
      {"count", count},
      {"size", cfg.size},
      {"seed", cfg.seed},
      {"split", split_name(cfg.split)},
      {"config", config_json(cfg)},
      {"textures", {{"train", names(textures.train)}, {"val", names(textures.val)}}},
      {"sample_textures", sample_textures}};
  const std::string text = manifest.dump(1) + "\n";
  write_file_atomic((root / "manifest.json").string(), text.data(), text.size());
}

void write_procedural_dataset(const std::string& dir, int64_t count, int size, uint64_t seed,
                              Split split, const std::string& texture_dir, int threads) {
  ProceduralConfig cfg;
  cfg.size = size;
  cfg.seed = seed;
  cfg.split = split;
  write_procedural_dataset(dir, count, cfg, split_textures(load_texture_dir(texture_dir)), threads);
}

}  // namespace csgis::data
