// 8-bit RGB images for the memory-bounded path of `csgis smooth`: 3 bytes per pixel in memory
// (a float Image takes 12), read through libpng straight into that buffer (JPEG through libjpeg) and
// written one row at a time through libpng, so that neither a decoded float copy nor a whole
// encoded file is ever held. `max_pixels` is checked from the header, before any pixel is decoded.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace csgis::data {

struct Image8 {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, R G B per pixel
  const uint8_t* row(int y) const { return rgb.data() + size_t(y) * size_t(width) * 3; }
};

// Width and height from the file's header (PNG or JPEG); throws "cannot read 'path': ...".
std::pair<int, int> image_size(const std::string& path);

// PNG (any bit depth, palette, grey, alpha: grey expanded to RGB, alpha dropped, 16-bit scaled to
// 8-bit with rounding) or JPEG (libjpeg). Refuses images of more than max_pixels pixels (0: no limit).
Image8 load_image8(const std::string& path, int64_t max_pixels = 0);

// Every PNG the project reads goes through libpng (never stb, which allocates what a damaged chunk
// length claims): this is the reader under load_image and load_labels too.
bool is_png_file(const std::string& path);  // the 8-byte PNG signature
struct PngSamples {
  int width = 0, height = 0, channels = 0;  // channels as asked: 1 or 3
  int bits = 8;                             // 8, or 16 (native-endian uint16 pairs in `data`)
  int source_channels = 0, source_bits = 0; // the file's (grey 1, grey+alpha 2, RGB 3, RGBA 4; palette 3, 4 with tRNS)
  std::vector<uint8_t> data;                // row-major, interleaved
};
// Grey is replicated to RGB, RGB reduced to grey with stb's integer weights (77, 150, 29) / 256
// (16-bit: 19595, 38470, 7471 / 65536), alpha dropped, 1/2/4-bit grey scaled to 8 bits; 16-bit
// files keep their 16 bits when keep_16 is set and are scaled to 8 with rounding otherwise.
// Refuses more than max_pixels pixels (0: no limit), from the header.
PngSamples load_png_samples(const std::string& path, int channels, bool keep_16, int64_t max_pixels = 0);

// JPEG through libjpeg-turbo (data/jpeg_read.cpp; stb's JPEG decoder asserted on damaged files):
// 8-bit grey or RGB (grey replicated, colour reduced to libjpeg's luma), CMYK refused, a file cut
// short refused. Refuses more than max_pixels pixels (0: no limit), from the header.
bool is_jpeg_file(const std::string& path);  // FF D8 FF
std::pair<int, int> jpeg_size(const std::string& path);
std::vector<uint8_t> load_jpeg_samples(const std::string& path, int channels, int64_t max_pixels, int* width,
                                       int* height);

// Writes an 8-bit RGB PNG row by row, atomically: the file appears whole at finish(), and a writer
// destroyed before finish() (an exception) leaves no file and no temporary.
class PngRowWriter {
 public:
  PngRowWriter(const std::string& path, int width, int height);
  ~PngRowWriter();
  PngRowWriter(const PngRowWriter&) = delete;
  PngRowWriter& operator=(const PngRowWriter&) = delete;
  void write_row(const uint8_t* rgb);  // rows in order, width * 3 bytes each
  void finish();                       // after exactly `height` rows

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace csgis::data
