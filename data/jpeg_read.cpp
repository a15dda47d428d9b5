// JPEG reading through libjpeg-turbo (Debian libjpeg-dev) instead of stb_image, whose decoder
// asserted and read out of bounds on damaged files (tests/fuzz/corpus/fuzz_image/crash-stb-*).
// libjpeg reports errors through error_exit, which must not return: it longjmps back to the
// setjmp of the C-style function below, where no C++ object lives, and that function fails.
#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>

#include "data/image8.h"
#include "data/input_file.h"
#include "engine/error.h"

namespace csgis::data {

namespace {

struct JpegError {
  jpeg_error_mgr mgr;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
  bool cut_short = false;  // libjpeg's "premature end of file" warning: it pads the rest with grey
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}
// Warnings: a file cut short is refused (libjpeg would fill the missing rows with grey); other
// recoverable damage (stray bytes before a marker, common in camera files) stays quiet, as before.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<JpegError*>(cinfo->err)->cut_short = true;
}

// Header only (out == nullptr) or pixels into out (width x height x channels bytes, sized by the
// caller from a header-only call). Returns false with err->message set.
bool jpeg_decode(std::FILE* f, int channels, unsigned char* out, int* width, int* height, int* components,
                 JpegError* err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->mgr);
  err->mgr.error_exit = on_jpeg_error;
  err->mgr.emit_message = on_jpeg_message;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  // Markers (comments, EXIF, ICC) are not kept in memory: a damaged length cannot make us allocate.
  jpeg_stdio_src(&cinfo, f);
  jpeg_read_header(&cinfo, TRUE);
  *width = int(cinfo.image_width);
  *height = int(cinfo.image_height);
  *components = cinfo.num_components;
  if (out) {
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
      std::snprintf(err->message, sizeof err->message, "CMYK JPEG");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (int(cinfo.output_components) != channels || int(cinfo.output_width) != *width ||
        int(cinfo.output_height) != *height) {
      std::snprintf(err->message, sizeof err->message, "unexpected layout after conversion");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
    const size_t row_bytes = size_t(*width) * size_t(channels);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = out + size_t(cinfo.output_scanline) * row_bytes;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (err->cut_short) {
      std::snprintf(err->message, sizeof err->message, "premature end of JPEG file");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
  }
  jpeg_destroy_decompress(&cinfo);
  return true;
}

[[noreturn]] void fail_jpeg(const std::string& path, const JpegError& err) {
  const std::string m = err.message;
  const std::string plain = m == "CMYK JPEG" ? "a CMYK JPEG, which is not supported (save it as RGB)"
                                             : "the image data is damaged or cut short";
  throw Error("cannot read '" + path + "': " + plain, "libjpeg: " + m);
}

}  // namespace

bool is_jpeg_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  unsigned char sig[3] = {0, 0, 0};
  const size_t n = std::fread(sig, 1, 3, f);
  std::fclose(f);
  return n == 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF;
}

std::pair<int, int> jpeg_size(const std::string& path) {
  InputFile file(path);
  JpegError err;
  int w = 0, h = 0, comp = 0;
  if (!jpeg_decode(file.f, 3, nullptr, &w, &h, &comp, &err)) fail_jpeg(path, err);
  return {w, h};
}

std::vector<uint8_t> load_jpeg_samples(const std::string& path, int channels, int64_t max_pixels, int* width,
                                       int* height) {
  CSGIS_CHECK(channels == 1 || channels == 3, "load_jpeg_samples: channels must be 1 or 3, got ", channels);
  const auto [w, h] = jpeg_size(path);
  if (w <= 0 || h <= 0) CSGIS_FAIL("cannot read '", path, "': the header says ", w, "x", h, " pixels");
  if (max_pixels > 0 && int64_t(w) * h > max_pixels)
    CSGIS_FAIL("'", path, "' is ", w, "x", h, " (", int64_t(w) * h, " pixels), more than the limit of ", max_pixels,
               " pixels");
  std::vector<uint8_t> out(size_t(w) * size_t(h) * size_t(channels));
  InputFile file(path);
  JpegError err;
  int dw = 0, dh = 0, comp = 0;
  if (!jpeg_decode(file.f, channels, out.data(), &dw, &dh, &comp, &err)) fail_jpeg(path, err);
  *width = dw;
  *height = dh;
  return out;
}

}  // namespace csgis::data
