// The builder's inputs (declared in data/voc_smooth.h): resizing, crop boxes, the photo split,
// texture folders, VOC labels and the flag checks.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "data/voc_smooth.h"
#include "engine/error.h"
#include "engine/generator.h"

namespace fs = std::filesystem;

namespace csgis::data {

namespace {

// Source taps of each output pixel along one axis: output j covers [j s, (j + 1) s) with
// s = n / m; source pixel i contributes the length of [i, i + 1) inside it, divided by s.
struct Tap {
  int index;
  double weight;
};
std::vector<std::vector<Tap>> area_taps(int n, int m) {
  std::vector<std::vector<Tap>> taps(static_cast<size_t>(m));
  const double s = double(n) / m;
  for (int j = 0; j < m; ++j) {
    const double lo = j * s, hi = (j + 1) * s;
    for (int i = int(lo); i < n && i < hi; ++i) {
      const double cover = std::min(hi, double(i + 1)) - std::max(lo, double(i));
      if (cover > 0) taps[size_t(j)].push_back({i, cover / s});
    }
  }
  return taps;
}

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

}  // namespace

Image resize_area(const Image& img, int width, int height) {
  CSGIS_CHECK(width >= 1 && height >= 1, "resize_area: target size must be >= 1, got ", width, "x", height);
  CSGIS_CHECK(!img.empty(), "resize_area: empty image");
  if (width == img.width && height == img.height) return img;
  const int C = img.channels;
  const auto tx = area_taps(img.width, width), ty = area_taps(img.height, height);
  Image rows(width, img.height, C);  // horizontal pass
#pragma omp parallel for
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < C; ++c) {
        double acc = 0;
        for (const Tap& t : tx[size_t(x)]) acc += t.weight * img.at(t.index, y, c);
        rows.at(x, y, c) = float(acc);
      }
  Image out(width, height, C);
#pragma omp parallel for
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < C; ++c) {
        double acc = 0;
        for (const Tap& t : ty[size_t(y)]) acc += t.weight * rows.at(x, t.index, c);
        out.at(x, y, c) = float(acc);
      }
  return out;
}

LabelMap resize_labels_nearest(const LabelMap& labels, int width, int height) {
  CSGIS_CHECK(width >= 1 && height >= 1, "resize_labels_nearest: target size must be >= 1");
  LabelMap out(width, height);
  for (int y = 0; y < height; ++y) {
    const int sy = std::min(labels.height - 1, int((y + 0.5) * labels.height / height));
    for (int x = 0; x < width; ++x)
      out.at(x, y) = labels.at(std::min(labels.width - 1, int((x + 0.5) * labels.width / width)), sy);
  }
  return out;
}

std::pair<int, int> limited_size(int width, int height, int max_side) {
  const int longer = std::max(width, height);
  if (max_side <= 0 || longer <= max_side) return {width, height};
  auto scaled = [&](int side) { return std::max(1, int(std::lround(double(side) * max_side / longer))); };
  return {width >= height ? max_side : scaled(width), height > width ? max_side : scaled(height)};
}

std::vector<CropBox> crop_boxes(int width, int height, int count, int size, uint64_t seed,
                                const std::string& photo_stem) {
  CSGIS_CHECK(size >= 1 && size <= std::min(width, height), "crop_boxes: crop ", size, " does not fit ", width, "x",
              height);
  Generator g(seed * 0x9e3779b97f4a7c15ULL ^ fnv1a64("crops/" + photo_stem));
  const int nx = width / size, ny = height / size;
  const int ox = int(g.randint(uint64_t(width - nx * size + 1))), oy = int(g.randint(uint64_t(height - ny * size + 1)));
  std::vector<int> cells(size_t(nx) * ny);
  for (size_t i = 0; i < cells.size(); ++i) cells[i] = int(i);
  std::vector<CropBox> boxes;
  for (int k = 0; k < count; ++k) {
    if (size_t(k) < cells.size()) {
      std::swap(cells[size_t(k)], cells[size_t(k) + g.randint(cells.size() - size_t(k))]);
      boxes.push_back({ox + (cells[size_t(k)] % nx) * size, oy + (cells[size_t(k)] / nx) * size, size});
    } else {
      const int x = int(g.randint(uint64_t(width - size + 1)));
      boxes.push_back({x, int(g.randint(uint64_t(height - size + 1))), size});
    }
  }
  return boxes;
}


const char* photo_split_name(PhotoSplit s) {
  return s == PhotoSplit::Train ? "train" : s == PhotoSplit::Val ? "val" : "test";
}

PhotoSplit PhotoSplitRule::of(const std::string& photo_stem) const {
  const uint64_t h = fnv1a64(photo_stem) % uint64_t(train + val + test);
  return h < uint64_t(train) ? PhotoSplit::Train : h < uint64_t(train + val) ? PhotoSplit::Val : PhotoSplit::Test;
}

std::string PhotoSplitRule::describe() const {
  const int n = train + val + test;
  std::string s = "fnv1a64(photo stem) % " + std::to_string(n) + ": [0, " + std::to_string(train) + ") train, [" +
                  std::to_string(train) + ", " + std::to_string(train + val) + ") val, [" + std::to_string(train + val) +
                  ", " + std::to_string(n) + ") test";
  if (train == 120 && val == 26 && test == 4) s += " (the paper's 120/26/4 ground truths)";
  return s;
}

void PhotoSplitRule::validate() const {
  CSGIS_CHECK(train >= 1 && val >= 0 && test >= 0 && train + val + test <= 100000,
              "--photo-split ", train, ",", val, ",", test,
              ": expected three weights train,val,test (train >= 1; val, test >= 0; 0 leaves that split empty), "
              "e.g. 120,26,4 or 80,20,0");
}

PhotoSplit photo_split(const std::string& photo_stem) { return PhotoSplitRule{}.of(photo_stem); }

TextureFolders load_texture_folders(const std::vector<std::string>& dirs, int max_side) {
  CSGIS_CHECK(!dirs.empty(), "build-dataset: no texture folder given");
  CSGIS_CHECK(max_side >= 0, "build-dataset: --texture-max-side must be >= 0 (0: no limit), got ", max_side);
  TextureFolders out;
  std::map<std::string, std::string> seen;  // name -> file, across folders
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) CSGIS_FAIL("texture folder '", dir, "' does not exist");
    std::vector<std::pair<std::string, fs::path>> files;  // (name, path)
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
      const std::string ext = lower_extension(it->path());
      if (!it->is_regular_file() || (ext != ".pat" && ext != ".png" && ext != ".jpg" && ext != ".jpeg")) continue;
      files.emplace_back(fs::relative(it->path(), dir).replace_extension().generic_string(), it->path());
    }
    if (ec) CSGIS_FAIL("cannot list texture folder '", dir, "': ", ec.message());
    if (files.empty()) CSGIS_FAIL("texture folder '", dir, "' holds no texture (.pat, PNG or JPEG file)");
    std::sort(files.begin(), files.end());
    size_t usable = 0;
    for (const auto& [name, path] : files) {
      const auto [it, fresh] = seen.emplace(name, path.string());
      CSGIS_CHECK(fresh, "texture name '", name, "' is given twice: '", it->second, "' and '", path.string(),
                  "'; rename one");
      Texture t;
      try {
        t = lower_extension(path) == ".pat" ? load_pat(path.string()) : make_texture(name, load_image(path.string(), 3));
      } catch (const Error& e) {
        out.skipped.emplace_back(path.string(), e.what());
        continue;
      }
      t.name = name;
      const auto [w, h] = limited_size(t.rgb.width, t.rgb.height, max_side);
      if (w != t.rgb.width || h != t.rgb.height) {
        const Texture small = make_texture(name, resize_area(t.rgb, w, h));
        t.rgb = small.rgb;
        t.gray = small.gray;
      }
      out.textures.push_back(std::move(t));
      ++usable;
    }
    if (usable == 0)
      CSGIS_FAIL("texture folder '", dir, "' has no usable texture: none of its ", files.size(),
                 " files could be read (first: ", out.skipped[out.skipped.size() - files.size()].second, ")");
  }
  std::sort(out.textures.begin(), out.textures.end(), [](const Texture& a, const Texture& b) { return a.name < b.name; });
  return out;
}

void VocSmoothConfig::validate() const {
  split_rule.validate();
  CSGIS_CHECK(max_side >= 0, "build-dataset: --max-side must be >= 0 (0: native size), got ", max_side);
  CSGIS_CHECK(crops >= 0, "build-dataset: --crops must be >= 0 (0: the whole photo), got ", crops);
  CSGIS_CHECK(crops > 0 || crop_size == 0, "build-dataset: --crop-size needs --crops K > 0");
  CSGIS_CHECK(crops == 0 || crop_size > 0, "build-dataset: --crops ", crops, " needs --crop-size S");
  CSGIS_CHECK(crops == 0 || crop_size >= std::max(11, test.window), "build-dataset: --crop-size must be at least ",
              std::max(11, test.window), " (the SSIM window and the smoothness window), got ", crop_size);
  CSGIS_CHECK(max_side == 0 || crop_size <= max_side, "build-dataset: --crop-size ", crop_size,
              " is larger than --max-side ", max_side, ": no crop would fit");
  CSGIS_CHECK(textures_per_image >= 0, "build-dataset: --textures-per-image must be >= 0, got ", textures_per_image);
  CSGIS_CHECK(!operators.empty(), "build-dataset: no candidate operator");
  CSGIS_CHECK(test.window >= 3, "build-dataset: --smooth-window must be >= 3, got ", test.window);
  CSGIS_CHECK(test.min_coverage >= 0 && test.min_coverage <= 1,
              "build-dataset: --smooth-coverage must be in [0, 1] (a fraction of the windows), got ", test.min_coverage);
  CSGIS_CHECK(test.stride >= 1, "build-dataset: the smoothness test's window stride must be >= 1, got ", test.stride);
}

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

}  // namespace csgis::data
