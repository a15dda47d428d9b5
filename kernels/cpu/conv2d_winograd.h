// Winograd F(2x2, 3x3) for the CPU conv2d: 3x3 taps, stride 1, any dilation and padding, float,
// AVX2/FMA. Internal to kernels/cpu/conv2d.cpp, which uses it, when Conv2dCpuOptions::winograd is
// set (Context::cpu_conv_winograd in the engine), for the 3x3 stride-1 passes (forward, and backward-input, which is itself such a
// convolution) and the direct kernel otherwise.
//
// Per 2x2 block of outputs it multiplies 16 transformed inputs by 16 transformed weights per
// channel pair instead of 36 taps: 2.25x fewer multiply-adds, paid for with the transforms (adds
// only) and a float error a few ulps larger than the direct sum's. Dilation d is handled without
// copying sub-images: a tile's outputs are d apart, and the tiles of one row are split by column
// phase (q mod 2d) so that every transform step is a contiguous vector load (conv2d_winograd.cpp).
#pragma once
#include <cstdint>

namespace csgis::cpu {

// y[n][k][p][q] = bias[k] + sum_{c, r<3, s<3} w[k][c][r][s] * x[n][c][p - pad_top + r*dil_h][q - pad_left + s*dil_w]
// (x read as 0 outside [0,H) x [0,W)); bias may be nullptr; y (N x K x P x Q) is overwritten.
struct Winograd3x3 {
  int64_t N, C, H, W, K, P, Q, dil_h, dil_w, pad_top, pad_left;
};

// True when the CPU has AVX2/FMA and the shape is worth it (enough channels for the transforms
// to pay off).
bool winograd3x3_suits(const Winograd3x3& g);

class ScratchArena;  // kernels/cpu/scratch.h

// relu: max(0, y) as it is written (NaN stays NaN). scratch: slots 5-7 of it (nullptr: the call's own).
void winograd3x3_forward(const Winograd3x3& g, const float* x, const float* w, const float* bias, float* y,
                         bool relu = false, ScratchArena* scratch = nullptr);

}  // namespace csgis::cpu
