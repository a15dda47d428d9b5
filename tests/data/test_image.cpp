// Image I/O: PNG round trips (8-bit exact, 16-bit), JPEG reading, quantisation, errors, tensors.
#include <catch2/catch.hpp>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>

#include "data/image.h"
#include "data/image8.h"
#include "data_test_util.h"
#include "engine/error.h"

using namespace csgis;
using namespace csgis::data;
using csgis::data::testing::TempDir;
using Catch::Contains;

// Exported by Debian's libstb (stb_image_write's deflate); declared here because the header only
// declares it inside the implementation section.
extern "C" unsigned char* stbi_zlib_compress(unsigned char* data, int data_len, int* out_len,
                                             int quality);

namespace {

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0xffffffffu) {
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc;
}

void put_be32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
}

void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
  put_be32(png, uint32_t(data.size()));
  std::vector<uint8_t> body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put_be32(png, crc32(body.data(), body.size()) ^ 0xffffffffu);
}

// A minimal 16-bit RGB PNG (stb cannot write one): filter 0 on every row, zlib from libstb.
std::vector<uint8_t> png16(int w, int h, const std::vector<uint16_t>& rgb) {
  std::vector<uint8_t> raw;
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);
    for (int i = 0; i < w * 3; ++i) {
      const uint16_t v = rgb[size_t(y) * w * 3 + i];
      raw.push_back(uint8_t(v >> 8));
      raw.push_back(uint8_t(v));
    }
  }
  int zlen = 0;
  unsigned char* z = stbi_zlib_compress(raw.data(), int(raw.size()), &zlen, 8);
  REQUIRE(z != nullptr);
  std::vector<uint8_t> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  put_be32(ihdr, uint32_t(w));
  put_be32(ihdr, uint32_t(h));
  ihdr.insert(ihdr.end(), {16, 2, 0, 0, 0});  // depth 16, colour type RGB
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", std::vector<uint8_t>(z, z + zlen));
  std::free(z);
  chunk(png, "IEND", {});
  return png;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

TEST_CASE("data: 8-bit PNG round trip is exact, RGB and grey", "[unit]") {
  TempDir dir;
  Image rgb(7, 5, 3);
  for (size_t i = 0; i < rgb.pixels.size(); ++i) rgb.pixels[i] = float((i * 37) % 256) / 255.f;
  save_png(dir / "rgb.png", rgb);
  const Image back = load_image(dir / "rgb.png");
  REQUIRE(back.width == 7);
  REQUIRE(back.height == 5);
  REQUIRE(back.channels == 3);
  CHECK(back.pixels == rgb.pixels);
  // Saving what was read gives the same bytes: the rounding convention makes this a fixed point.
  CHECK(encode_png(back) == encode_png(rgb));

  Image grey(4, 3, 1);
  for (size_t i = 0; i < grey.pixels.size(); ++i) grey.pixels[i] = float(i * 20) / 255.f;
  save_png(dir / "grey.png", grey);
  CHECK(load_image(dir / "grey.png", 1).pixels == grey.pixels);
  const Image expanded = load_image(dir / "grey.png", 3);  // grey -> RGB
  REQUIRE(expanded.channels == 3);
  for (size_t i = 0; i < grey.pixels.size(); ++i)
    for (int c = 0; c < 3; ++c) CHECK(expanded.pixels[i * 3 + c] == grey.pixels[i]);

  LabelMap labels(5, 2);
  for (size_t i = 0; i < labels.data.size(); ++i) labels.data[i] = uint8_t(i == 3 ? 255 : i);
  save_png(dir / "seg.png", labels);
  CHECK(load_labels(dir / "seg.png").data == labels.data);
  CHECK_THROWS_WITH(load_labels(dir / "rgb.png"), Contains("single-channel") && Contains("rgb.png"));
}

TEST_CASE("data: quantisation rounds; Truncate reproduces numpy's uint8(clip(v*255))", "[unit]") {
  CHECK(quantize(0.f) == 0);
  CHECK(quantize(-0.5f) == 0);
  CHECK(quantize(2.f) == 255);
  CHECK(quantize(0.999f) == 255);                      // 254.745 -> 255
  CHECK(quantize(0.999f, Quantize::Truncate) == 254);  // what the reference's show.py writes
  CHECK(quantize(0.5f) == 128);                        // 127.5 rounds half away from zero
  CHECK(quantize(0.5f, Quantize::Truncate) == 127);
  for (int b = 0; b < 256; ++b) CHECK(quantize(float(b) / 255.f) == b);
}

TEST_CASE("data: 16-bit PNG and JPEG read", "[unit]") {
  TempDir dir;
  const std::vector<uint16_t> v{0, 65535, 32768, 1000, 20000, 65000};
  write_bytes(dir / "deep.png", png16(2, 1, v));
  const Image deep = load_image(dir / "deep.png");
  REQUIRE(deep.width == 2);
  REQUIRE(deep.height == 1);
  for (size_t i = 0; i < v.size(); ++i) CHECK(deep.pixels[i] == Approx(v[i] / 65535.0).margin(1e-6));

  // A smooth image through stb's JPEG writer at quality 100 reads back close to the original.
  const int W = 32, H = 16;
  std::vector<uint8_t> px(W * H * 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) px[(y * W + x) * 3 + c] = uint8_t(40 + 4 * x + 3 * y + 20 * c);
  REQUIRE(stbi_write_jpg((dir / "a.jpg").c_str(), W, H, 3, px.data(), 100));
  const Image jpg = load_image(dir / "a.jpg");
  REQUIRE(jpg.width == W);
  REQUIRE(jpg.height == H);
  double max_err = 0;
  for (size_t i = 0; i < px.size(); ++i) max_err = std::max(max_err, std::fabs(jpg.pixels[i] * 255.0 - px[i]));
  CHECK(max_err < 8);
}

TEST_CASE("data: image read errors name the file", "[unit]") {
  TempDir dir;
  CHECK_THROWS_WITH(load_image(dir / "missing.png"),
                    Contains("cannot read '" + (dir / "missing.png") + "'") &&
                        Contains("No such file"));
  write_bytes(dir / "junk.png", {1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK_THROWS_WITH(load_image(dir / "junk.png"), Contains("cannot read '" + (dir / "junk.png") + "': "));
  // A PNG cut in half.
  Image img(16, 16, 3, 0.25f);
  std::vector<uint8_t> png = encode_png(img);
  png.resize(png.size() / 2);
  write_bytes(dir / "cut.png", png);
  CHECK_THROWS_WITH(load_image(dir / "cut.png"), Contains("cut.png"));
  // Damaged files of many kinds: the reason is plain words, never the decoder's jargon or empty.
  Image noisy(37, 23, 3);
  for (size_t i = 0; i < noisy.pixels.size(); ++i) noisy.pixels[i] = float((i * 7919) % 256) / 255.f;
  const std::vector<uint8_t> good = encode_png(noisy);
  const std::vector<std::string> plain{"not a PNG or JPEG image", "the image data is damaged or cut short",
                                       "too large to decode"};
  uint64_t state = 12345;
  for (int k = 0; k < 300; ++k) {
    std::vector<uint8_t> bad = good;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    if (k % 3 == 0) bad.resize(8 + (state >> 33) % (bad.size() - 8));  // cut short after the signature
    for (int flips = 0; flips < 1 + k % 4; ++flips) {                     // and/or bytes changed
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      bad[8 + (state >> 33) % (bad.size() - 8)] ^= uint8_t(1 + (state >> 20) % 255);
    }
    write_bytes(dir / "fuzz.png", bad);
    try {
      load_image(dir / "fuzz.png");  // some changes still decode (a changed pixel byte); fine
    } catch (const Error& e) {
      const std::string msg = e.what();
      INFO(msg << " | " << e.where());
      CHECK(msg.rfind("cannot read '" + (dir / "fuzz.png") + "': ", 0) == 0);
      CHECK(std::any_of(plain.begin(), plain.end(), [&](const std::string& p) { return msg.find(p) != std::string::npos; }));
      CHECK(e.where().rfind("libpng: ", 0) == 0);  // the decoder's reason, for --verbose
    }
  }
  // No temporary left beside a successful atomic write.
  save_png(dir / "ok.png", img);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.path().filename().string().rfind("ok.png", 0) == 0;
  CHECK(files == 1);
}

TEST_CASE("data: PNGs are read by libpng, value for value what stb read, for every colour type and depth", "[unit]") {
  // The fuzz seeds hold every PNG colour type, bit depth 1-16, palettes with tRNS and Adam7.
  const std::string dir = std::string(CSGIS_TEST_FIXTURES) + "/fuzz/corpus/fuzz_image";
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (entry.path().filename().string().rfind("seed-", 0) != 0 || !is_png_file(path)) continue;
    INFO(path);
    const bool deep = stbi_is_16_bit(path.c_str());
    for (int channels : {1, 3}) {
      const Image ours = load_image(path, channels);
      int w = 0, h = 0, comp = 0;
      std::vector<float> ref;
      if (deep) {
        std::unique_ptr<uint16_t, void (*)(void*)> px(stbi_load_16(path.c_str(), &w, &h, &comp, channels), stbi_image_free);
        REQUIRE(px);
        for (size_t i = 0; i < size_t(w) * h * channels; ++i) ref.push_back(px.get()[i] / 65535.f);
      } else {
        std::unique_ptr<uint8_t, void (*)(void*)> px(stbi_load(path.c_str(), &w, &h, &comp, channels), stbi_image_free);
        REQUIRE(px);
        for (size_t i = 0; i < size_t(w) * h * channels; ++i) ref.push_back(px.get()[i] / 255.f);
      }
      REQUIRE(ours.width == w);
      REQUIRE(ours.height == h);
      CHECK(ours.pixels == ref);
      ++compared;
    }
  }
  CHECK(compared >= 20);
}

TEST_CASE("data: a PNG chunk that claims more bytes than the file holds is refused without allocating them", "[unit]") {
  // Found by fuzz_image (tests/fuzz/corpus/fuzz_image/crash-idat-length-1g): stb allocated the
  // 1.2 GB an IDAT length field claimed before noticing the file is 121 bytes long.
  TempDir dir;
  std::vector<uint8_t> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  put_be32(ihdr, 5);
  put_be32(ihdr, 3);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  chunk(png, "IHDR", ihdr);
  put_be32(png, 0x48000000u);  // an IDAT of 1.2 GB, then 40 bytes
  for (char c : std::string("IDAT")) png.push_back(uint8_t(c));
  png.insert(png.end(), 40, 0x55);
  write_bytes(dir / "bomb.png", png);
  const std::string reason = "cannot read '" + (dir / "bomb.png") + "': the image data is damaged or cut short";
  CHECK_THROWS_WITH(load_image(dir / "bomb.png"), reason);
  CHECK_THROWS_WITH(load_image(dir / "bomb.png", 1), reason);
  CHECK_THROWS_WITH(load_image8(dir / "bomb.png"), reason);
  CHECK_THROWS_WITH(load_labels(dir / "bomb.png"), Contains("damaged or cut short"));
}

TEST_CASE("data: label maps are PNGs only (stb's JPEG decoder crashed on one read as grey)", "[unit]") {
  // tests/fuzz/corpus/fuzz_image/crash-stb-jpeg-gray-segv: a damaged grey JPEG on which stb,
  // asked for one channel, read out of bounds. Label and edge maps are files this project writes.
  const std::string crash = std::string(CSGIS_TEST_FIXTURES) + "/fuzz/corpus/fuzz_image/crash-stb-jpeg-gray-segv";
  CHECK_THROWS_WITH(load_labels(crash), "cannot read '" + crash +
                                            "' as a label map: it is not a PNG (label and edge maps are 8-bit one-channel PNGs)");
  CHECK_THROWS_WITH(load_edges(crash), Contains("it is not a PNG"));
  TempDir dir;
  CHECK_THROWS_WITH(load_labels(dir / "none.png"), Contains("No such file"));
  save_png(dir / "rgb.png", Image(3, 2, 3, 0.5f));
  CHECK_THROWS_WITH(load_labels(dir / "rgb.png"), Contains("expected an 8-bit single-channel image, got 3 channel(s) of 8 bits"));
}

TEST_CASE("data: damaged JPEGs on which stb crashed are read by libjpeg or refused in one line", "[unit]") {
  // stb_image asserted (crash-stb-jpeg-assert) or read out of bounds (crash-stb-jpeg-gray-segv) on
  // these fuzz_image finds; every reader now either decodes them or refuses with a plain reason.
  for (const char* name : {"crash-stb-jpeg-assert", "crash-stb-jpeg-gray-segv"}) {
    const std::string path = std::string(CSGIS_TEST_FIXTURES) + "/fuzz/corpus/fuzz_image/" + name;
    INFO(path);
    REQUIRE(is_jpeg_file(path));
    int outcomes = 0;
    for (int channels : {1, 3}) {
      try {
        const Image img = load_image(path, channels);
        CHECK(img.pixels.size() == size_t(img.width) * img.height * channels);
        ++outcomes;
      } catch (const Error& e) {
        CHECK_THAT(e.what(), Contains("cannot read '" + path + "': the image data is damaged or cut short"));
        ++outcomes;
      }
    }
    try {
      const Image8 img = load_image8(path);
      CHECK(img.rgb.size() == size_t(img.width) * img.height * 3);
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Contains("damaged or cut short"));
    }
    CHECK(outcomes == 2);
  }
}

TEST_CASE("data: Image <-> tensor, RGB and BGR", "[unit]") {
  Image img(3, 2, 3);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = float(i) / 100.f;
  const Tensor t = image_to_tensor(img);
  REQUIRE(t.shape() == Shape{1, 3, 2, 3});
  const std::vector<float> v = t.to_vector<float>();
  CHECK(v[0 * 6 + 1 * 3 + 2] == img.at(2, 1, 0));  // channel R, y=1, x=2
  CHECK(v[2 * 6 + 0 * 3 + 1] == img.at(1, 0, 2));  // channel B
  const Tensor bgr = image_to_tensor(img, false, true);
  REQUIRE(bgr.shape() == Shape{3, 2, 3});
  CHECK(bgr.to_vector<float>()[0 * 6 + 1 * 3 + 2] == img.at(2, 1, 2));  // first plane is B
  CHECK(testing::same_image(tensor_to_image(t), img));
  CHECK(testing::same_image(tensor_to_image(bgr, true), img));
  CHECK(testing::same_image(tensor_to_image(t.to(DType::F64)), img));
  CHECK_THROWS_WITH(tensor_to_image(Tensor::zeros({2, 3, 2, 2})), Contains("batch of 1"));
  CHECK_THROWS_WITH(tensor_to_image(Tensor::zeros({4, 2, 2})), Contains("C = 1 or 3"));
}
