#include "data/smoothers/gpu_smoothers.h"

#include <cmath>

#include "engine/dispatch.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/bilateral.h"
#include "kernels/gpu.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/guided_filter.h"
#include "kernels/gpu.h"

namespace csgis::data::smoothers {

HwcShape check_hwc_image(const Tensor& t, const char* op) {
  CSGIS_CHECK(t.defined(), op, ": undefined input");
  CSGIS_CHECK(t.device().runs_cuda_kernels(), op, ": expects a tensor on a cuda or simt device, got ",
              t.device().str(), " (the CPU version is the function of the same name without _gpu)");
  check_gpu_dtype(t, op);
  CSGIS_CHECK(t.dim() == 3 && (t.size(2) == 1 || t.size(2) == 3) && t.size(0) > 0 && t.size(1) > 0, op,
              ": expects an [H, W, C] image tensor with C = 1 or 3, got shape ", shape_str(t.shape()));
  return {int(t.size(1)), int(t.size(0)), int(t.size(2))};
}

void GpuBilateralParams::validate() const {
  CSGIS_CHECK(radius >= 0, "bilateral filter: radius must be >= 0, got ", radius);
  CSGIS_CHECK(sigma_color > 0 && std::isfinite(sigma_color), "bilateral filter: sigma_color must be > 0, got ",
              sigma_color);
  CSGIS_CHECK(sigma_space > 0 && std::isfinite(sigma_space), "bilateral filter: sigma_space must be > 0, got ",
              sigma_space);
}

Tensor image_to_hwc(const Image& img, Device device) {
  CSGIS_CHECK(!img.empty() && img.pixels.size() == size_t(img.width) * img.height * img.channels,
              "image_to_hwc: empty image or pixel buffer that does not match ", img.width, "x", img.height, "x",
              img.channels);
  return Tensor::from_vector(img.pixels, {img.height, img.width, img.channels}, device);
}

Image hwc_to_image(const Tensor& hwc) {
  CSGIS_CHECK(hwc.defined() && hwc.dim() == 3, "hwc_to_image: expects an [H, W, C] tensor");
  Image img;
  img.height = int(hwc.size(0));
  img.width = int(hwc.size(1));
  img.channels = int(hwc.size(2));
  img.pixels = hwc.to_vector<float>();
  return img;
}

Tensor guided_filter_gpu(const Tensor& hwc, const GuidedFilterParams& params) {
  params.validate();
  const HwcShape s = check_hwc_image(hwc, "guided_filter_gpu");
  const Tensor in = dense(hwc);
  Tensor out = Tensor::empty(in.shape(), DType::F32, in.device());
  Tensor workspace =
      Tensor::empty({guided_filter_workspace_floats(s.width, s.height, s.channels)}, DType::F32, in.device());
  // A grey image's luma is itself (data::to_gray): only RGB needs the luma guide.
  const bool gray = params.guide == GuideMode::Gray && s.channels == 3;
  CSGIS_GPU_CALL(in.device(), guided_filter, in.data<float>(), out.data<float>(), workspace.data<float>(), s.width,
                 s.height, s.channels, params.radius, float(params.eps), gray);
  return out;
}

Tensor rolling_guidance_filter_gpu(const Tensor& hwc, const RollingGuidanceParams& params) {
  params.validate();
  const HwcShape s = check_hwc_image(hwc, "rolling_guidance_filter_gpu");
  const Tensor in = dense(hwc);
  const int radius = int(std::ceil(3.0 * params.sigma_s));  // as joint_bilateral_filter
  // Two buffers in turn: an iteration reads the previous result as its guide. The first reads no
  // guide at all (a constant guide: the Gaussian of the image).
  Tensor guide, out;
  for (int t = 0; t < params.iterations; ++t) {
    out = Tensor::empty(in.shape(), DType::F32, in.device());
    CSGIS_GPU_CALL(in.device(), joint_bilateral_filter, in.data<float>(),
                   guide.defined() ? guide.data<float>() : nullptr, out.data<float>(), s.width, s.height,
                   s.channels, s.channels, radius, float(params.sigma_s), float(params.sigma_r));
    guide = out;
  }
  return out;
}

Tensor bilateral_filter_gpu(const Tensor& hwc, const GpuBilateralParams& params) {
  params.validate();
  const HwcShape s = check_hwc_image(hwc, "bilateral_filter_gpu");
  const Tensor in = dense(hwc);
  auto pass = [&](const Tensor& src, int rx, int ry) {
    Tensor out = Tensor::empty(in.shape(), DType::F32, in.device());
    CSGIS_GPU_CALL(in.device(), bilateral_filter, src.data<float>(), out.data<float>(), s.width, s.height,
                   s.channels, rx, ry, params.sigma_color, params.sigma_space, params.border);
    return out;
  };
  if (!params.separable) return pass(in, params.radius, params.radius);
  return pass(pass(in, params.radius, 0), 0, params.radius);
}

Image guided_filter_gpu(const Image& img, const GuidedFilterParams& params, Device device) {
  return hwc_to_image(guided_filter_gpu(image_to_hwc(img, device), params));
}

Image rolling_guidance_filter_gpu(const Image& img, const RollingGuidanceParams& params, Device device) {
  return hwc_to_image(rolling_guidance_filter_gpu(image_to_hwc(img, device), params));
}

Image bilateral_filter_gpu(const Image& img, const GpuBilateralParams& params, Device device) {
  return hwc_to_image(bilateral_filter_gpu(image_to_hwc(img, device), params));
}

}  // namespace csgis::data::smoothers
