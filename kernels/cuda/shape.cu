// 2-D padding kernels. Forward: one thread per output element gathers its source. Backward: one
// thread per input element gathers the output gradients that read it (kernels/common/pad2d.h), so no
// atomics are needed and the result is deterministic.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/shape.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;


// y[p, oh, ow] = x[p, src(oh - top), src(ow - left)], or value in a constant border
__global__ void pad2d_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t h, int64_t w,
                                     Pad2dSpec pad, float value, int64_t n) {
  const int64_t ho = h + pad.top + pad.bottom, wo = w + pad.left + pad.right;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = t % wo, oh = (t / wo) % ho, p = t / (wo * ho);
    const int64_t ih = pad_source(pad.mode, oh - pad.top, h), iw = pad_source(pad.mode, ow - pad.left, w);
    y[t] = (ih < 0 || iw < 0) ? value : x[(p * h + ih) * w + iw];
  }
}

// dx[p, i, j] = sum of dy[p, u + top, v + left] over the readers u of i and v of j
__global__ void pad2d_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, int64_t h,
                                      int64_t w, Pad2dSpec pad, int64_t n) {
  const int64_t ho = h + pad.top + pad.bottom, wo = w + pad.left + pad.right;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = t % w, i = (t / w) % h, p = t / (w * h);
    const PadReaders rows = pad_readers(pad.mode, i, h, pad.top, pad.bottom);
    const PadReaders cols = pad_readers(pad.mode, j, w, pad.left, pad.right);
    const float* gp = dy + p * ho * wo + pad.left;
    float s = 0.f;
    for (int64_t a = 0; a < rows.count(); ++a) {
      const float* gr = gp + (rows.at(a) + pad.top) * wo;
      for (int64_t b = 0; b < cols.count(); ++b) s += gr[cols.at(b)];
    }
    dx[t] = s;
  }
}
}  // namespace

void pad2d_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad,
                   float value, cudaStream_t stream) {
  const int64_t n = planes * (h + pad.top + pad.bottom) * (w + pad.left + pad.right);
  if (n == 0) return;
  CSGIS_LAUNCH(pad2d_forward_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, x, y, h, w, pad, value, n);
  CSGIS_CHECK_LAUNCH("pad2d_forward_kernel");
}

void pad2d_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, const Pad2dSpec& pad,
                    cudaStream_t stream) {
  const int64_t n = planes * h * w;
  if (n == 0) return;
  CSGIS_LAUNCH(pad2d_backward_kernel, dim3(grid_stride_blocks(n, kThreads)), dim3(kThreads), 0, stream, dy, dx, h, w, pad, n);
  CSGIS_CHECK_LAUNCH("pad2d_backward_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
