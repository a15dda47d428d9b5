// `csgis smooth`: runs the smoothing network (or a classical smoother) on one image or on every
// PNG/JPEG of a folder. `csgis enhance` (the paper's detail-enhancement application) runs the same
// smoothing S and writes clip(I + K (I - S)), the detail layer I - S amplified K times. Everything that can be checked is checked before the first file is
// written (weights, every input decodes, output locations), and each output is written atomically,
// so a failed run leaves what was already on disk intact.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "data/image.h"
#include "data/voc_smooth.h"
#include "engine/error.h"
#include "tools/baselines.h"
#include "data/image8.h"
#include "tools/cli_flags.h"
#include "tools/commands.h"
#include "tools/lib/detail_enhance.h"
#include "tools/lib/grid.h"
#include "tools/lib/progress.h"
#include "tools/lib/tiled_inference.h"

namespace fs = std::filesystem;

namespace csgis::tools {

namespace {

struct SmoothOptions {
  std::string weights, input, output, device = "cpu", method = "net";
  TileOptions tile;
  Baselines baselines;
  bool enhance = false;   // `csgis enhance`: write clip(I + strength (I - S)) instead of S
  double strength = 2.0;  // K of the enhancement; > 0
  std::string grid;       // optional contact sheet: one row per image, input | output
  int threads = 0;        // --threads
  int64_t max_pixels = 400'000'000;  // --max-pixels (0: no limit)
};

// A contact-sheet cell: the image shrunk (area average) to a longer side of at most 512 pixels,
// so that a sheet of many large photos stays small in memory and on disk.
data::Image grid_cell(const data::Image& img) {
  const auto [w, h] = data::limited_size(img.width, img.height, 512);
  return w == img.width && h == img.height ? img : data::resize_area(img, w, h);
}

data::Image to_float(const data::Image8& img) {
  data::Image f(img.width, img.height, 3);
  for (size_t i = 0; i < img.rgb.size(); ++i) f.pixels[i] = float(img.rgb[i]) / 255.f;
  return f;
}

std::string lower_ext(const fs::path& p) {
  std::string e = p.extension().string();
  for (char& ch : e) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return e;
}

// Never replace the user's original: the output may name the input itself, reach it through a
// folder (-i dir/a.png -o dir) or be a hard link to it. Checked for every job, folder mode too.
void refuse_output_onto_input(const std::string& in, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(in, out, ec))
    CSGIS_FAIL("cannot write '", out, "': it is the input '", in, "' (the same file) and would replace it; choose another -o");
}

// (input, output) pairs, with every output location checked; creates nothing.
std::vector<std::pair<std::string, std::string>> plan_jobs(const SmoothOptions& o, bool& folder) {
  std::error_code ec;
  const fs::file_status in_st = fs::status(o.input, ec);
  if (!fs::exists(in_st)) CSGIS_FAIL("cannot read '", o.input, "': no such file or directory");
  const fs::file_status out_st = fs::status(o.output, ec);
  std::vector<std::pair<std::string, std::string>> jobs;
  folder = fs::is_directory(in_st);
  if (folder) {
    const std::vector<std::string> images = data::list_image_files(o.input);
    if (images.empty()) CSGIS_FAIL("cannot read '", o.input, "': the folder holds no .png/.jpg/.jpeg file");
    if (fs::exists(out_st) && !fs::is_directory(out_st))
      CSGIS_FAIL("cannot write '", o.output, "': it exists and is not a folder (a folder input needs a folder -o)");
    if (fs::exists(out_st) && fs::equivalent(o.input, o.output, ec))
      CSGIS_FAIL("cannot write '", o.output, "': it is the input folder and outputs would replace inputs; choose another -o");
    std::set<std::string> seen;
    for (const std::string& in : images) {
      const std::string out = (fs::path(o.output) / (fs::path(in).stem().string() + ".png")).string();
      if (!seen.insert(out).second)
        CSGIS_FAIL("cannot write '", out, "': two inputs of '", o.input, "' share its name (e.g. x.png and x.jpg)");
      refuse_output_onto_input(in, out);
      jobs.emplace_back(in, out);
    }
    return jobs;
  }
  std::string out = o.output;
  if (fs::is_directory(out_st)) {
    out = (fs::path(o.output) / (fs::path(o.input).stem().string() + ".png")).string();
  } else {
    if (lower_ext(out) != ".png") CSGIS_FAIL("cannot write '", out, "': outputs are PNG, give a name ending in .png");
    const fs::path parent = fs::path(out).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
      CSGIS_FAIL("cannot write '", out, "': folder '", parent.string(), "' does not exist");
  }
  refuse_output_onto_input(o.input, out);
  jobs.emplace_back(o.input, out);
  return jobs;
}

int run_smooth(SmoothOptions o) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool net = o.method == "net";
  if (!net && !Baselines::is_baseline(o.method))
    CSGIS_FAIL("--method '", o.method, "': expected net or one of ", Baselines::kNames);
  if (o.enhance && !(std::isfinite(o.strength) && o.strength > 0))
    CSGIS_FAIL("--strength ", o.strength, ": expected a number > 0");
  o.baselines.validate();
  if (net) o.tile.validate();
  bool folder = false;
  const auto jobs = plan_jobs(o, folder);
  if (!o.grid.empty()) {
    std::error_code ec;
    const fs::path parent = fs::path(o.grid).parent_path();
    if (lower_ext(o.grid) != ".png") CSGIS_FAIL("--grid '", o.grid, "': the contact sheet is a PNG, give a name ending in .png");
    if (!parent.empty() && !fs::is_directory(parent, ec))
      CSGIS_FAIL("--grid '", o.grid, "': folder '", parent.string(), "' does not exist");
  }
  std::unique_ptr<models::Jess> model;
  if (net) model = load_smoother(resolve_weights(o.weights), o.device);

  // The network runs on 8-bit images in bands and writes rows as they are done (memory: the 8-bit
  // input, 3 bytes per pixel, plus a band); the classical operators are global and need the whole
  // float image. A single file is decoded before anything is written. In a folder, an image that
  // cannot be decoded is skipped and named at the end: it must not keep the others from being smoothed.
  struct Decoded {
    data::Image8 bytes;  // --method net
    data::Image floats;  // classical operators
    int width = 0, height = 0;
  };
  auto decode = [&](const std::string& path) {
    Decoded d;
    if (net) {
      d.bytes = data::load_image8(path, o.max_pixels);
      d.width = d.bytes.width, d.height = d.bytes.height;
    } else {
      const auto [w, h] = data::image_size(path);
      if (o.max_pixels > 0 && int64_t(w) * h > o.max_pixels)
        CSGIS_FAIL("'", path, "' is ", w, "x", h, " (", int64_t(w) * h, " pixels), more than --max-pixels ",
                   o.max_pixels, "; raise --max-pixels if this machine has the memory (tens of bytes per pixel for ",
                   o.method, ")");
      d.floats = data::load_image(path, 3);
      d.width = d.floats.width, d.height = d.floats.height;
    }
    return d;
  };
  Decoded single;
  if (!folder) single = decode(jobs[0].first);
  std::vector<std::pair<std::string, std::string>> unreadable;  // (input, reason)
  if (folder) {
    std::error_code ec;
    fs::create_directories(o.output, ec);
    if (ec) CSGIS_FAIL("cannot create folder '", o.output, "': ", ec.message());
  }

  const char* verb = o.enhance ? "enhance" : "smooth";
  Progress images(verb, int64_t(jobs.size()), "image");
  int tiles_total = 0;
  std::vector<std::vector<data::Image>> grid_rows;
  for (size_t i = 0; i < jobs.size(); ++i) {
    Decoded in;
    if (!folder) {
      in = std::move(single);
      single.width = in.width, single.height = in.height;  // for the last line
    } else {
      try {
        in = decode(jobs[i].first);
      } catch (const std::exception& e) {
        unreadable.emplace_back(jobs[i].first, e.what());
        images.update(int64_t(i + 1), fs::path(jobs[i].first).filename().string());
        continue;
      }
    }
    if (net) {
      const int W = in.width, H = in.height;
      const int tiles = tile_count(H, W, o.tile);
      tiles_total += tiles;
      // A single large image: show progress per window instead of per image.
      std::unique_ptr<Progress> tile_bar;
      if (!folder && tiles > 1) tile_bar = std::make_unique<Progress>(verb, tiles, "tile");
      data::PngRowWriter writer(jobs[i].second, W, H);  // the file appears only at finish()
      std::vector<uint8_t> line(size_t(W) * 3), kept;    // kept: the output, for --grid only
      if (!o.grid.empty()) kept.reserve(size_t(W) * size_t(H) * 3);
      const double k = o.strength;
      smooth_rows(
          *model, in.bytes, o.tile,
          [&](int y, const float* s) {
            const uint8_t* src = in.bytes.row(y);
            for (int x = 0; x < W; ++x)
              for (int c = 0; c < 3; ++c) {
                const float v = s[size_t(c) * W + size_t(x)];
                uint8_t& b = line[size_t(x) * 3 + size_t(c)];
                if (o.enhance) {  // enhance_detail's clip(I + K (I - clip(S))), rounded as save_png
                  const float img = float(src[size_t(x) * 3 + size_t(c)]) / 255.f;
                  const double sc = std::clamp(double(v), 0.0, 1.0);
                  b = data::quantize(float(std::clamp(img + k * (img - sc), 0.0, 1.0)));
                } else {  // the reference's uint8(clip(S1 * 255)), truncating (models::jess_to_uint8)
                  const double t = double(v) * 255.0;
                  b = uint8_t(t >= 255.0 ? 255.0 : (t > 0.0 ? t : 0.0));
                }
              }
            writer.write_row(line.data());
            if (!o.grid.empty()) kept.insert(kept.end(), line.begin(), line.end());
          },
          [&](int done, int) {
            if (tile_bar) tile_bar->update(done);
          });
      writer.finish();
      if (tile_bar) tile_bar->finish();
      if (!o.grid.empty()) {
        data::Image8 out8{W, H, std::move(kept)};
        grid_rows.push_back({grid_cell(to_float(in.bytes)), grid_cell(to_float(out8))});
      }
    } else {
      const data::Image& img = in.floats;
      data::Image out;
      try {
        out = o.baselines.apply(o.method, img);
      } catch (const std::exception& e) {  // name the image: in a folder run the others are done
        CSGIS_FAIL("--method ", o.method, " on '", jobs[i].first, "': ", e.what());
      }
      if (o.enhance) out = enhance_detail(img, out, o.strength);
      data::save_png(jobs[i].second, out);  // clipped and rounded by save_png
      if (!o.grid.empty()) grid_rows.push_back({grid_cell(img), grid_cell(data::quantized_8bit(out))});
    }
    if (folder) images.update(int64_t(i + 1), fs::path(jobs[i].first).filename().string());
  }
  if (folder) images.finish();
  if (!o.grid.empty()) data::save_png(o.grid, make_grid(grid_rows));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char strength[32];
  std::snprintf(strength, sizeof strength, "%g", o.strength);
  const std::string what = (o.enhance ? "detail x" + std::string(strength) + " over " : std::string()) +
                           (net ? "network" : o.baselines.label(o.method));
  if (folder) {
    const size_t done = jobs.size() - unreadable.size();
    std::printf("%s %zu of %zu images from '%s' into '%s' (%s, %.1fs)\n", o.enhance ? "enhanced" : "smoothed", done,
                jobs.size(), o.input.c_str(), o.output.c_str(), what.c_str(), secs);
    if (!unreadable.empty()) {
      // Each reason already names its file ("cannot read 'x.png': ...").
      for (const auto& [file, reason] : unreadable) std::fprintf(stderr, "csgis: error: %s\n", reason.c_str());
      std::fprintf(stderr, "csgis: error: %zu of %zu images in '%s' could not be read (above); %zu %s into '%s'\n",
                   unreadable.size(), jobs.size(), o.input.c_str(), done, o.enhance ? "enhanced" : "smoothed",
                   o.output.c_str());
      return 1;
    }
  } else
    std::printf("wrote '%s' (%dx%d, %s%s, %.1fs)\n", jobs[0].second.c_str(), single.width, single.height,
                what.c_str(),
                net ? (", " + std::to_string(tiles_total) + (tiles_total == 1 ? " tile" : " tiles")).c_str() : "",
                secs);
  return 0;
}

}  // namespace

namespace {

// The flags `smooth` and `enhance` share.
void add_shared_options(CLI::App* cmd, SmoothOptions* o) {
  cmd->add_option("-i,--input", o->input, "input image, or a folder of PNG/JPEG images")->required();
  cmd->add_option("-o,--out", o->output,
                  "output PNG (or an existing folder) for a file input; a folder (created) for a folder input,\n"
                  "holding <stem>.png per input")->required();
  flags::weights(cmd, o->weights);
  flags::device(cmd, o->device);
  flags::tiling(cmd, o->tile);
  flags::threads(cmd, o->threads);
  cmd->add_option("--max-pixels", o->max_pixels,
                  "refuse images with more pixels than this (0: no limit); the network needs about 3 bytes per\n"
                  "pixel plus a band of windows, the classical operators tens of bytes per pixel")
      ->check(flags::non_negative())
      ->capture_default_str();
  cmd->add_option("--method", o->method,
                  "net (the network), or a classical baseline that needs no weights: gf (guided filter),\n"
                  "rgf (rolling guidance filter), l0 (L0 gradient minimisation), rtv (relative total variation),\n"
                  "bf (bilateral filter), wls (weighted least squares), sdf (static/dynamic filter),\n"
                  "ils (iterative least squares, Welsch penalty)")
      ->capture_default_str();
  cmd->add_option("--grid", o->grid, "also write this PNG: one row per image, input | output (a contact sheet; images with a\n"
                  "side over 512 pixels are shown shrunk to 512)");
  o->baselines.add_options(cmd);
}

}  // namespace

Runner add_smooth_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "smooth", "Smooth an image, or every PNG/JPEG of a folder, with the network (or a classical smoother)");
  cmd->footer(
      "Outputs are RGB PNGs quantised as the reference's show.py: uint8(clip(S1 * 255)), truncating.\n"
      "Images larger than --tile are processed in overlapping windows blended with linear ramps, one\n"
      "band of windows at a time, and the output PNG is written row by row: the network needs the 8-bit\n"
      "image (3 bytes per pixel) plus one band. The classical operators are global and hold the whole\n"
      "image in floats. On clip art and cartoons, --method net removes texture.");
  auto o = std::make_shared<SmoothOptions>();
  add_shared_options(cmd, o.get());
  return [o, cmd]() {
    if (!cmd->parsed()) return -1;
    flags::apply_threads(o->threads);
    return run_smooth(*o);
  };
}

Runner add_enhance_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "enhance", "Detail enhancement: clip(I + K (I - S)) with S the smoothing of the network (or a classical smoother)");
  cmd->footer(
      "The detail layer I - S is what the smoothing removed (texture, fine detail); adding it back K times\n"
      "sharpens it while the structure S keeps its edges. Outputs are RGB PNGs, clipped to [0, 1].");
  auto o = std::make_shared<SmoothOptions>();
  o->enhance = true;
  add_shared_options(cmd, o.get());
  cmd->add_option("--strength", o->strength, "K: how many times the detail layer is added (> 0)")->capture_default_str();
  return [o, cmd]() {
    if (!cmd->parsed()) return -1;
    flags::apply_threads(o->threads);
    return run_smooth(*o);
  };
}

}  // namespace csgis::tools
