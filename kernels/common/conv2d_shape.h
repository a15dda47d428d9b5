#pragma once
// Geometry of one 2-D convolution (groups = 1), shared by the CPU kernels, the CUDA kernels
// (nvcc and the SIMT emulator) and the cuDNN reference path.
// The struct itself is a plain aggregate of int64_t so it can be passed by value to a
// __global__ function; only the validating factory (host-only) touches the standard library.
#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#define CSGIS_CONV_HD __host__ __device__
#else
#define CSGIS_CONV_HD
#endif

namespace csgis {

struct Conv2dShape {
  int64_t N, C, H, W;  // input  NCHW
  int64_t K, R, S;     // weight K x C x R x S (groups = 1)
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t P, Q;        // output N x K x P x Q

  CSGIS_CONV_HD int64_t x_numel() const { return N * C * H * W; }
  CSGIS_CONV_HD int64_t w_numel() const { return K * C * R * S; }
  CSGIS_CONV_HD int64_t y_numel() const { return N * K * P * Q; }
  // Multiply-adds counted as 2 FLOPs; the forward, backward-input and backward-weight passes each
  // cost this much.
  CSGIS_CONV_HD double flops() const { return 2.0 * double(N * K * P * Q) * double(C * R * S); }

  // Full form: computes P, Q and validates every field. Throws std::invalid_argument.
  static Conv2dShape make(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                          int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                          int64_t pad_w, int64_t dil_h, int64_t dil_w) {
    auto fail = [](const std::string& what) {
      throw std::invalid_argument("Conv2dShape: " + what);
    };
    auto str = [](int64_t v) { return std::to_string(v); };
    if (N <= 0 || C <= 0 || H <= 0 || W <= 0)
      fail("input N,C,H,W must be positive, got " + str(N) + "," + str(C) + "," + str(H) + "," +
           str(W));
    if (K <= 0 || R <= 0 || S <= 0)
      fail("weight K,R,S must be positive, got " + str(K) + "," + str(R) + "," + str(S));
    if (stride_h <= 0 || stride_w <= 0)
      fail("stride must be >= 1, got " + str(stride_h) + "x" + str(stride_w));
    if (dil_h <= 0 || dil_w <= 0)
      fail("dilation must be >= 1, got " + str(dil_h) + "x" + str(dil_w));
    if (pad_h < 0 || pad_w < 0) fail("padding must be >= 0, got " + str(pad_h) + "x" + str(pad_w));
    const int64_t eff_h = H + 2 * pad_h - dil_h * (R - 1) - 1;
    const int64_t eff_w = W + 2 * pad_w - dil_w * (S - 1) - 1;
    if (eff_h < 0 || eff_w < 0)
      fail("dilated kernel " + str(dil_h * (R - 1) + 1) + "x" + str(dil_w * (S - 1) + 1) +
           " does not fit the padded input " + str(H + 2 * pad_h) + "x" + str(W + 2 * pad_w));
    Conv2dShape s{N, C, H, W, K, R, S, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, 0, 0};
    s.P = eff_h / stride_h + 1;
    s.Q = eff_w / stride_w + 1;
    // Kernels index with int64_t but keep per-image offsets in 32 bits (CPU offset tables,
    // CUDA index math); refuse anything that would overflow them.
    const int64_t lim = int64_t(1) << 31;
    if (C * (H + 2 * pad_h) * (W + 2 * pad_w + 8) * S >= lim || K * s.P * s.Q >= lim ||
        C * R * S * K >= lim)
      fail("per-image tensor too large for 32-bit offsets");
    return s;
  }

  // Square form: same stride, padding and dilation in both directions.
  static Conv2dShape make(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                          int64_t S, int64_t stride, int64_t pad, int64_t dil) {
    return make(N, C, H, W, K, R, S, stride, stride, pad, pad, dil, dil);
  }
};

}  // namespace csgis
