// write_voc_smooth_dataset (declared in data/voc_smooth.h): the three stages, the resume records
// in OUT/.work and the manifest.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "data/dataset.h"
#include "data/voc_smooth.h"
#include "data/voc_smooth_stages.h"
#include "engine/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace csgis::data {

using namespace voc_detail;

namespace {

// The first field where two parameter sets differ ("" when equal), with both values.
std::string first_difference(const json& was, const json& now, const std::string& at) {
  auto show = [](const json& v) {
    std::string s = v.dump();
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
  };
  if (was.is_object() && now.is_object()) {
    std::set<std::string> keys;
    for (auto it = was.begin(); it != was.end(); ++it) keys.insert(it.key());
    for (auto it = now.begin(); it != now.end(); ++it) keys.insert(it.key());
    for (const std::string& k : keys) {
      const std::string d = first_difference(was.value(k, json()), now.value(k, json()), at.empty() ? k : at + "." + k);
      if (!d.empty()) return d;
    }
    return "";
  }
  if (was.is_array() && now.is_array() && was.size() == now.size()) {
    for (size_t i = 0; i < was.size(); ++i) {
      const std::string d = first_difference(was[i], now[i], at + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return was == now ? "" : at + " was " + show(was) + ", now " + show(now);
}

bool sample_files_exist(const fs::path& root, const std::string& stem) {
  std::error_code ec;
  for (const std::string& m : dataset_map_dirs())
    if (!fs::is_regular_file(root / m / (stem + ".png"), ec)) return false;
  return true;
}

// Runs job(i) for i < n on `threads` threads; the first error is rethrown once all have stopped.
void run_parallel(size_t n, int threads, const std::function<void(size_t)>& job) {
  threads = std::max(1, std::min<int>(threads, int(n)));
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr err;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!err) err = std::current_exception();
        next = n;  // stop the others early
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (err) std::rethrow_exception(err);
}

json parameters_json(const std::string& images_dir, const std::string& labels_dir,
                     const std::vector<Texture>& textures, const VocSmoothConfig& cfg) {
  json ops = json::array();
  for (const CandidateOperator& op : cfg.operators) ops.push_back({{"name", op.name}, {"params", op.params}});
  json names = json::array();
  for (const Texture& t : textures) names.push_back(t.name);
  const json p = {
      {"images", images_dir},
      {"labels", labels_dir.empty() ? json(nullptr) : json(labels_dir)},
      {"split", cfg.split ? json(photo_split_name(*cfg.split)) : json("all photos")},
      {"split_rule", cfg.split_rule.describe()},
      {"max_side", cfg.max_side},
      {"resize", "area average (labels: nearest)"},
      {"crops", cfg.crops},
      {"crop_size", cfg.crop_size},
      {"crop_rule", "seeded grid of non-overlapping cells, then seeded random positions (crop_boxes)"},
      {"smoothness", {{"window", cfg.test.window}, {"stride", cfg.test.stride},
                      {"edge_threshold", cfg.test.edge_threshold}, {"threshold", cfg.test.threshold},
                      {"min_coverage", cfg.test.min_coverage}}},
      {"operators", ops},
      {"textures_per_image", cfg.textures_per_image},
      {"texture_strength", cfg.texture_strength},
      {"over", {{"radius", cfg.over_radius}, {"sigma_color", cfg.over_sigma_color},
                {"sigma_space", cfg.over_sigma_space}}},
      {"texture_source", cfg.texture_source},
      {"texture_list", names},
      {"seed", cfg.seed}};
  return json::parse(p.dump());  // as it reads back from disk, so comparisons see equal numbers
}

// Refuses an OUT that holds something else; otherwise creates the folders and params.json.
void open_output(const fs::path& root, const json& params) {
  std::error_code ec;
  const fs::path work = root / ".work";
  const std::string where = "build-dataset: '" + root.string() + "' holds ";
  if (fs::exists(root / "manifest.json", ec)) {
    const json m = read_json(root / "manifest.json");
    if (!m.is_object() || !m.contains("parameters") || m.value("generator", "") != "csgis-voc-smooth")
      CSGIS_FAIL(where, "a data set not built by this builder; remove it or choose another --out");
    const std::string d = first_difference(m.at("parameters"), params, "");
    if (!d.empty()) CSGIS_FAIL(where, "a data set built with different parameters (", d, "); choose another --out");
  } else if (fs::exists(work / "params.json", ec)) {
    const std::string d = first_difference(read_json(work / "params.json"), params, "");
    if (!d.empty())
      CSGIS_FAIL(where, "an unfinished build with different parameters (", d, "); rerun it with its own or remove it");
  } else if (fs::is_directory(root / "input", ec) && !fs::is_empty(root / "input", ec)) {
    CSGIS_FAIL(where, "a data set already; remove it first");
  }
  std::vector<fs::path> dirs = {work / "gt", work / "seg"};
  for (const std::string& m : dataset_map_dirs()) dirs.push_back(root / m);
  for (const fs::path& d : dirs) {
    fs::create_directories(d, ec);
    if (ec) CSGIS_FAIL("build-dataset: cannot create '", d.string(), "': ", ec.message());
  }
  write_json(work / "params.json", params);
}

}  // namespace

VocSmoothReport write_voc_smooth_dataset(const std::string& images_dir, const std::string& labels_dir,
                                         const std::vector<Texture>& textures, const std::string& out_dir,
                                         const VocSmoothConfig& cfg,
                                         const std::function<void(const std::string&, int64_t, int64_t)>& progress) {
  cfg.validate();
  CSGIS_CHECK(!textures.empty(), "build-dataset: no textures to blend");
  const std::vector<std::string> files = list_image_files(images_dir);
  CSGIS_CHECK(!files.empty(), "build-dataset: no PNG or JPEG images in '", images_dir, "'");
  CSGIS_CHECK(!cfg.split || std::any_of(files.begin(), files.end(),
                                        [&](const std::string& f) { return cfg.split_rule.of(fs::path(f).stem().string()) == *cfg.split; }),
              "build-dataset: none of the ", files.size(), " photos of '", images_dir, "' falls in the ",
              photo_split_name(*cfg.split), " split (", cfg.split_rule.describe(), ")");
  const fs::path root(out_dir), work = root / ".work";
  const json params = parameters_json(images_dir, labels_dir, textures, cfg);
  open_output(root, params);
  std::mutex mu;  // progress calls and shared counters
  auto report_progress = [&](const char* stage, int64_t done, int64_t total) {
    std::lock_guard<std::mutex> lk(mu);
    if (progress) progress(stage, done, total);
  };
  VocSmoothReport report;
  json split_members = {{"rule", cfg.split_rule.describe()}, {"train", json::array()}, {"val", json::array()},
                        {"test", json::array()}};
  json rejected = json::array();

  // Stage 1: which photos are this split's, and which of their records an earlier run left valid.
  std::vector<Photo> photos;
  std::set<std::string> stems;
  for (size_t i = 0; i < files.size(); ++i) {
    Photo p;
    p.path = files[i];
    p.stem = fs::path(p.path).stem().string();
    const PhotoSplit s = cfg.split_rule.of(p.stem);
    const bool first = stems.insert(p.stem).second;
    if (first) split_members[photo_split_name(s)].push_back(p.stem);
    if (!cfg.split || *cfg.split == s) {
      if (!first) {
        rejected.push_back({{"photo", p.stem}, {"stem", p.stem},
                            {"reason", "duplicate stem: '" + p.path + "' has the stem of an earlier file"}});
        report.rejected.emplace_back(p.stem, rejected.back().at("reason"));
      } else {
        if (!labels_dir.empty()) p.labels_path = (fs::path(labels_dir) / (p.stem + ".png")).string();
        p.hash = file_hash(p.path);
        p.labels_hash = p.labels_path.empty() ? "none" : file_hash(p.labels_path);
        auto matches = [&](const json& r) {
          return r.is_object() && r.value("photo_hash", "") == p.hash && r.value("labels_hash", "") == p.labels_hash;
        };
        const json gt = read_json(work / (p.stem + ".gt.json")), done = read_json(work / (p.stem + ".done.json"));
        bool done_ok = false, gt_files_ok = false;
        try {  // a record of another shape (edited by hand, another version) is redone, not trusted
          gt_files_ok = matches(gt);
          done_ok = gt_files_ok && matches(done);
          if (done_ok)
            for (auto it = done.at("samples").begin(); it != done.at("samples").end(); ++it)
              done_ok = done_ok && sample_files_exist(root, it.key());
          if (gt_files_ok)
            for (const json& c : gt.at("crops")) {
              const std::string stem = c.at("stem");
              gt_files_ok = gt_files_ok && (c.at("chosen").is_null() || (fs::exists(work / "gt" / (stem + ".png")) &&
                                                                         fs::exists(work / "seg" / (stem + ".png"))));
            }
          for (const json& r : gt.at("rejected")) (void)r.at("reason");
        } catch (const std::exception&) {
          done_ok = gt_files_ok = false;
        }
        if (done_ok || gt_files_ok) p.gt = gt;
        if (done_ok) p.done = done;
        photos.push_back(std::move(p));
      }
    }
    report_progress("checking inputs", int64_t(i + 1), int64_t(files.size()));
  }
  const int threads = cfg.threads > 0 ? cfg.threads : int(std::max(1u, std::thread::hardware_concurrency()));

  // Stage 2: ground truths of the photos that have no valid record.
  std::vector<size_t> todo;
  for (size_t i = 0; i < photos.size(); ++i)
    if (photos[i].gt.is_null())
      todo.push_back(i);
    else
      ++report.ground_truths_resumed;
  std::atomic<int64_t> done_count{0};
  run_parallel(todo.size(), threads, [&](size_t k) {
    photos[todo[k]].gt = ground_truth_record(photos[todo[k]], cfg, work);
    report_progress("ground truths", ++done_count, int64_t(todo.size()));
  });

  // Stage 3: samples of the photos whose samples are not all there.
  todo.clear();
  int64_t samples_todo = 0;
  const int per = samples_per_ground_truth(cfg, textures.size());
  for (size_t i = 0; i < photos.size(); ++i) {
    if (!photos[i].done.is_null()) {
      ++report.photos_resumed;
      continue;
    }
    todo.push_back(i);
    for (const json& c : photos[i].gt.at("crops")) samples_todo += c.at("chosen").is_null() ? 0 : per;
  }
  done_count = 0;
  run_parallel(todo.size(), threads, [&](size_t k) {
    photos[todo[k]].done = samples_record(photos[todo[k]], textures, cfg, out_dir, work,
                                          [&] { report_progress("samples", ++done_count, samples_todo); });
  });

  // Photos of an earlier run that are no longer in this build (removed from the folder): their
  // samples go, so the folder holds exactly what the manifest lists.
  std::error_code ec;
  std::vector<std::string> gone;
  for (const auto& e : fs::directory_iterator(work, ec)) {
    const std::string name = e.path().filename().string(), suffix = ".done.json";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string stem = name.substr(0, name.size() - suffix.size());
    if (std::none_of(photos.begin(), photos.end(), [&](const Photo& p) { return p.stem == stem; })) gone.push_back(stem);
  }
  for (const std::string& stem : gone) {
    remove_samples(out_dir, read_json(work / (stem + ".done.json")));
    fs::remove(work / (stem + ".done.json"), ec);
    fs::remove(work / (stem + ".gt.json"), ec);
  }

  // The manifest, from the records alone: a resumed build writes the same bytes.
  json ground_truth = json::object(), sample_textures = json::object(), members = json::array();
  for (const Photo& p : photos) {
    members.push_back(p.stem);
    for (const json& c : p.gt.at("crops")) {
      json entry = c;
      entry.erase("stem");
      entry["photo"] = p.stem;
      ground_truth[c.at("stem").get<std::string>()] = entry;
      report.ground_truths += !c.at("chosen").is_null();
    }
    for (const json& r : p.gt.at("rejected")) {
      rejected.push_back({{"photo", p.stem}, {"stem", r.at("stem")}, {"reason", r.at("reason")}});
      report.rejected.emplace_back(r.at("stem"), r.at("reason"));
    }
    for (auto it = p.done.at("samples").begin(); it != p.done.at("samples").end(); ++it)
      sample_textures[it.key()] = it.value();
  }
  report.photos = int(photos.size());
  report.samples = int64_t(sample_textures.size());
  write_json(root / "manifest.json",
             {{"format", "csgis-dataset"},
              {"generator", "csgis-voc-smooth"},
              {"count", report.samples},
              {"seed", cfg.seed},
              {"split", params.at("split")},
              {"parameters", params},
              {"photo_split", split_members},
              {"photos", members},
              {"ground_truth", ground_truth},
              {"rejected", rejected},
              {"sample_textures", sample_textures}});
  return report;
}

}  // namespace csgis::data
