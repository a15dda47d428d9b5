// write_voc_smooth_dataset and the VOC label reader (declared in data/voc_smooth.h).
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "data/dataset.h"
#include "data/filters.h"
#include "data/voc_smooth.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/io/atomic_file.h"

namespace fs = std::filesystem;

namespace csgis::data {

std::array<uint8_t, 3> voc_palette_colour(int id) {
  CSGIS_CHECK(id >= 0 && id <= 255, "voc_palette_colour: id must be in [0, 255], got ", id);
  std::array<uint8_t, 3> rgb{0, 0, 0};
  // Bit k of the id's three interleaved bit planes goes to bit 7 - k of R, G and B.
  for (int j = 0, c = id; j < 8; ++j, c >>= 3)
    for (int ch = 0; ch < 3; ++ch) rgb[size_t(ch)] = uint8_t(rgb[size_t(ch)] | (((c >> ch) & 1) << (7 - j)));
  return rgb;
}

LabelMap load_voc_labels(const std::string& path) {
  const Image rgb = load_image(path, 3);
  bool grey = true;
  for (size_t i = 0; i < rgb.pixels.size() && grey; i += 3)
    grey = rgb.pixels[i] == rgb.pixels[i + 1] && rgb.pixels[i] == rgb.pixels[i + 2];
  if (grey) {  // raw ids, as this project's seg/ files (or an all-background palette image: same ids)
    LabelMap out(rgb.width, rgb.height);
    for (size_t i = 0; i < out.data.size(); ++i) out.data[i] = quantize(rgb.pixels[i * 3]);
    return out;
  }
  std::map<uint32_t, uint8_t> ids;
  for (int id : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 255}) {
    const auto c = voc_palette_colour(id);
    ids[uint32_t(c[0]) << 16 | uint32_t(c[1]) << 8 | c[2]] = uint8_t(id);
  }
  LabelMap out(rgb.width, rgb.height);
  for (int y = 0; y < rgb.height; ++y)
    for (int x = 0; x < rgb.width; ++x) {
      const uint32_t r = quantize(rgb.at(x, y, 0)), g = quantize(rgb.at(x, y, 1)), b = quantize(rgb.at(x, y, 2));
      const auto it = ids.find(r << 16 | g << 8 | b);
      CSGIS_CHECK(it != ids.end(), "labels '", path, "': pixel (", x, ", ", y, ") has colour (", r, ", ", g, ", ", b,
                  "), which is not a VOC class colour");
      out.at(x, y) = it->second;
    }
  return out;
}

namespace {


nlohmann::json candidate_json(const CandidateResult& c) {
  return {{"op", c.op},
          {"smooth_value", std::isfinite(c.smooth.value) ? nlohmann::json(c.smooth.value) : nlohmann::json(nullptr)},
          {"smooth_mean", std::isfinite(c.smooth.mean) ? nlohmann::json(c.smooth.mean) : nlohmann::json(nullptr)},
          {"smooth_windows", c.smooth.windows},
          {"pass", c.smooth.pass},
          {"ssim", c.ssim}};
}

}  // namespace

VocSmoothReport write_voc_smooth_dataset(const std::string& images_dir, const std::string& labels_dir,
                                         const std::vector<Texture>& textures, const std::string& out_dir,
                                         const VocSmoothConfig& cfg,
                                         const std::function<void(int, int)>& progress) {
  CSGIS_CHECK(!textures.empty(), "build-dataset: no textures to blend");
  CSGIS_CHECK(cfg.textures_per_image >= 0, "build-dataset: textures per image must be >= 0");
  const fs::path root(out_dir);
  std::error_code ec;
  if (fs::exists(root / "manifest.json", ec) || (fs::is_directory(root / "input", ec) && !fs::is_empty(root / "input", ec)))
    CSGIS_FAIL("build-dataset: '", out_dir, "' already holds a data set; remove it first");
  const std::vector<std::string> files = list_image_files(images_dir);
  CSGIS_CHECK(!files.empty(), "build-dataset: no PNG or JPEG images in '", images_dir, "'");

  // Check every input before writing anything: a bad file late in the folder fails the run early.
  for (const std::string& f : files) {
    const Image img = load_image(f, 3);
    if (labels_dir.empty()) continue;
    const std::string lp = (fs::path(labels_dir) / (fs::path(f).stem().string() + ".png")).string();
    const LabelMap l = load_voc_labels(lp);
    CSGIS_CHECK(l.width == img.width && l.height == img.height, "labels '", lp, "' are ", l.width, "x", l.height,
                " but image '", f, "' is ", img.width, "x", img.height);
  }
  for (const std::string& m : dataset_map_dirs()) {
    fs::create_directories(root / m, ec);
    if (ec) CSGIS_FAIL("build-dataset: cannot create '", (root / m).string(), "': ", ec.message());
  }

  VocSmoothReport report;
  nlohmann::json per_image = nlohmann::json::object(), sample_textures = nlohmann::json::object();
  const int per = cfg.textures_per_image > 0 ? std::min<int>(cfg.textures_per_image, int(textures.size()))
                                             : int(textures.size());
  // One image = one job: its ground truth, then its samples. Jobs share nothing but the output
  // folder (distinct file names) and this bookkeeping, so the files do not depend on the threads.
  struct ImageResult {
    nlohmann::json entry;
    std::vector<std::pair<std::string, std::string>> samples;  // (stem, texture)
    bool kept = false;
  };
  std::vector<ImageResult> results(files.size());
  auto process = [&](size_t fi) {
    const std::string stem = fs::path(files[fi]).stem().string();
    const Image img = load_image(files[fi], 3);
    const GroundTruthChoice choice = choose_ground_truth(img, default_candidate_operators(), cfg.test);
    ImageResult& res = results[fi];
    res.entry = {{"candidates", nlohmann::json::array()}};
    for (const CandidateResult& c : choice.candidates) res.entry["candidates"].push_back(candidate_json(c));
    res.entry["chosen"] = choice.chosen >= 0 ? nlohmann::json(choice.candidates[size_t(choice.chosen)].op) : nlohmann::json(nullptr);
    if (choice.chosen < 0) return;
    res.kept = true;
    const Image& gt = choice.candidates[size_t(choice.chosen)].image;
    const LabelMap edge = sobel_edges(gt, cfg.test.edge_threshold);
    const LabelMap seg = labels_dir.empty() ? LabelMap(gt.width, gt.height, 255)
                                            : load_voc_labels((fs::path(labels_dir) / (stem + ".png")).string());
    // This image's textures: all, or a seeded subset (a partial Fisher-Yates shuffle).
    Generator g(cfg.seed * 0x9e3779b97f4a7c15ULL + fi);
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
      s.over = bilateral_filter(s.input, cfg.over_radius, cfg.over_sigma_color, cfg.over_sigma_space, true);
      s.edge = edge;
      s.seg = seg;
      write_sample(out_dir, s);
      res.samples.emplace_back(s.name, tex.name);
    }
  };
  int threads = cfg.threads > 0 ? cfg.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min<int>(threads, int(files.size()));
  std::atomic<size_t> next{0};
  std::atomic<int> done{0};
  std::mutex mu;  // progress callback and the first error
  std::exception_ptr err;
  auto work = [&] {
    for (size_t fi; (fi = next.fetch_add(1)) < files.size();) {
      try {
        process(fi);
        const int d = ++done;
        std::lock_guard<std::mutex> lk(mu);
        if (progress) progress(d, int(files.size()));
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!err) err = std::current_exception();
        next = files.size();  // stop the others early
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (err) std::rethrow_exception(err);
  for (size_t fi = 0; fi < files.size(); ++fi) {
    per_image[fs::path(files[fi]).stem().string()] = results[fi].entry;
    ++report.images;
    report.kept += results[fi].kept;
    for (const auto& [name, tex] : results[fi].samples) {
      sample_textures[name] = tex;
      ++report.samples;
    }
  }
  std::vector<std::string> texture_names;
  for (const Texture& t : textures) texture_names.push_back(t.name);
  const nlohmann::json manifest = {{"format", "csgis-dataset"},
                                   {"generator", "csgis-voc-smooth"},
                                   {"count", report.samples},
                                   {"images", images_dir},
                                   {"labels", labels_dir.empty() ? nlohmann::json(nullptr) : nlohmann::json(labels_dir)},
                                   {"seed", cfg.seed},
                                   {"config", {{"window", cfg.test.window}, {"stride", cfg.test.stride},
                                               {"edge_threshold", cfg.test.edge_threshold},
                                               {"smooth_threshold", cfg.test.threshold},
                                               {"textures_per_image", cfg.textures_per_image},
                                               {"texture_strength", cfg.texture_strength}}},
                                   {"texture_list", texture_names},
                                   {"ground_truth", per_image},
                                   {"sample_textures", sample_textures}};
  const std::string text = manifest.dump(1) + "\n";
  write_file_atomic((root / "manifest.json").string(), text.data(), text.size());
  return report;
}

}  // namespace csgis::data
