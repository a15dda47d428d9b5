// One photo's stages of the VOC-smooth builder and the .work records (data/voc_smooth_stages.h).
#include "data/voc_smooth_stages.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "data/dataset.h"
#include "data/filters.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/io/atomic_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace csgis::data::voc_detail {

namespace {

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json candidate_json(const CandidateResult& c) {
  return {{"op", c.op},
          {"smooth_value", finite_or_null(c.smooth.value)},
          {"smooth_mean", finite_or_null(c.smooth.mean)},
          {"smooth_windows", c.smooth.windows},
          {"smooth_total_windows", c.smooth.total_windows},
          {"pass", c.smooth.pass},
          {"ssim", c.ssim}};
}

// Why a ground truth has none: the candidate closest to passing, in numbers.
std::string no_candidate_reason(const GroundTruthChoice& choice, const SmoothnessTest& test) {
  const CandidateResult* best = nullptr;
  for (const CandidateResult& c : choice.candidates)
    if (!best || c.smooth.value < best->smooth.value) best = &c;
  char buf[224];
  if (!best || !std::isfinite(best->smooth.value))
    std::snprintf(buf, sizeof buf, "no candidate passed the smoothness test (none has an edge-free %dx%d window)",
                  test.window, test.window);
  else if (best->smooth.value < test.threshold)  // flat where judged, but too little of it edge-free
    std::snprintf(buf, sizeof buf,
                  "no candidate passed the smoothness test (best: %s %.3g, but only %d of %d windows edge-free, "
                  "coverage %.2f needed)",
                  best->op.c_str(), best->smooth.value, best->smooth.windows, best->smooth.total_windows,
                  test.min_coverage);
  else
    std::snprintf(buf, sizeof buf, "no candidate passed the smoothness test (best: %s %.3g >= %.3g)", best->op.c_str(),
                  best->smooth.value, test.threshold);
  return buf;
}

}  // namespace

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "missing";
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)fnv1a64(bytes));
  return buf;
}

void write_json(const fs::path& path, const json& j) {
  const std::string text = j.dump(1) + "\n";
  write_file_atomic(path.string(), text.data(), text.size());
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(nullptr) : j;
}

void remove_samples(const std::string& out_dir, const json& done_record) {
  if (!done_record.is_object() || !done_record.contains("samples") || !done_record.at("samples").is_object()) return;
  std::error_code ec;
  for (auto it = done_record.at("samples").begin(); it != done_record.at("samples").end(); ++it)
    for (const std::string& m : dataset_map_dirs()) fs::remove(fs::path(out_dir) / m / (it.key() + ".png"), ec);
}

json ground_truth_record(const Photo& p, const VocSmoothConfig& cfg, const fs::path& work) {
  json rec = {{"photo_hash", p.hash}, {"labels_hash", p.labels_hash}, {"crops", json::array()},
              {"rejected", json::array()}};
  auto reject = [&](const std::string& stem, const std::string& reason) {
    rec["rejected"].push_back({{"stem", stem}, {"reason", reason}});
    write_json(work / (p.stem + ".gt.json"), rec);
    return rec;
  };
  Image img;
  try {
    img = load_image(p.path, 3);
  } catch (const std::exception& e) {
    return reject(p.stem, std::string("unreadable: ") + e.what());
  }
  LabelMap labels(img.width, img.height, 255);
  if (!p.labels_path.empty()) {
    try {
      labels = load_voc_labels(p.labels_path);
    } catch (const std::exception& e) {
      return reject(p.stem, std::string("labels: ") + e.what());
    }
    if (labels.width != img.width || labels.height != img.height)
      return reject(p.stem, "labels size mismatch: '" + p.labels_path + "' is " + std::to_string(labels.width) + "x" +
                                std::to_string(labels.height) + ", the photo " + std::to_string(img.width) + "x" +
                                std::to_string(img.height));
  }
  rec["size"] = {img.width, img.height};
  const auto [w, h] = limited_size(img.width, img.height, cfg.max_side);
  if (w != img.width || h != img.height) {
    img = resize_area(img, w, h);
    labels = resize_labels_nearest(labels, w, h);
  }
  rec["resized"] = {w, h};
  const std::string size_text = std::to_string(w) + "x" + std::to_string(h);
  std::vector<std::pair<std::string, CropBox>> boxes;
  if (cfg.crops == 0) {
    if (std::min(w, h) < 11) return reject(p.stem, "too small: " + size_text + " (the SSIM window needs 11x11)");
    boxes.push_back({p.stem, CropBox{0, 0, 0}});
  } else {
    if (std::min(w, h) < cfg.crop_size)
      return reject(p.stem, "smaller than the crop: " + size_text + " after resizing, crop " +
                                std::to_string(cfg.crop_size) + "x" + std::to_string(cfg.crop_size));
    const auto cb = crop_boxes(w, h, cfg.crops, cfg.crop_size, cfg.seed, p.stem);
    for (size_t k = 0; k < cb.size(); ++k) boxes.push_back({p.stem + "_c" + std::to_string(k), cb[k]});
  }
  for (const auto& [stem, box] : boxes) {
    const int bw = box.size ? box.size : w, bh = box.size ? box.size : h;
    Image sub(bw, bh, 3);
    LabelMap sub_labels(bw, bh);
    for (int y = 0; y < bh; ++y)
      for (int x = 0; x < bw; ++x) {
        for (int c = 0; c < 3; ++c) sub.at(x, y, c) = img.at(box.x + x, box.y + y, c);
        sub_labels.at(x, y) = labels.at(box.x + x, box.y + y);
      }
    // A smoother that fails on this crop (e.g. a solver that does not converge) rejects the crop,
    // with the reason, and the build goes on: one odd photo must not stop a long run.
    GroundTruthChoice choice;
    try {
      choice = choose_ground_truth(sub, cfg.operators, cfg.test);
    } catch (const std::exception& e) {
      rec["rejected"].push_back({{"stem", stem}, {"reason", std::string("a smoother failed: ") + e.what()}});
      rec["crops"].push_back({{"stem", stem}, {"box", {box.x, box.y, bw, bh}}, {"candidates", json::array()},
                              {"chosen", nullptr}});
      continue;
    }
    json entry = {{"stem", stem}, {"box", {box.x, box.y, bw, bh}}, {"candidates", json::array()}, {"chosen", nullptr}};
    for (const CandidateResult& c : choice.candidates) entry["candidates"].push_back(candidate_json(c));
    if (choice.chosen >= 0) {
      entry["chosen"] = choice.candidates[size_t(choice.chosen)].op;
      save_png((work / "gt" / (stem + ".png")).string(), choice.candidates[size_t(choice.chosen)].image);
      save_png((work / "seg" / (stem + ".png")).string(), sub_labels);
    } else {
      rec["rejected"].push_back({{"stem", stem}, {"reason", no_candidate_reason(choice, cfg.test)}});
    }
    rec["crops"].push_back(std::move(entry));
  }
  write_json(work / (p.stem + ".gt.json"), rec);
  return rec;
}

int samples_per_ground_truth(const VocSmoothConfig& cfg, size_t textures) {
  return cfg.textures_per_image > 0 ? std::min<int>(cfg.textures_per_image, int(textures)) : int(textures);
}

// The ground truths are read back from .work, so a resumed build blends the very bytes an
// uninterrupted one does.
json samples_record(const Photo& p, const std::vector<Texture>& textures, const VocSmoothConfig& cfg,
                    const std::string& out_dir, const fs::path& work, const std::function<void()>& on_sample) {
  json rec = {{"photo_hash", p.hash}, {"labels_hash", p.labels_hash}, {"samples", json::object()}};
  remove_samples(out_dir, read_json(work / (p.stem + ".done.json")));  // of an earlier version of the photo
  const int per = samples_per_ground_truth(cfg, textures.size());
  for (const json& crop : p.gt.at("crops")) {
    if (crop.at("chosen").is_null()) continue;
    const std::string stem = crop.at("stem");
    const Image gt = load_image((work / "gt" / (stem + ".png")).string(), 3);
    const LabelMap seg = load_labels((work / "seg" / (stem + ".png")).string());
    const LabelMap edge = sobel_edges(gt, cfg.test.edge_threshold);
    // The over-smoothed negative of this ground truth (paper sec. 4.4): of the clean image, so one
    // for all its textured inputs.
    const Image over = bilateral_filter(gt, cfg.over_radius, cfg.over_sigma_color, cfg.over_sigma_space, true);
    // This ground truth's textures: all, or a seeded subset (a partial Fisher-Yates shuffle).
    Generator g(cfg.seed * 0x9e3779b97f4a7c15ULL ^ fnv1a64(stem));
    std::vector<int> order(textures.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
    for (int i = 0; i < per && cfg.textures_per_image > 0; ++i)
      std::swap(order[size_t(i)], order[size_t(i) + g.randint(order.size() - size_t(i))]);
    for (int k = 0; k < per; ++k) {
      const Texture& tex = textures[size_t(order[size_t(k)])];
      Sample s;
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "_%03d", order[size_t(k)]);
      s.name = stem + suffix;
      s.texture = tex.name;
      s.gt = gt;
      s.input = blend_texture(gt, tex, g, cfg.texture_strength);
      s.over = over;
      s.edge = edge;
      s.seg = seg;
      write_sample(out_dir, s);
      rec["samples"][s.name] = tex.name;
      on_sample();
    }
  }
  write_json(work / (p.stem + ".done.json"), rec);
  return rec;
}

}  // namespace csgis::data::voc_detail
