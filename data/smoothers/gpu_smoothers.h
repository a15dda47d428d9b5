// The classical smoothers on a device that runs the kernels/cuda sources (`cuda`, or the emulated
// `simt` for tests): the guided filter (guided_filter.h), the rolling guidance filter
// (rolling_guidance.h) and the OpenCV-style bilateral filter (data/filters.h), each computing what
// its CPU version computes, in float32.
//
// Kernels and strategies: kernels/cuda/guided_filter.cu, kernels/cuda/bilateral.cu. Agreement with
// the CPU (docs/kernels.md, tests/kernels/test_smoother_kernels.cpp), on [0,1] images:
//   * guided filter: the CPU works in double (integral images), the GPU in float (direct window
//     sums); max |difference| <= 1e-4 for eps >= 1e-3 (the float variance E[I^2] - E[I]^2 carries
//     ~1e-7 of rounding, which a/(var + eps) magnifies by 1/eps).
//   * rolling guidance and bilateral: the same sums in float on both sides; <= 1e-5 (bilateral) and
//     1e-4 after several rolling iterations.
// Images are HWC like data::Image. The Tensor overloads take and return a contiguous float32
// [H, W, C] tensor on the device (no host copies: what a benchmark times); the Image overloads copy
// the image there and the result back.
#pragma once
#include "data/image.h"
#include "data/smoothers/guided_filter.h"
#include "data/smoothers/rolling_guidance.h"
#include "engine/tensor.h"
#include "kernels/common/smoothers.h"  // WindowBorder

namespace csgis::data::smoothers {

// data::bilateral_filter's parameters, plus the border convention (the CPU function cuts the
// window: WindowBorder::Clip; Reflect101 mirrors the image as OpenCV's default border does).
struct GpuBilateralParams {
  int radius = 5;             // window |dx|, |dy| <= radius; >= 0
  float sigma_color = 0.1f;   // on the L1 colour distance of [0,1] data; > 0
  float sigma_space = 3.f;    // pixels; > 0
  bool separable = false;     // rows, then columns of the result (data::bilateral_filter's flag)
  WindowBorder border = WindowBorder::Clip;
  void validate() const;  // throws csgis::Error naming the bad field
};

struct HwcShape {
  int width, height, channels;
};
// Checks that `t` is what the GPU smoothers read (a float32 [H, W, C] tensor, C = 1 or 3, on a cuda
// or simt device) and names what was expected otherwise.
HwcShape check_hwc_image(const Tensor& t, const char* op);

// [H, W, C] float32 tensor on `device` <-> Image.
Tensor image_to_hwc(const Image& img, Device device);
Image hwc_to_image(const Tensor& hwc);

Tensor guided_filter_gpu(const Tensor& hwc, const GuidedFilterParams& params);
Tensor rolling_guidance_filter_gpu(const Tensor& hwc, const RollingGuidanceParams& params);
Tensor bilateral_filter_gpu(const Tensor& hwc, const GpuBilateralParams& params);

Image guided_filter_gpu(const Image& img, const GuidedFilterParams& params, Device device);
Image rolling_guidance_filter_gpu(const Image& img, const RollingGuidanceParams& params, Device device);
Image bilateral_filter_gpu(const Image& img, const GpuBilateralParams& params, Device device);

}  // namespace csgis::data::smoothers
