#include "data/image8.h"

#include <png.h>
#include <stb/stb_image.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

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

// Decodes into `out` (sized by the caller from `size_only`); returns false with err->message set.
bool png_decode(std::FILE* f, png_uint_32* w, png_uint_32* h, unsigned char* out, bool size_only, PngError* err) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, err, on_png_error, on_png_warning);
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
  png_read_info(png, info);
  *w = png_get_image_width(png, info);
  *h = png_get_image_height(png, info);
  if (!size_only) {
    const int color = png_get_color_type(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) {
      if (png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
      png_set_gray_to_rgb(png);
    }
    png_set_scale_16(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != size_t(*w) * 3) {
      std::snprintf(err->message, sizeof err->message, "unexpected layout after conversion to RGB");
      png_destroy_read_struct(&png, &info, nullptr);
      return false;
    }
    // A pointer per row into `out` (8 bytes per row, not per pixel); malloc, not a vector: no C++
    // object may live across libpng's longjmp.
    rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * size_t(*h)));
    if (!rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < *h; ++y) rows[y] = out + size_t(y) * size_t(*w) * 3;
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

struct File {
  std::FILE* f = nullptr;
  explicit File(const std::string& path) : f(std::fopen(path.c_str(), "rb")) {
    if (!f) CSGIS_FAIL("cannot read '", path, "': ", std::strerror(errno));
  }
  ~File() {
    if (f) std::fclose(f);
  }
};

}  // namespace

namespace {
std::pair<int, int> image_size_of(const std::string& path, bool png) {
  if (png) {
    File file(path);
    PngError err;
    png_uint_32 w = 0, h = 0;
    if (!png_decode(file.f, &w, &h, nullptr, true, &err))
      throw Error("cannot read '" + path + "': " + plain_png_reason(err.message), std::string("libpng: ") + err.message);
    return {int(w), int(h)};
  }
  int w = 0, h = 0, comp = 0;
  File file(path);
  if (!stbi_info_from_file(file.f, &w, &h, &comp)) {
    const char* r = stbi_failure_reason();
    throw Error("cannot read '" + path + "': not a PNG or JPEG image (or a variant the decoder does not support)",
                std::string("stb_image: ") + (r ? r : ""));
  }
  return {w, h};
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
    File file(path);
    PngError err;
    png_uint_32 pw = 0, ph = 0;
    if (!png_decode(file.f, &pw, &ph, img.rgb.data(), false, &err))
      throw Error("cannot read '" + path + "': " + plain_png_reason(err.message), std::string("libpng: ") + err.message);
    return img;
  }
  int sw = 0, sh = 0, comp = 0;
  File file(path);
  std::unique_ptr<uint8_t, void (*)(void*)> px(stbi_load_from_file(file.f, &sw, &sh, &comp, 3), stbi_image_free);
  if (!px || sw != w || sh != h) {
    const char* r = stbi_failure_reason();
    throw Error("cannot read '" + path + "': the image data is damaged or cut short",
                std::string("stb_image: ") + (r ? r : ""));
  }
  img.rgb.assign(px.get(), px.get() + size_t(w) * size_t(h) * 3);
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
