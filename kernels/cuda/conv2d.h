// conv2d launchers (float32, NCHW activations, KCRS weights, groups = 1): hand-written implicit-GEMM
// kernels of kernels/cuda/conv2d.cu. Same contract as the CPU kernels of kernels/cpu/conv2d.h:
// every output is overwritten, bias may be nullptr, all pointers are device memory. Calls are
// asynchronous on `stream`; backward_weight uses a device scratch buffer it allocates and frees
// itself (stream-ordered), so it stays deterministic without atomics.
// No include guard: included once per GPU namespace (see kernels/gpu.h).
#include "kernels/common/conv2d_shape.h"
typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {
// y[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] * x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw]
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                    cudaStream_t stream);
// dx[n,c,h,w] = sum over (k,r,s,p,q) with h = p*sh-ph+r*dh, w = q*sw-pw+s*dw of w[k,c,r,s]*dy[n,k,p,q]
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream);
// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw]
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            cudaStream_t stream);
// db[k] = sum_{n,p,q} dy[n,k,p,q]
void conv2d_backward_bias(const Conv2dShape& s, const float* dy, float* db, cudaStream_t stream);
}  // namespace CSGIS_GPU_NS
}  // namespace csgis
