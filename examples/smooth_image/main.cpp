// The smallest embedding of the engine: load JESS weights, smooth one PNG on the CPU, write it.
//   smooth_image WEIGHTS IN.png OUT.png
#include <csgis/csgis.h>
#include <stb_image.h>
#include <stb_image_write.h>

#include <chrono>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s WEIGHTS IN.png OUT.png\n", argv[0]);
    return 2;
  }
  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(argv[2], &w, &h, &channels, 3);
  if (!pixels) {
    std::fprintf(stderr, "cannot read '%s': %s\n", argv[2], stbi_failure_reason());
    return 1;
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    csgis::Context ctx;  // this program's engine state: CPU here, so no stream
    csgis::ContextGuard use(ctx);
    std::unique_ptr<csgis::models::Jess> model = csgis::models::load_jess(argv[1]);
    csgis::models::fold_batchnorm(*model);  // inference only
    // Interleaved 8-bit RGB -> planar float [1, 3, H, W] in [0, 1].
    std::vector<float> planes(size_t(3) * size_t(w) * size_t(h));
    for (size_t i = 0; i < size_t(w) * size_t(h); ++i)
      for (size_t c = 0; c < 3; ++c) planes[c * size_t(w) * size_t(h) + i] = float(pixels[i * 3 + c]) / 255.f;
    const csgis::Tensor image = csgis::Tensor::from_vector(planes, {1, 3, h, w});
    const csgis::Tensor smoothed = csgis::models::jess_smooth(*model, image, csgis::models::ChannelOrder::RGB);
    const std::vector<uint8_t> out = csgis::models::jess_to_uint8(smoothed);  // [H][W][C], as writers take
    if (!stbi_write_png(argv[3], w, h, 3, out.data(), w * 3)) {
      std::fprintf(stderr, "cannot write '%s'\n", argv[3]);
      stbi_image_free(pixels);
      return 1;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote '%s' (%dx%d) in %.2f s\n", argv[3], w, h, s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smooth_image: %s\n", e.what());
    stbi_image_free(pixels);
    return 1;
  }
  stbi_image_free(pixels);
  return 0;
}
