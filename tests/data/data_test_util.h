// Helpers shared by the data tests: scratch directories and small synthetic textures, so most tests
// do not depend on gimp-data being installed.
#pragma once
#include "data/loader.h"
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data/textures.h"

namespace csgis::data::testing {

// A fresh directory per test, removed with everything in it when the guard goes away.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/csgis_data_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// A file's bytes (empty when it cannot be read).
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Stripes / checks / rings of a few periods: distinct, deterministic textures.
inline std::vector<Texture> synthetic_textures(int n = 6) {
  std::vector<Texture> out;
  for (int k = 0; k < n; ++k) {
    Image img(24 + 4 * k, 20 + 2 * k, 3);
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        for (int c = 0; c < 3; ++c)
          img.at(x, y, c) = 0.5f + 0.2f * float(std::sin(0.7 * (k + 1) * x + 0.3 * c) *
                                                std::cos(0.45 * (k + 2) * y));
    out.push_back(make_texture("synthetic/t" + std::to_string(k), img));
  }
  return out;
}

// A tensor's values as floats (int64 label tensors too), and two loader batches compared exactly.
inline std::vector<float> values(const Tensor& t) {
  if (t.dtype() == DType::I64) {
    const int64_t* p = t.data<int64_t>();
    return std::vector<float>(p, p + t.numel());
  }
  return t.to_vector<float>();
}

inline bool same_batch(const Batch& a, const Batch& b) {
  return a.index == b.index && a.names == b.names && values(a.input) == values(b.input) &&
         values(a.gt) == values(b.gt) && values(a.over) == values(b.over) &&
         values(a.edge) == values(b.edge) && values(a.seg) == values(b.seg);
}

inline bool same_image(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.channels == b.channels &&
         a.pixels == b.pixels;
}

inline bool same_labels(const LabelMap& a, const LabelMap& b) {
  return a.width == b.width && a.height == b.height && a.data == b.data;
}

}  // namespace csgis::data::testing
