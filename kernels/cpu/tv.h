// Masked total variation with wrap-around differences (the reference's GDLoss core), on host memory.
// Shared with the CUDA kernels: kernels/common/tv.h.
#pragma once
#include <cstdint>

#include "kernels/common/tv.h"

namespace csgis {

namespace cpu {

// out[0] = sum_{n,c,i,j} m(n,c,i,j) * ( wh * (x[i+1 mod H, j] - x[i, j])^2
//                                      + ww * (x[i, j+1 mod W] - x[i, j])^2 )
template <typename T>
void masked_tv_forward(const TvGeom& g, const T* x, const T* mask, T* out);

// dx = gout[0] * d(out)/dx:
//   dx[i,j] = 2 gout ( wh (m[i-1,j] dh[i-1,j] - m[i,j] dh[i,j]) + ww (m[i,j-1] dw[i,j-1] - m[i,j] dw[i,j]) )
// with dh[i,j] = x[i+1,j] - x[i,j], dw[i,j] = x[i,j+1] - x[i,j], every index taken mod H / W.
template <typename T>
void masked_tv_backward(const TvGeom& g, const T* x, const T* mask, const T* gout, T* dx);

}  // namespace cpu
}  // namespace csgis
