// `csgis eval` (the paper's Table 1 on a folder of input/ + gt/ pairs: mean SSIM and PSNR of each method against the
// ground truth, as Markdown and JSON, plus a PNG grid of examples) and `csgis tune-gf` (grid search of
// the guided filter's radius and eps on a data set, so the baseline gets its best settings).
// Every method's output is scored as the PNG `csgis smooth` would write (8-bit), so an eval number
// and `csgis metrics` on smooth's files agree.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <omp.h>
#include <sstream>

#include "data/dataset.h"
#include "data/image.h"
#include "data/smoothers/guided_filter.h"
#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "tools/baseline_tuning.h"
#include "tools/baselines.h"
#include "tools/cli_flags.h"
#include "tools/commands.h"
#include "tools/lib/grid.h"
#include "tools/lib/image_metrics.h"
#include "tools/lib/progress.h"
#include "tools/lib/tiled_inference.h"

namespace fs = std::filesystem;
namespace gf = csgis::data::smoothers;

namespace csgis::tools {

namespace {

struct EvalOptions {
  std::string data, weights, methods = "input,net,gf", out, device = "cpu", tune;
  int grid = 4, threads = 0;
  int64_t limit = 0, tune_limit = 24;
  Baselines baselines;
  TileOptions tile;
};

std::string known_methods() { return std::string("input, net, ") + Baselines::kNames; }

struct TuneOptions {
  std::string data, gf_guide = "self";
  std::vector<int> radii{1, 2, 4, 8};
  std::vector<double> eps{1e-3, 1e-2, 0.04, 0.1};
  int64_t limit = 0;
  int threads = 0;
};

// What a PNG written by save_png (clip, round) would hold.
data::Image as_png(const data::Image& img) { return data::quantized_8bit(img); }

// (input, ground truth) of sample i, checked to match in size.
std::pair<data::Image, data::Image> load_pair(const data::PairFolder& ds, int64_t i) {
  const std::string &in = ds.input_path(i), &gt = ds.gt_path(i);
  std::pair<data::Image, data::Image> p{data::load_image(in, 3), data::load_image(gt, 3)};
  check_same_size(p.first, p.second, "'" + in + "'", "'" + gt + "'");
  return p;
}

// Sample k of an evenly spread subset of n samples out of `size` (n <= size): k * size / n, so a
// limit takes every photo of a set sorted by name, not the first ones only.
int64_t spread_index(int64_t k, int64_t n, int64_t size) { return n >= size ? k : k * size / n; }

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return v > 0 ? "inf" : "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

int run_eval(EvalOptions o) {
  std::vector<std::string> methods;
  std::stringstream ss(o.methods);
  for (std::string m; std::getline(ss, m, ',');) {
    if (m != "input" && m != "net" && !Baselines::is_baseline(m))
      CSGIS_FAIL("--methods: unknown method '", m, "' (known: ", known_methods(), ")");
    if (std::find(methods.begin(), methods.end(), m) != methods.end()) CSGIS_FAIL("--methods: '", m, "' given twice");
    methods.push_back(m);
  }
  if (methods.empty()) CSGIS_FAIL("--methods: give at least one of ", known_methods());
  const bool has_net = std::find(methods.begin(), methods.end(), "net") != methods.end();
  o.baselines.validate();
  o.tile.validate();
  if (o.grid < 0) CSGIS_FAIL("--grid-rows must be >= 0, got ", o.grid);
  std::error_code ec;
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec))
    CSGIS_FAIL("cannot write into '", o.out, "': it exists and is not a folder");

  if (o.tune_limit < 0) CSGIS_FAIL("--tune-limit must be >= 0, got ", o.tune_limit);
  const data::PairFolder ds(o.data);
  const int64_t n = o.limit > 0 ? std::min(o.limit, ds.size()) : ds.size();

  // --tune: each classical operator's best setting on the tuning set, before anything is evaluated.
  nlohmann::json tuning = nlohmann::json::array();
  if (!o.tune.empty()) {
    std::error_code same_ec;
    if (fs::equivalent(o.tune, o.data, same_ec))
      CSGIS_FAIL("--tune '", o.tune, "' is the evaluated set itself; tune on the training split");
    const data::PairFolder tune_ds(o.tune);
    const int64_t tn = o.tune_limit > 0 ? std::min(o.tune_limit, tune_ds.size()) : tune_ds.size();
    for (const std::string& m : methods) {
      if (!Baselines::is_baseline(m)) continue;
      Progress tune_bar("tune " + m, tn, "image");
      Baselines chosen;
      const TuneResult r = tune_baseline(
          m, o.baselines, tn, [&](int64_t i) { return load_pair(tune_ds, spread_index(i, tn, tune_ds.size())); },
          [](const data::Image& out, const data::Image& gt) {
            const ImageScores sc = score_images(as_png(out), gt);
            return std::make_pair(sc.psnr, sc.ssim);
          },
          chosen, [&](int64_t d) { tune_bar.update(d); });
      tune_bar.finish("best " + r.scores[r.best].first);
      o.baselines = chosen;
      nlohmann::json j = r.to_json();
      j["tuning_set"] = o.tune;
      j["samples"] = tn;
      tuning.push_back(j);
    }
  }
  std::string weights;
  std::unique_ptr<models::Jess> model;
  if (has_net) {
    weights = resolve_weights(o.weights);
    model = load_smoother(weights, o.device);
  }

  std::vector<ScoreMean> means(methods.size());
  std::vector<double> seconds(methods.size(), 0.0);  // time of each method alone (no I/O, no scoring)
  double megapixels = 0;
  nlohmann::json per_image = nlohmann::json::array();
  std::vector<std::vector<data::Image>> grid_rows;
  Progress bar("eval", n, "image");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t index = spread_index(i, n, ds.size());
    const auto [input, gt] = load_pair(ds, index);
    nlohmann::json row = {{"stem", ds.stems()[size_t(index)]}};
    std::vector<data::Image> cells{input};
    megapixels += double(input.width) * input.height / 1e6;
    for (size_t k = 0; k < methods.size(); ++k) {
      data::Image out;
      const auto t0 = std::chrono::steady_clock::now();
      if (methods[k] == "input") out = input;
      else if (methods[k] == "net") out = to_saved_image(smooth_tensor(*model, input, o.tile));
      else {
        try {
          out = o.baselines.apply(methods[k], input);
        } catch (const std::exception& e) {  // name the sample
          CSGIS_FAIL(methods[k], " on sample '", ds.stems()[size_t(index)], "' of '", o.data, "': ", e.what());
        }
      }
      seconds[k] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (Baselines::is_baseline(methods[k])) out = as_png(out);
      const ImageScores s = score_images(out, gt);
      means[k].add(s);
      row[methods[k]] = {{"psnr", json_number(s.psnr)}, {"ssim", s.ssim}};
      if (methods[k] != "input" && i < o.grid) cells.push_back(std::move(out));
    }
    per_image.push_back(row);
    if (i < o.grid) {
      cells.push_back(gt);
      grid_rows.push_back(std::move(cells));
    }
    bar.update(i + 1);
  }
  bar.finish();

  // Labels and the table, in the paper's Table 1 form.
  auto label = [&](const std::string& m) -> std::string {
    if (m == "input") return "input";
    if (Baselines::is_baseline(m)) return o.baselines.label(m);
    return "network (" + fs::path(weights).filename().string() + ")";
  };
  std::string md = "# Evaluation on `" + o.data + "` (" + std::to_string(n) + " samples)\n\n";
  md += "| method | SSIM | PSNR | s / megapixel |\n|---|---|---|---|\n";
  nlohmann::json table = nlohmann::json::array();
  for (size_t k = 0; k < methods.size(); ++k) {
    const ImageScores m = means[k].mean();
    const double per_mp = megapixels > 0 ? seconds[k] / megapixels : 0.0;
    md += "| " + label(methods[k]) + " | " + fixed(m.ssim, 4) + " | " + fixed(m.psnr, 2) + " | " +
          (methods[k] == "input" ? std::string("-") : fixed(per_mp, 3)) + " |\n";
    table.push_back({{"method", methods[k]}, {"label", label(methods[k])}, {"ssim", m.ssim}, {"psnr", json_number(m.psnr)},
                     {"seconds_per_megapixel", per_mp}});
  }
  const std::string columns = [&] {
    std::string c = "input";
    for (const std::string& m : methods)
      if (m != "input") c += " | " + m;
    return c + " | ground truth";
  }();
  md += "\nPSNR: 10 log10(1/MSE) on RGB in [0,1], no border crop. SSIM: Wang et al. 2004 (11x11 Gaussian, "
        "sigma 1.5, K1 0.01, K2 0.03, valid region, per channel, averaged). Outputs are scored as 8-bit "
        "PNGs (the network's as the reference's show.py writes them: truncated). s / megapixel: wall time of the "
        "method alone in this run (no file I/O, no scoring), " + std::to_string(omp_get_max_threads()) +
        (omp_get_max_threads() == 1 ? " thread.\n" : " threads.\n");
  if (!tuning.empty()) {
    md += "\nClassical operators tuned on `" + o.tune + "` (" + std::to_string(tuning[0]["samples"].get<int64_t>()) +
          " samples, best mean PSNR of each grid; the table uses the best):\n\n| method | setting | PSNR | SSIM |\n|---|---|---|---|\n";
    for (const nlohmann::json& t : tuning)
      for (const nlohmann::json& g : t["grid"])
        md += "| " + t["method"].get<std::string>() + " | " + g["setting"].get<std::string>() +
              (g["setting"] == t["best"] ? " (best)" : "") + " | " +
              (g["psnr"].is_null() ? std::string("inf") : fixed(g["psnr"].get<double>(), 2)) + " | " +
              fixed(g["ssim"].get<double>(), 4) + " |\n";
  }
  if (!grid_rows.empty()) md += "\n`grid.png`: first " + std::to_string(grid_rows.size()) + " samples; columns " + columns + ".\n";
  nlohmann::json report = {{"data", o.data},
                           {"samples", n},
                           {"weights", has_net ? nlohmann::json(weights) : nlohmann::json(nullptr)},
                           {"device", o.device},
                           {"tile", {{"tile", o.tile.tile}, {"overlap", o.tile.overlap}}},
                           {"conventions", {{"psnr", "10 log10(1/MSE), RGB [0,1], no crop; null = infinite"},
                                            {"ssim", "Wang 2004 / scikit-image gaussian_weights, sigma 1.5, valid region"}}},
                           {"methods", table},
                           {"tuning", tuning},
                           {"grid_columns", columns},
                           {"per_image", per_image}};
  report.update(o.baselines.params_json());  // "gf", "rgf", "l0", "rtv": the settings used

  // Everything is computed: only now touch the output folder.
  fs::create_directories(o.out, ec);
  if (ec) CSGIS_FAIL("cannot create folder '", o.out, "': ", ec.message());
  const std::string md_path = (fs::path(o.out) / "report.md").string();
  const std::string json_path = (fs::path(o.out) / "report.json").string();
  const std::string grid_path = (fs::path(o.out) / "grid.png").string();
  const std::string js = report.dump(2) + "\n";
  write_file_atomic(json_path, js.data(), js.size());
  write_file_atomic(md_path, md.data(), md.size());
  if (!grid_rows.empty()) data::save_png(grid_path, make_grid(grid_rows));
  std::printf("%s\nwrote %s, %s%s\n", md.c_str(), md_path.c_str(), json_path.c_str(),
              grid_rows.empty() ? "" : (", " + grid_path).c_str());
  return 0;
}

int run_tune(const TuneOptions& o) {
  const gf::GuideMode guide = parse_gf_guide(o.gf_guide);
  const data::PairFolder ds(o.data);
  const int64_t n = o.limit > 0 ? std::min(o.limit, ds.size()) : ds.size();
  Progress bar("tune-gf", n, "image");
  const gf::GfTuneResult r = gf::tune_guided_filter(
      n, [&](int64_t i) { return load_pair(ds, spread_index(i, n, ds.size())); }, o.radii, o.eps,
      [](const data::Image& out, const data::Image& gt) {
        const ImageScores s = score_images(as_png(out), gt);
        return std::make_pair(s.psnr, s.ssim);
      },
      guide, [&](int64_t done) { bar.update(done); });
  bar.finish();
  std::fprintf(stderr, "radius  eps       PSNR     SSIM\n");
  for (const gf::GfScore& g : r.grid)
    std::fprintf(stderr, "%-7d %-9g %-8s %s\n", g.radius, g.eps, fixed(g.psnr, 3).c_str(), fixed(g.ssim, 4).c_str());
  const nlohmann::json best = {{"radius", r.best.radius}, {"eps", r.best.eps}, {"psnr", json_number(r.best.psnr)},
                               {"ssim", r.best.ssim}, {"guide", gf::guide_mode_name(guide)}, {"samples", n}};
  std::printf("%s\n", best.dump().c_str());
  return 0;
}

}  // namespace

Runner add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "eval", "Mean SSIM and PSNR of each method on a data set (the paper's Table 1), with an example grid");
  cmd->footer(
      "Means over the samples against the ground truth, written to OUT/report.md (Markdown table:\n"
      "method | SSIM | PSNR) and OUT/report.json (with per-image scores), plus OUT/grid.png with the\n"
      "first --grid-rows samples (columns: input, each method's output, ground truth). Conventions as\n"
      "`csgis metrics`; every output is scored as the 8-bit PNG `csgis smooth` would write.");
  auto o = std::make_shared<EvalOptions>();
  flags::data(cmd, o->data);
  flags::weights(cmd, o->weights);
  cmd->add_option("--methods", o->methods,
                  "comma-separated: input (the unfiltered input), net (the network), gf (guided filter),\n"
                  "rgf (rolling guidance filter), l0 (L0 gradient minimisation), rtv (relative total variation),\n"
                  "bf (bilateral filter), wls (weighted least squares), sdf (static/dynamic filter),\n"
                  "ils (iterative least squares, Welsch penalty)")
      ->capture_default_str();
  o->baselines.add_options(cmd);
  cmd->add_option("--tune", o->tune,
                  "data set folder (the TRAINING split) on which each classical operator's parameters are chosen\n"
                  "first: a small grid per operator, best mean PSNR; the table then uses the best (the paper's\n"
                  "\"best result from a set of manual parameters\"); overrides that operator's --NAME-* flags");
  cmd->add_option("--tune-limit", o->tune_limit, "tune on N samples of --tune spread evenly over it (0: all)")
      ->check(flags::non_negative())
      ->capture_default_str();
  cmd->add_option("-o,--out", o->out,
                  "folder for report.md, report.json and grid.png (created; default: runs/eval/<name of the --data folder>)");
  cmd->add_option("--grid-rows", o->grid, "rows of grid.png (the first N evaluated samples, spread over the set with --limit); 0: no grid")
      ->check(flags::non_negative())
      ->capture_default_str();
  flags::limit(cmd, o->limit);
  flags::device(cmd, o->device);
  flags::tiling(cmd, o->tile);
  flags::threads(cmd, o->threads);
  return [o, cmd]() {
    if (!cmd->parsed()) return -1;
    flags::apply_threads(o->threads);
    if (o->out.empty()) o->out = (fs::path("runs") / "eval" / fs::path(o->data).lexically_normal().filename()).string();
    return run_eval(*o);
  };
}

Runner add_tune_gf_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "tune-gf", "Grid search of the guided filter's radius and eps on a data set (best mean PSNR)");
  cmd->footer(
      "Tries every --gf-radius with every --gf-eps (each a comma-separated list here) and maximises\n"
      "mean PSNR (SSIM reported too) over the samples of a data set, meant to be the training set.\n"
      "Prints the grid on stderr and the best as one JSON line on stdout. `csgis eval --tune` does\n"
      "the same for every classical operator at once.");
  auto o = std::make_shared<TuneOptions>();
  flags::data(cmd, o->data);
  // The same flag names and help as in smooth and eval; here each takes a list of values to try.
  cmd->add_option("--gf-radius", o->radii, Baselines::kGfRadiusHelp)->delimiter(',')->capture_default_str();
  cmd->add_option("--gf-eps", o->eps, Baselines::kGfEpsHelp)->delimiter(',')->capture_default_str();
  cmd->add_option("--gf-guide", o->gf_guide, Baselines::kGfGuideHelp)->capture_default_str();
  flags::limit(cmd, o->limit);
  flags::threads(cmd, o->threads);
  return [o, cmd]() {
    if (!cmd->parsed()) return -1;
    flags::apply_threads(o->threads);
    return run_tune(*o);
  };
}

}  // namespace csgis::tools
