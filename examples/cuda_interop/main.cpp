// A host program that owns its device memory and its stream lends both to the engine: it allocates
// an RGB float image with cudaMalloc, wraps it with Tensor::from_blob (no copy, never freed by the
// engine), runs JESS on its own cudaStream_t and writes the result back into the same buffer.
// Without a GPU (or in a build without CUDA) the same code runs on the emulated CUDA device, whose
// memory is host memory. The result is checked against the CPU path.
//   cuda_interop WEIGHTS [SIZE]
#include <csgis/csgis.h>

#if CSGIS_HAS_CUDA
#include <cuda_runtime.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// A test image: smooth colour ramps under a fine checker texture, planar [3][H][W] in [0, 1].
std::vector<float> make_image(int size) {
  std::vector<float> img(size_t(3) * size_t(size) * size_t(size));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const float ramp = 0.2f + 0.6f * float(c == 0 ? x : c == 1 ? y : x + y) / float(2 * size);
        const float checker = ((x / 2 + y / 2) % 2) ? 0.08f : -0.08f;
        img[(size_t(c) * size_t(size) + size_t(y)) * size_t(size) + size_t(x)] = ramp + checker;
      }
  return img;
}

[[maybe_unused]] void check(bool ok, const char* what) {  // (used by the CUDA branches)
  if (!ok) throw std::runtime_error(what);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s WEIGHTS [SIZE]\n", argv[0]);
    return 2;
  }
  const int size = argc == 3 ? std::atoi(argv[2]) : 48;
  if (size < 8 || size > 4096) {
    std::fprintf(stderr, "cuda_interop: SIZE must be 8-4096, got '%s'\n", argv[2]);
    return 2;
  }
  try {
    const std::vector<float> image = make_image(size);
    [[maybe_unused]] const size_t bytes = image.size() * sizeof(float);
    const bool gpu = csgis::cuda_available();
    const csgis::Device device = gpu ? csgis::Device::cuda(0) : csgis::Device::simt();

    // ---- the host program's own memory and stream
    float* buffer = nullptr;
    cudaStream_t stream = nullptr;
    std::unique_ptr<float[]> emulated;  // the SIMT device's memory is host memory
#if CSGIS_HAS_CUDA
    if (gpu) {
      check(cudaStreamCreate(&stream) == cudaSuccess, "cudaStreamCreate failed");
      check(cudaMalloc(reinterpret_cast<void**>(&buffer), bytes) == cudaSuccess, "cudaMalloc failed");
      check(cudaMemcpyAsync(buffer, image.data(), bytes, cudaMemcpyHostToDevice, stream) == cudaSuccess,
            "cudaMemcpyAsync failed");
    }
#endif
    if (!gpu) {
      emulated.reset(new float[image.size()]);
      buffer = emulated.get();
      std::copy(image.begin(), image.end(), buffer);
    }

    // The reference: the same image smoothed on the CPU.
    std::unique_ptr<csgis::models::Jess> model = csgis::models::load_jess(argv[1]);
    csgis::models::fold_batchnorm(*model);
    const std::vector<float> reference =
        csgis::models::jess_smooth(*model, csgis::Tensor::from_vector(image, {1, 3, size, size})).to_vector<float>();

    {
      // ---- the engine works on the host's stream and in the host's buffer
      csgis::Context ctx(0, stream);
      csgis::ContextGuard use(ctx);
      model->to(device);
      csgis::Tensor wrapped = csgis::Tensor::from_blob(buffer, {1, 3, size, size}, device);
      const csgis::Tensor smoothed = csgis::models::jess_smooth(*model, wrapped);  // stays on the device
      wrapped.copy_(smoothed);  // in place, queued on the host's stream
      ctx.synchronize();
    }

    std::vector<float> result(image.size());
#if CSGIS_HAS_CUDA
    if (gpu) {
      check(cudaMemcpy(result.data(), buffer, bytes, cudaMemcpyDeviceToHost) == cudaSuccess, "cudaMemcpy failed");
      check(cudaFree(buffer) == cudaSuccess && cudaStreamDestroy(stream) == cudaSuccess, "cleanup failed");
    }
#endif
    if (!gpu) result.assign(buffer, buffer + image.size());

    double worst = 0, change = 0;
    for (size_t i = 0; i < result.size(); ++i) {
      worst = std::fmax(worst, std::fabs(double(result[i]) - double(reference[i])));
      change = std::fmax(change, std::fabs(double(result[i]) - double(image[i])));
    }
    std::printf("cuda_interop: %dx%d smoothed in place on %s (%s stream): max |device - CPU| = %.2e, max change %.3f\n",
                size, size, device.str().c_str(), stream ? "the host's" : "the default", worst, change);
    if (!(worst < 1e-3) || !(change > 0.01)) {
      std::fprintf(stderr, "cuda_interop: the device result does not match the CPU's (or nothing changed)\n");
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuda_interop: %s\n", e.what());
    return 1;
  }
  return 0;
}
