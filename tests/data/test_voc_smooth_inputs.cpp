// The VOC-smooth builder's inputs (data/voc_smooth.h): area resizing against hand values and a
// brute-force reference, label resizing, crop boxes, the photo split's proportions, texture folders
// (.pat and images, several folders, bad folders) and the flag checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "data/voc_smooth.h"
#include "data_test_util.h"
#include "engine/error.h"
#include "engine/generator.h"

using namespace csgis;
using namespace csgis::data;
namespace fs = std::filesystem;

namespace {

Image random_image(int W, int H, int C, uint64_t seed) {
  Generator g(seed);
  Image img(W, H, C);
  for (float& v : img.pixels) v = float(g.uniform());
  return img;
}

// Exact area averaging by refinement: every source pixel is cut into m x n sub-pixels (m, n the
// target size), so each target pixel covers exactly (W x H) whole sub-pixels.
Image brute_force_area(const Image& src, int w, int h) {
  Image out(w, h, src.channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < src.channels; ++c) {
        double acc = 0;
        for (int sy = y * src.height; sy < (y + 1) * src.height; ++sy)
          for (int sx = x * src.width; sx < (x + 1) * src.width; ++sx) acc += src.at(sx / w, sy / h, c);
        out.at(x, y, c) = float(acc / (double(src.width) * src.height));
      }
  return out;
}

// A GIMP pattern file (format 1, RGB) as textures.h describes it.
void write_pat(const std::string& path, const std::string& name, const Image& rgb) {
  auto be32 = [](std::string& s, uint32_t v) {
    for (int k = 3; k >= 0; --k) s.push_back(char((v >> (8 * k)) & 0xff));
  };
  std::string bytes;
  be32(bytes, uint32_t(24 + name.size() + 1));
  be32(bytes, 1);
  be32(bytes, uint32_t(rgb.width));
  be32(bytes, uint32_t(rgb.height));
  be32(bytes, 3);
  bytes += "GPAT" + name + std::string(1, '\0');
  for (float v : rgb.pixels) bytes.push_back(char(quantize(v)));
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("voc-smooth inputs: area resize, label resize, limited size", "[unit]") {
  Image g(4, 2, 1);
  g.pixels = {1, 2, 3, 4, 5, 6, 7, 8};
  const Image half = resize_area(g, 2, 1);
  CHECK(half.pixels == std::vector<float>{3.5f, 5.5f});  // (1+2+5+6)/4, (3+4+7+8)/4
  Image row(3, 1, 1);
  row.pixels = {0.f, 0.3f, 0.9f};
  const Image two = resize_area(row, 2, 1);  // each output covers 1.5 pixels
  CHECK(two.pixels[0] == Approx((0.f + 0.5f * 0.3f) / 1.5f));
  CHECK(two.pixels[1] == Approx((0.5f * 0.3f + 0.9f) / 1.5f));

  const Image photo = random_image(37, 23, 3, 4);
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{12, 7}, {20, 13}, {37, 5}, {50, 30}}) {
    const Image fast = resize_area(photo, w, h), ref = brute_force_area(photo, w, h);
    REQUIRE(fast.width == w);
    REQUIRE(fast.height == h);
    double worst = 0;
    for (size_t i = 0; i < ref.pixels.size(); ++i) worst = std::max(worst, double(std::fabs(fast.pixels[i] - ref.pixels[i])));
    CHECK(worst < 1e-5);
  }
  CHECK(testing::same_image(resize_area(photo, 37, 23), photo));

  LabelMap lab(4, 4);
  for (int i = 0; i < 16; ++i) lab.data[size_t(i)] = uint8_t(i);
  const LabelMap small = resize_labels_nearest(lab, 2, 2);  // centres 1 and 3 of each axis
  CHECK(small.data == std::vector<uint8_t>{5, 7, 13, 15});
  const LabelMap odd = resize_labels_nearest(lab, 3, 1);  // x centres 0.67, 2, 3.33; y centre 2
  CHECK(odd.data == std::vector<uint8_t>{8, 10, 11});

  CHECK(limited_size(4000, 3000, 1000) == std::pair<int, int>{1000, 750});
  CHECK(limited_size(300, 1000, 500) == std::pair<int, int>{150, 500});
  CHECK(limited_size(333, 1000, 500) == std::pair<int, int>{167, 500});  // 166.5 rounds up
  CHECK(limited_size(100, 50, 500) == std::pair<int, int>{100, 50});
  CHECK(limited_size(4000, 3000, 0) == std::pair<int, int>{4000, 3000});
  CHECK(limited_size(1000, 1, 10) == std::pair<int, int>{10, 1});
}

TEST_CASE("voc-smooth inputs: crop boxes are a seeded grid, non-overlapping while they fit", "[unit]") {
  auto overlap = [](const CropBox& a, const CropBox& b) {
    return a.x < b.x + b.size && b.x < a.x + a.size && a.y < b.y + b.size && b.y < a.y + a.size;
  };
  const std::vector<CropBox> boxes = crop_boxes(100, 70, 4, 30, 7, "wall");  // a 3 x 2 grid
  REQUIRE(boxes.size() == 4);
  for (size_t i = 0; i < boxes.size(); ++i) {
    CHECK(boxes[i].size == 30);
    CHECK(boxes[i].x >= 0);
    CHECK(boxes[i].y >= 0);
    CHECK(boxes[i].x + 30 <= 100);
    CHECK(boxes[i].y + 30 <= 70);
    CHECK(boxes[i].x % 30 == boxes[0].x % 30);  // one grid offset
    CHECK(boxes[i].y % 30 == boxes[0].y % 30);
    for (size_t j = 0; j < i; ++j) CHECK(!overlap(boxes[i], boxes[j]));
  }
  // A function of (seed, stem) alone.
  const auto again = crop_boxes(100, 70, 4, 30, 7, "wall");
  for (size_t i = 0; i < 4; ++i) CHECK((again[i].x == boxes[i].x && again[i].y == boxes[i].y));
  bool any_differs = false;
  for (const char* other : {"wall2", "brick", "sky"}) {
    const auto b = crop_boxes(100, 70, 4, 30, 7, other);
    for (size_t i = 0; i < 4; ++i) any_differs = any_differs || b[i].x != boxes[i].x || b[i].y != boxes[i].y;
  }
  CHECK(any_differs);
  // More crops than cells: every cell once, then random positions inside the photo.
  const auto many = crop_boxes(100, 70, 9, 30, 7, "wall");
  REQUIRE(many.size() == 9);
  for (size_t i = 0; i < 6; ++i)
    for (size_t j = 0; j < i; ++j) CHECK(!overlap(many[i], many[j]));
  for (const CropBox& b : many) CHECK((b.x + 30 <= 100 && b.y + 30 <= 70));
  CHECK(crop_boxes(30, 30, 1, 30, 1, "x")[0].x == 0);
  CHECK_THROWS_WITH(crop_boxes(20, 40, 1, 30, 1, "x"), Catch::Contains("does not fit"));
}

TEST_CASE("voc-smooth inputs: the photo split keeps the paper's 120/26/4 proportions", "[unit]") {
  int counts[3] = {0, 0, 0};
  const int n = 15000;
  for (int i = 0; i < n; ++i) {
    const std::string stem = "2008_" + std::to_string(100000 + i * 7);
    const PhotoSplit s = photo_split(stem);
    CHECK(photo_split(stem) == s);
    ++counts[int(s)];
  }
  CHECK(std::abs(double(counts[0]) / n - 120.0 / 150) < 0.015);
  CHECK(std::abs(double(counts[1]) / n - 26.0 / 150) < 0.015);
  CHECK(std::abs(double(counts[2]) / n - 4.0 / 150) < 0.008);
  CHECK(std::string(photo_split_name(PhotoSplit::Test)) == "test");
}

TEST_CASE("voc-smooth inputs: another photo-split rule keeps its proportions; bad weights are refused", "[unit]") {
  const PhotoSplitRule rule{70, 15, 15};
  int counts[3] = {0, 0, 0}, moved = 0;
  const int n = 15000;
  for (int i = 0; i < n; ++i) {
    const std::string stem = "photo_" + std::to_string(i * 13 + 5);
    ++counts[int(rule.of(stem))];
    moved += rule.of(stem) != photo_split(stem);
  }
  CHECK(std::abs(double(counts[0]) / n - 0.70) < 0.015);
  CHECK(std::abs(double(counts[1]) / n - 0.15) < 0.015);
  CHECK(std::abs(double(counts[2]) / n - 0.15) < 0.015);
  CHECK(moved > n / 10);  // really another rule, not the default's
  CHECK(PhotoSplitRule{}.describe().find("% 150") != std::string::npos);
  CHECK(rule.describe().find("% 100: [0, 70) train, [70, 85) val, [85, 100) test") != std::string::npos);
  CHECK_THROWS_WITH((PhotoSplitRule{0, 15, 15}.validate()), Catch::Contains("--photo-split"));
  CHECK_THROWS_WITH((PhotoSplitRule{-1, 15, 15}.validate()), Catch::Contains("--photo-split"));
  CHECK_THROWS_WITH((PhotoSplitRule{70, -1, 15}.validate()), Catch::Contains("--photo-split"));
  // Your own photos need no test split (or no val split): weight 0 leaves that split empty.
  const PhotoSplitRule no_test{80, 20, 0};
  CHECK_NOTHROW(no_test.validate());
  for (int i = 0; i < 2000; ++i) CHECK(no_test.of("photo_" + std::to_string(i)) != PhotoSplit::Test);
}

TEST_CASE("voc-smooth inputs: texture folders take .pat and images, shrink large ones, name bad folders", "[unit]") {
  testing::TempDir dir;
  const std::string a = dir / "a", b = dir / "b";
  fs::create_directories(a + "/sub");
  fs::create_directories(b);
  const Image big = random_image(600, 300, 3, 1), small = random_image(20, 16, 3, 2), pat = random_image(9, 7, 3, 3);
  save_png(a + "/sub/big.png", big);
  save_png(a + "/small.PNG", small);
  write_pat(a + "/stone.pat", "Stone", pat);
  std::ofstream(a + "/broken.png") << "not a png";
  std::ofstream(a + "/notes.txt") << "ignored";
  save_png(b + "/other.png", small);

  const TextureFolders t = load_texture_folders({a, b}, 512);
  REQUIRE(t.textures.size() == 4);
  CHECK(t.textures[0].name == "other");
  CHECK(t.textures[1].name == "small");
  CHECK(t.textures[2].name == "stone");
  CHECK(t.textures[3].name == "sub/big");
  CHECK(t.textures[2].title == "Stone");
  CHECK(testing::same_image(t.textures[2].rgb, quantized_8bit(pat)));
  const Texture& shrunk = t.textures[3];
  REQUIRE(shrunk.rgb.width == 512);
  REQUIRE(shrunk.rgb.height == 256);
  CHECK(testing::same_image(shrunk.rgb, resize_area(load_image(a + "/sub/big.png"), 512, 256)));
  CHECK(shrunk.gray == to_gray(shrunk.rgb));
  REQUIRE(t.skipped.size() == 1);
  CHECK(t.skipped[0].first == a + "/broken.png");
  CHECK(load_texture_folders({a}, 0).textures[2].rgb.width == 600);  // 0: native size

  save_png(b + "/stone.png", small);  // the name "stone" in both folders
  CHECK_THROWS_WITH(load_texture_folders({a, b}), Catch::Contains("'stone' is given twice"));
  fs::create_directories(dir / "empty");
  CHECK_THROWS_WITH(load_texture_folders({dir / "empty"}), Catch::Contains("'" + (dir / "empty") + "' holds no texture"));
  fs::create_directories(dir / "bad");
  std::ofstream(dir / "bad/x.jpg") << "garbage";
  CHECK_THROWS_WITH(load_texture_folders({dir / "bad"}),
                    Catch::Contains("'" + (dir / "bad") + "' has no usable texture") && Catch::Contains("x.jpg"));
  CHECK_THROWS_WITH(load_texture_folders({dir / "nowhere"}), Catch::Contains("does not exist"));
}

TEST_CASE("voc-smooth inputs: bad settings are one line naming the flag", "[unit]") {
  auto fails = [](const std::function<void(VocSmoothConfig&)>& edit, const std::string& needle) {
    VocSmoothConfig c;
    edit(c);
    CHECK_THROWS_WITH(c.validate(), Catch::Contains(needle));
  };
  CHECK_NOTHROW(VocSmoothConfig{}.validate());
  fails([](VocSmoothConfig& c) { c.max_side = -1; }, "--max-side must be >= 0");
  fails([](VocSmoothConfig& c) { c.crops = -2; }, "--crops must be >= 0");
  fails([](VocSmoothConfig& c) { c.crops = 2; }, "--crops 2 needs --crop-size");
  fails([](VocSmoothConfig& c) { c.crop_size = 64; }, "--crop-size needs --crops");
  fails([](VocSmoothConfig& c) { c.crops = 1, c.crop_size = 8; }, "--crop-size must be at least 16");
  fails([](VocSmoothConfig& c) { c.crops = 1, c.crop_size = 64, c.max_side = 32; },
        "--crop-size 64 is larger than --max-side 32");
  fails([](VocSmoothConfig& c) { c.textures_per_image = -1; }, "--textures-per-image");
}
