// Host images for the data pipeline: float RGB (or grey) pictures in [0,1], 8-bit label maps, PNG/JPEG
// reading and atomic PNG writing through Debian's libstb, and conversion to/from engine tensors.
//
// Quantisation convention (save_png): v -> uint8(clip(round(v * 255), 0, 255)). The reference's
// show.py writes `np.uint8(np.clip(S1 * 255, 0, 255))`, which TRUNCATES: there, 0.999 * 255 becomes 254
// and, worse, an 8-bit value b read back as b/255 in float32 can come out as 254.99998 and be written
// as 254. Rounding makes load -> save byte-exact for 8-bit files; Quantize::Truncate reproduces the
// reference's files bit for bit when that is what a comparison needs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace csgis::data {

// HWC, row-major, channel order RGB, values nominally in [0,1] (float32).
struct Image {
  int width = 0, height = 0, channels = 0;  // channels: 1 (grey) or 3 (RGB)
  std::vector<float> pixels;

  Image() = default;
  Image(int w, int h, int c, float fill = 0.f)
      : width(w), height(h), channels(c), pixels(size_t(w) * h * c, fill) {}
  float& at(int x, int y, int c) { return pixels[(size_t(y) * width + x) * channels + c]; }
  float at(int x, int y, int c) const { return pixels[(size_t(y) * width + x) * channels + c]; }
  bool empty() const { return pixels.empty(); }
};

// One byte per pixel: class ids (0..20, 255 = ignore) for segmentation, 0/1 for edge maps.
struct LabelMap {
  int width = 0, height = 0;
  std::vector<uint8_t> data;

  LabelMap() = default;
  LabelMap(int w, int h, uint8_t fill = 0) : width(w), height(h), data(size_t(w) * h, fill) {}
  uint8_t& at(int x, int y) { return data[size_t(y) * width + x]; }
  uint8_t at(int x, int y) const { return data[size_t(y) * width + x]; }
};

enum class Quantize { Round, Truncate };

// PNG or JPEG (anything stb_image reads), 8- or 16-bit. channels = 3 expands grey to RGB (and drops
// alpha); channels = 1 gives grey (stb's integer luma for colour files). Throws
// "cannot read '<path>': <stb reason>".
Image load_image(const std::string& path, int channels = 3);
// PNG/JPEG files (by extension, any case) directly in `dir`, sorted by name; an unreadable folder
// is an error naming it.
std::vector<std::string> list_image_files(const std::string& dir);
// Raw 8-bit values of a single-channel file (no luma conversion, no scaling): label maps. A colour
// file is refused (a palette PNG would be expanded to RGB by stb, losing the indices).
LabelMap load_labels(const std::string& path);

// PNG bytes in memory (8-bit, 1 or 3 channels).
std::vector<uint8_t> encode_png(const Image& img, Quantize q = Quantize::Round);
std::vector<uint8_t> encode_png(const LabelMap& labels);
// Written atomically (temporary file + rename): a reader never sees half a PNG.
void save_png(const std::string& path, const Image& img, Quantize q = Quantize::Round);
void save_png(const std::string& path, const LabelMap& labels);
// 0/1 edge maps are stored as 0/255 so they are visible; load_edges maps >= 128 to 1.
void save_edges_png(const std::string& path, const LabelMap& edges);
LabelMap load_edges(const std::string& path);

uint8_t quantize(float v, Quantize q = Quantize::Round);
// What an 8-bit file written with `q` would read back as: every value quantised, back on [0, 1].
Image quantized_8bit(const Image& img, Quantize q = Quantize::Round);

// Image <-> float32 CPU tensor [1,C,H,W] (batch = true) or [C,H,W]. bgr = true swaps the channel
// order to B,G,R (what OpenCV-trained weights expect); grey images are unaffected.
Tensor image_to_tensor(const Image& img, bool batch = true, bool bgr = false);
// Accepts [C,H,W] or [1,C,H,W] with C = 1 or 3, float32/float64, any device and strides.
Image tensor_to_image(const Tensor& t, bool bgr = false);

// gray = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma, the paper's eq. 14); grey images pass through.
std::vector<float> to_gray(const Image& img);

}  // namespace csgis::data
