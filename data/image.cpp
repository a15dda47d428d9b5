// Image I/O. Reading: PNG through libpng and JPEG through libjpeg (data/image8.h; stb_image's
// decoders allocated what damaged headers claimed and asserted on damaged JPEGs, found by
// tests/fuzz). Writing: Debian's libstb (stb_image_write); its header is used for declarations
// only — libstb.so carries the implementation, so STB_IMAGE_WRITE_IMPLEMENTATION is deliberately
// NOT defined here (it would duplicate every stbi_* symbol against -lstb).
#include "data/image.h"

#include <stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "data/image8.h"
#include "engine/error.h"
#include "engine/io/atomic_file.h"

namespace csgis::data {

namespace {

// The whole file in memory: one open, so a missing file gets strerror instead of stb's "can't fopen".
std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) CSGIS_FAIL("cannot read '", path, "': ", std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.empty()) CSGIS_FAIL("cannot read '", path, "': empty file");
  return bytes;
}

void append_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

std::vector<uint8_t> png_from_bytes(const uint8_t* px, int w, int h, int c) {
  CSGIS_CHECK(w > 0 && h > 0 && (c == 1 || c == 3), "encode_png: bad image ", w, "x", h, "x", c);
  std::vector<uint8_t> out;
  if (!stbi_write_png_to_func(append_bytes, &out, w, h, c, px, w * c))
    CSGIS_FAIL("encode_png: stb failed on a ", w, "x", h, "x", c, " image");
  return out;
}

}  // namespace

uint8_t quantize(float v, Quantize q) {
  float s = v * 255.f;  // float32 product, as numpy does for a float32 array
  if (!(s > 0.f)) return 0;  // also maps NaN to 0
  if (s >= 255.f) return 255;
  return uint8_t(q == Quantize::Round ? std::lround(s) : long(s));
}

Image quantized_8bit(const Image& img, Quantize q) {
  Image out = img;
  for (float& v : out.pixels) v = float(quantize(v, q)) / 255.f;
  return out;
}

Image load_image(const std::string& path, int channels) {
  CSGIS_CHECK(channels == 1 || channels == 3, "load_image: channels must be 1 or 3, got ", channels);
  if (is_png_file(path)) {  // libpng (data/image8.h): 16-bit files keep their precision
    const PngSamples s = load_png_samples(path, channels, /*keep_16=*/true);
    Image img(s.width, s.height, channels);
    if (s.bits == 16) {
      const auto* px = reinterpret_cast<const uint16_t*>(s.data.data());
      for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = px[i] / 65535.f;
    } else {
      for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = s.data[i] / 255.f;
    }
    return img;
  }
  if (is_jpeg_file(path)) {  // libjpeg (data/jpeg_read.cpp)
    int w = 0, h = 0;
    const std::vector<uint8_t> px = load_jpeg_samples(path, channels, 0, &w, &h);
    Image img(w, h, channels);
    for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = px[i] / 255.f;
    return img;
  }
  read_file(path);  // a missing or empty file says so
  throw Error("cannot read '" + path + "': not a PNG or JPEG image", "neither the PNG nor the JPEG signature");
}

// Label and edge maps are files this project writes: PNG only, read by libpng (stb's JPEG decoder
// crashed on a damaged grey JPEG read as one channel: tests/fuzz/corpus/fuzz_image/crash-stb-jpeg-gray-segv).
LabelMap load_labels(const std::string& path) {
  if (!is_png_file(path)) {
    read_file(path);  // a missing or empty file says so
    CSGIS_FAIL("cannot read '", path, "' as a label map: it is not a PNG (label and edge maps are 8-bit one-channel PNGs)");
  }
  const PngSamples s = load_png_samples(path, 1, /*keep_16=*/true);
  if (s.source_channels != 1 || s.source_bits == 16)
    CSGIS_FAIL("cannot read '", path, "' as a label map: expected an 8-bit single-channel image, got ",
               s.source_channels, " channel(s) of ", s.source_bits, " bits",
               (s.source_channels >= 3 && s.source_bits <= 8 ? " (palette PNGs count as RGB)" : ""));
  LabelMap out(s.width, s.height);
  std::memcpy(out.data.data(), s.data.data(), out.data.size());
  return out;
}

std::vector<uint8_t> encode_png(const Image& img, Quantize q) {
  CSGIS_CHECK(img.pixels.size() == size_t(img.width) * img.height * img.channels,
              "encode_png: pixel buffer does not match ", img.width, "x", img.height, "x", img.channels);
  std::vector<uint8_t> px(img.pixels.size());
  for (size_t i = 0; i < px.size(); ++i) px[i] = quantize(img.pixels[i], q);
  return png_from_bytes(px.data(), img.width, img.height, img.channels);
}

std::vector<uint8_t> encode_png(const LabelMap& labels) {
  CSGIS_CHECK(labels.data.size() == size_t(labels.width) * labels.height,
              "encode_png: label buffer does not match ", labels.width, "x", labels.height);
  return png_from_bytes(labels.data.data(), labels.width, labels.height, 1);
}

void save_png(const std::string& path, const Image& img, Quantize q) {
  const std::vector<uint8_t> png = encode_png(img, q);
  write_file_atomic(path, png.data(), png.size());
}

void save_png(const std::string& path, const LabelMap& labels) {
  const std::vector<uint8_t> png = encode_png(labels);
  write_file_atomic(path, png.data(), png.size());
}

void save_edges_png(const std::string& path, const LabelMap& edges) {
  LabelMap vis = edges;
  for (auto& v : vis.data) v = v ? 255 : 0;
  save_png(path, vis);
}

LabelMap load_edges(const std::string& path) {
  LabelMap m = load_labels(path);
  for (auto& v : m.data) v = v >= 128 ? 1 : 0;
  return m;
}

Tensor image_to_tensor(const Image& img, bool batch, bool bgr) {
  const int C = img.channels, H = img.height, W = img.width;
  CSGIS_CHECK(C == 1 || C == 3, "image_to_tensor: 1 or 3 channels expected, got ", C);
  Shape shape = batch ? Shape{1, C, H, W} : Shape{C, H, W};
  Tensor t = Tensor::empty(shape, DType::F32, Device::cpu());
  float* out = t.data<float>();
  const size_t plane = size_t(H) * W;
  for (int c = 0; c < C; ++c) {
    const int src = (bgr && C == 3) ? 2 - c : c;
    for (size_t i = 0; i < plane; ++i) out[c * plane + i] = img.pixels[i * C + src];
  }
  return t;
}

Image tensor_to_image(const Tensor& t, bool bgr) {
  Shape s = t.shape();
  if (s.size() == 4) {
    CSGIS_CHECK(s[0] == 1, "tensor_to_image: batch of 1 expected, got ", t.str());
    s.erase(s.begin());
  }
  CSGIS_CHECK(s.size() == 3 && (s[0] == 1 || s[0] == 3),
              "tensor_to_image: [C,H,W] or [1,C,H,W] with C = 1 or 3 expected, got ", t.str());
  const std::vector<float> v = t.detach().to_vector<float>();
  const int C = int(s[0]), H = int(s[1]), W = int(s[2]);
  Image img(W, H, C);
  const size_t plane = size_t(H) * W;
  for (int c = 0; c < C; ++c) {
    const int dst = (bgr && C == 3) ? 2 - c : c;
    for (size_t i = 0; i < plane; ++i) img.pixels[i * C + dst] = v[c * plane + i];
  }
  return img;
}

std::vector<float> to_gray(const Image& img) {
  if (img.channels == 1) return img.pixels;
  const size_t n = size_t(img.width) * img.height;
  std::vector<float> g(n);
  for (size_t i = 0; i < n; ++i) {
    const float* p = &img.pixels[i * img.channels];
    g[i] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
  }
  return g;
}

std::vector<std::string> list_image_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") out.push_back(e.path().string());
  }
  if (ec) CSGIS_FAIL("cannot list images in '", dir, "': ", ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace csgis::data
