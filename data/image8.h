// 8-bit RGB images for the memory-bounded path of `csgis smooth`: 3 bytes per pixel in memory
// (a float Image takes 12), read through libpng straight into that buffer (JPEG through stb) and
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
// 8-bit with rounding) or JPEG. Refuses images of more than max_pixels pixels (0: no limit).
Image8 load_image8(const std::string& path, int64_t max_pixels = 0);

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
