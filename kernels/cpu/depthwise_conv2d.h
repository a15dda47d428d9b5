#pragma once
// CPU depthwise conv2d (groups = input channels, MobileNet's 3x3 layers), contiguous NCHW
// activations and [K, 1, R, S] weights, K = C * m: output channel k reads input channel k / m.
// Conv2dShape describes it with C input channels, K output channels (its w_numel() does not
// apply: the weight has K * R * S elements). Bias gradients: cpu::conv2d_backward_bias.
// Threading: OpenMP over independent output planes / input planes / weight rows; every sum runs
// in a fixed order, so results do not depend on the thread count.
#include "kernels/common/conv2d_shape.h"

namespace csgis::cpu {

// y[n,k,p,q] = bias[k] + sum_{r,s} w[k,0,r,s] * x[n,k/m,p*sh-ph+r*dh, q*sw-pw+s*dw] (zero outside).
template <typename T>
void depthwise_conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);

// dx[n,c,h,w] = sum over k in [c*m, c*m+m), (r,s), (p,q) with p*sh-ph+r*dh = h, q*sw-pw+s*dw = w
// of w[k,0,r,s] * dy[n,k,p,q]: a scatter confined to each input plane (one thread per plane, a fixed
// order). dx is overwritten.
template <typename T>
void depthwise_conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx);

// dw[k,0,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n,k/m,p*sh-ph+r*dh,q*sw-pw+s*dw]. dw is overwritten.
template <typename T>
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw);

}  // namespace csgis::cpu
