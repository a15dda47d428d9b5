// The FFT-based classical smoothers on a device that runs the kernels/cuda sources (`cuda`, or the
// emulated `simt` for tests): L0 gradient minimisation (l0_smoothing.h) and ILS with the Welsch
// penalty (ils.h), each computing what its CPU version computes, with the same circular borders and
// the same order of steps, in double precision like the CPU (see l0_smoothing.h for why L0 needs
// double; ILS keeps it so that both share the kernels).
//
// Per iteration, all channels at once: the per-pixel steps as kernels (kernels/cuda/fft_smoothers.cu:
// L0's thresholded gradients or ILS's Welsch terms, their circular divergence, the division of the
// spectrum by the precomputed 1 + w (|F(dx)|^2 + |F(dy)|^2) with the FFT's 1/(W H) folded in), one
// forward FFT of the divergence and one inverse (data/smoothers/gpu_fft.h: cuFFT on `cuda`, the
// CPU's Eigen FFT on `simt`), both on half spectra. L0: 2 + ceil(log_kappa(beta_max / (2 lambda)))
// transforms; ILS: 1 + 2 x iterations.
//
// Agreement with the CPU (tests/kernels/test_fft_smoother_kernels.cpp, docs/kernels.md), on [0,1]
// images: the FFTs round differently (cuFFT, or Eigen on whole half-spectrum columns instead of
// PlaneFft's blocks and ILS's full complex transforms), by ~1e-16 relative; the float32 outputs
// agree to <= 1e-5 max |difference|. In L0 a pixel whose sum of squared gradients lies within that
// rounding of lambda / beta could take the other side of the threshold; the tests bound how many
// pixels may differ by more than 1e-5 (none have, so far).
//
// Memory on the device (doubles): L0 3 C W H + 2 C (W/2+1) H complex; ILS the same. Images are HWC
// like data::Image; the Tensor overloads take and return a contiguous float32 [H, W, C] tensor on
// the device; the Image overloads copy the image there and the result back.
#pragma once
#include "data/image.h"
#include "data/smoothers/ils.h"
#include "data/smoothers/l0_smoothing.h"
#include "engine/tensor.h"

namespace csgis::data::smoothers {

Tensor l0_smoothing_gpu(const Tensor& hwc, const L0Params& params);
Tensor ils_smoothing_gpu(const Tensor& hwc, const IlsParams& params);

Image l0_smoothing_gpu(const Image& img, const L0Params& params, Device device);
Image ils_smoothing_gpu(const Image& img, const IlsParams& params, Device device);

}  // namespace csgis::data::smoothers
