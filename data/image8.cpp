#include "data/image8.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "data/input_file.h"
#include "engine/error.h"
#include "engine/io/atomic_file.h"

namespace csgis::data {

namespace {

bool has_png_signature(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char sig[8] = {0};
  f.read(reinterpret_cast<char*>(sig), 8);
  return f.gcount() == 8 && png_sig_cmp(sig, 0, 8) == 0;
}

// libpng reports errors by longjmp: the callback keeps the message, the jump returns to the
// setjmp of the C-style function below (no C++ object lives across it), which then fails.
struct PngError {
  char message[256] = {0};
};
void on_png_error(png_structp png, png_const_charp msg) {
  auto* e = static_cast<PngError*>(png_get_error_ptr(png));
  std::snprintf(e->message, sizeof e->message, "%s", msg ? msg : "");
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}

// What png_decode produces: `channels` 1 (grey) or 3 (RGB) samples of 8 bits (16-bit files scaled
// with rounding) or, with keep_16, of 16 bits for 16-bit files (native-endian uint16). A colour file
// read as grey is decoded as RGB and reduced by the caller (png_decode's layout is RGB then).
struct PngLayout {
  int channels = 3;
  bool keep_16 = false;
};
struct PngHeader {
  png_uint_32 width = 0, height = 0;
  int source_channels = 0;  // as stb counts them: grey 1, grey+alpha 2, RGB 3, RGBA 4, palette 3 (4 with tRNS)
  int source_bits = 0;      // bits per sample in the file (palette: of the index)
  bool colour = false;      // RGB or palette: read as grey, it is decoded as RGB
  int bytes_per_sample = 1;
};

// Reads the header into *hdr and, when `out` is set, the pixels (out holds hdr's width x height x
// (colour && channels == 1 ? 3 : channels) x bytes_per_sample, sized by the caller from a first
// header-only call). Returns false with err->message set. libpng reads chunk by chunk and checks each
// chunk's length against what follows, so no damaged file makes it allocate more than the image.
// libpng's own allocations (row buffers, chunk data) go through this: a single block over 64 MB
// is refused (libpng then fails, or skips an ancillary chunk), because libpng 1.6 allocates an
// ancillary chunk at the length its header claims even after warning that it is too large
// (fuzz_image found a 134-byte file whose tEXt claimed 1.5 GB). 64 MB is a row of 8 million
// RGBA 16-bit pixels; our pixel buffers are the caller's, not libpng's.
constexpr size_t kPngMaxBlock = size_t(64) << 20;
png_voidp png_bounded_malloc(png_structp, png_alloc_size_t n) { return n > kPngMaxBlock ? nullptr : std::malloc(n); }
void png_bounded_free(png_structp, png_voidp p) { std::free(p); }

bool png_decode(std::FILE* f, PngHeader* hdr, const PngLayout& layout, unsigned char* out, PngError* err) {
  png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, err, on_png_error, on_png_warning, nullptr,
                                             png_bounded_malloc, png_bounded_free);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  png_bytep* volatile rows = nullptr;  // volatile: set after setjmp, read after a longjmp
  if (!info || setjmp(png_jmpbuf(png))) {
    std::free(rows);
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_init_io(png, f);
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);  // our own limit is max_pixels
  // Ancillary chunks (text, ICC profile, ...) are read whole into memory: cap their size and count.
  // A larger one is skipped with a warning; the pixels never depend on them.
  png_set_chunk_malloc_max(png, 16u << 20);
  png_set_chunk_cache_max(png, 1000);
  png_read_info(png, info);
  hdr->width = png_get_image_width(png, info);
  hdr->height = png_get_image_height(png, info);
  const int color = png_get_color_type(png, info);
  const int bits = png_get_bit_depth(png, info);
  const bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  hdr->source_bits = bits;
  hdr->colour = color == PNG_COLOR_TYPE_RGB || color == PNG_COLOR_TYPE_RGB_ALPHA || color == PNG_COLOR_TYPE_PALETTE;
  hdr->source_channels = color == PNG_COLOR_TYPE_GRAY         ? 1
                         : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                         : color == PNG_COLOR_TYPE_RGB        ? 3
                         : color == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                                                              : (trns ? 4 : 3);
  const bool wide = layout.keep_16 && bits == 16;
  hdr->bytes_per_sample = wide ? 2 : 1;
  if (out) {
    const int decoded_channels = hdr->colour ? 3 : layout.channels;
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) {
      if (bits < 8) png_set_expand_gray_1_2_4_to_8(png);
      if (decoded_channels == 3) png_set_gray_to_rgb(png);
    }
    if (wide)
      png_set_swap(png);  // PNG stores 16-bit samples big-endian
    else
      png_set_scale_16(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const size_t row_bytes = size_t(hdr->width) * size_t(decoded_channels) * size_t(hdr->bytes_per_sample);
    if (png_get_rowbytes(png, info) != row_bytes) {
      std::snprintf(err->message, sizeof err->message, "unexpected layout after conversion");
      png_destroy_read_struct(&png, &info, nullptr);
      return false;
    }
    // A pointer per row into `out` (8 bytes per row, not per pixel); malloc, not a vector: no C++
    // object may live across libpng's longjmp.
    rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * size_t(hdr->height)));
    if (!rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < hdr->height; ++y) rows[y] = out + size_t(y) * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, nullptr);
  }
  std::free(rows);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

std::string plain_png_reason(const char* libpng_message) {
  const std::string m = libpng_message;
  if (m.find("CRC") != std::string::npos || m.find("Read Error") != std::string::npos ||
      m.find("Not enough") != std::string::npos || m.find("IDAT") != std::string::npos)
    return "the image data is damaged or cut short";
  if (m.find("dimensions") != std::string::npos || m.find("width") != std::string::npos ||
      m.find("height") != std::string::npos)
    return "the header holds an impossible image size";
  return "the image data is damaged or cut short";
}

[[noreturn]] void fail_png(const std::string& path, const PngError& err) {
  throw Error("cannot read '" + path + "': " + plain_png_reason(err.message), std::string("libpng: ") + err.message);
}

// The header as `layout` would decode it (bytes_per_sample follows layout.keep_16).
PngHeader read_png_header(const std::string& path, const PngLayout& layout = {}) {
  InputFile file(path);
  PngError err;
  PngHeader hdr;
  if (!png_decode(file.f, &hdr, layout, nullptr, &err)) fail_png(path, err);
  return hdr;
}

void decode_png_into(const std::string& path, PngHeader* hdr, const PngLayout& layout, unsigned char* out) {
  InputFile file(path);
  PngError err;
  if (!png_decode(file.f, hdr, layout, out, &err)) fail_png(path, err);
}

}  // namespace

bool is_png_file(const std::string& path) { return has_png_signature(path); }

PngSamples load_png_samples(const std::string& path, int channels, bool keep_16, int64_t max_pixels) {
  CSGIS_CHECK(channels == 1 || channels == 3, "load_png_samples: channels must be 1 or 3, got ", channels);
  const PngLayout layout{channels, keep_16};
  const PngHeader head = read_png_header(path, layout);
  const int64_t w = head.width, h = head.height;
  if (max_pixels > 0 && w * h > max_pixels)
    CSGIS_FAIL("'", path, "' is ", w, "x", h, " (", w * h, " pixels), more than the limit of ", max_pixels, " pixels");
  const int decoded_channels = head.colour ? 3 : channels;
  const size_t bps = size_t(head.bytes_per_sample);
  std::vector<uint8_t> buf(size_t(w) * size_t(h) * size_t(decoded_channels) * bps);
  PngHeader hdr;
  decode_png_into(path, &hdr, layout, buf.data());
  PngSamples s;
  s.width = int(hdr.width), s.height = int(hdr.height), s.channels = channels;
  s.bits = hdr.bytes_per_sample * 8, s.source_channels = hdr.source_channels, s.source_bits = hdr.source_bits;
  if (decoded_channels == channels) {
    s.data = std::move(buf);
    return s;
  }
  // Colour read as grey: stb_image's integer luma, so that results match the loader this replaced.
  const size_t n = size_t(w) * size_t(h);
  s.data.resize(n * bps);
  if (bps == 1) {
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* p = buf.data() + 3 * i;
      s.data[i] = uint8_t((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
    }
  } else {
    const auto* src = reinterpret_cast<const uint16_t*>(buf.data());
    auto* dst = reinterpret_cast<uint16_t*>(s.data.data());
    for (size_t i = 0; i < n; ++i) {
      const uint16_t* p = src + 3 * i;
      dst[i] = uint16_t((uint32_t(p[0]) * 19595u + uint32_t(p[1]) * 38470u + uint32_t(p[2]) * 7471u) >> 16);
    }
  }
  return s;
}

namespace {
std::pair<int, int> image_size_of(const std::string& path, bool png) {
  if (png) {
    const PngHeader hdr = read_png_header(path);
    return {int(hdr.width), int(hdr.height)};
  }
  if (is_jpeg_file(path)) return jpeg_size(path);
  InputFile file(path);  // a missing file says so
  if (std::fgetc(file.f) == EOF) CSGIS_FAIL("cannot read '", path, "': empty file");
  throw Error("cannot read '" + path + "': not a PNG or JPEG image", "neither the PNG nor the JPEG signature");
}
}  // namespace

std::pair<int, int> image_size(const std::string& path) { return image_size_of(path, has_png_signature(path)); }

Image8 load_image8(const std::string& path, int64_t max_pixels) {
  const bool png = has_png_signature(path);  // once: the header and the pixels take the same path
  const auto [w, h] = image_size_of(path, png);
  if (w <= 0 || h <= 0) CSGIS_FAIL("cannot read '", path, "': the header says ", w, "x", h, " pixels");
  if (max_pixels > 0 && int64_t(w) * h > max_pixels)
    CSGIS_FAIL("'", path, "' is ", w, "x", h, " (", int64_t(w) * h, " pixels), more than --max-pixels ", max_pixels,
               "; raise --max-pixels if this machine has the memory (about 3 bytes per pixel plus the network)");
  Image8 img;
  img.width = w;
  img.height = h;
  if (png) {
    img.rgb.resize(size_t(w) * size_t(h) * 3);
    PngHeader hdr;
    decode_png_into(path, &hdr, PngLayout{3, false}, img.rgb.data());
    return img;
  }
  int jw = 0, jh = 0;
  img.rgb = load_jpeg_samples(path, 3, max_pixels, &jw, &jh);
  if (jw != w || jh != h) CSGIS_FAIL("cannot read '", path, "': the image data is damaged or cut short");
  return img;
}

// ---------------------------------------------------------------- writer

struct PngRowWriter::State {
  AtomicFileWriter file;
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngError err;
  int width, height, rows = 0;
  bool finished = false;
  State(const std::string& path, int w, int h) : file(path), width(w), height(h) {}
};

namespace {
void on_png_write(png_structp png, png_bytep data, png_size_t n) {
  // Errors of the file are C++ exceptions: turn them into a libpng error (longjmp) with the reason.
  auto* file = static_cast<AtomicFileWriter*>(png_get_io_ptr(png));
  char reason[256] = {0};
  try {
    file->write(data, n);
  } catch (const std::exception& e) {
    std::snprintf(reason, sizeof reason, "%s", e.what());
  }
  if (reason[0]) png_error(png, reason);  // outside the handler: the longjmp must not skip it
}
void on_png_flush(png_structp) {}

bool png_begin(png_structp* png, png_infop* info, PngError* err, AtomicFileWriter* file, int w, int h) {
  *png = png_create_write_struct(PNG_LIBPNG_VER_STRING, err, on_png_error, on_png_warning);
  if (!*png) return false;
  *info = png_create_info_struct(*png);
  if (!*info || setjmp(png_jmpbuf(*png))) return false;
  png_set_write_fn(*png, file, on_png_write, on_png_flush);
  png_set_IHDR(*png, *info, png_uint_32(w), png_uint_32(h), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(*png, *info);
  return true;
}
bool png_row(png_structp png, const uint8_t* rgb) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_write_row(png, rgb);
  return true;
}
bool png_end(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_write_end(png, info);
  return true;
}
}  // namespace

PngRowWriter::PngRowWriter(const std::string& path, int width, int height) {
  CSGIS_CHECK(width > 0 && height > 0, "cannot write '", path, "': an image of ", width, "x", height);
  s_ = std::make_unique<State>(path, width, height);
  if (!png_begin(&s_->png, &s_->info, &s_->err, &s_->file, width, height))
    CSGIS_FAIL("cannot write '", path, "': ", s_->err.message);
}

PngRowWriter::~PngRowWriter() {
  if (s_ && s_->png) png_destroy_write_struct(&s_->png, &s_->info);
  // AtomicFileWriter's destructor drops the temporary unless finish() committed it.
}

void PngRowWriter::write_row(const uint8_t* rgb) {
  CSGIS_CHECK(!s_->finished && s_->rows < s_->height, "PngRowWriter: more than ", s_->height, " rows");
  if (!png_row(s_->png, rgb)) CSGIS_FAIL("cannot write '", s_->file.path(), "': ", s_->err.message);
  ++s_->rows;
}

void PngRowWriter::finish() {
  CSGIS_CHECK(s_->rows == s_->height, "PngRowWriter: ", s_->rows, " of ", s_->height, " rows written");
  if (!png_end(s_->png, s_->info)) CSGIS_FAIL("cannot write '", s_->file.path(), "': ", s_->err.message);
  s_->file.commit();
  s_->finished = true;
}

}  // namespace csgis::data
