// Guided filter (He, Sun and Tang, ECCV 2010) on the GPU, per channel, guide I, source p:
//   a = (mean(I p) - mean(I) mean(p)) / (max(0, mean(I^2) - mean(I)^2) + eps),  b = mean(p) - a mean(I),
//   q = mean(a) I + mean(b),
// with means over the (2r+1)^2 box clipped to the image and divided by the pixels that remain
// (He's N normalisation), as in data/smoothers/guided_filter.cpp.
//
// Strategy: every box mean is separable, so it is two passes of direct window sums, rows first and
// then columns, one thread per output value. A direct sum of at most 2r+1 floats keeps the float
// rounding at a few ulps whatever the image size (a running sum down a 1024-pixel column would carry
// its error along the column, and the CPU's double integral image has nothing to fear from that);
// its cost grows with r, but the smoothing radii in use are small (2 to 16). Neighbouring threads read
// neighbouring pixels of one plane, so the window reads are coalesced and mostly hit L1.
// Four launches: the row sums of the four fields I, p, I^2, I p (computed from the HWC image on the
// fly), their column means, the coefficients a and b with the row sums of both, and a last pass that
// takes the column means of a and b and writes q into the HWC output. Every output value is a fixed
// sequence of float operations (no atomics, no reductions across threads): repeated runs give
// identical bits.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/guided_filter.h"

namespace csgis {
namespace CSGIS_GPU_NS {

namespace {
constexpr int kThreads = 256;
constexpr int kFields = 4;  // I, p, I^2, I p

// The guide value of channel c at pixel i: the channel itself, or the BT.601 luma of data::to_gray.
__device__ inline float guide_at(const float* img, int64_t i, int channels, int c, bool gray) {
  const float* px = img + i * channels;
  return gray ? 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2] : px[c];
}

// rows[c*4+k][y][x] = sum_{|x'-x| <= r, 0 <= x' < W} field_k(c)[y][x'],  field = (I, p, I^2, I p)
__global__ void gf_field_row_sums_kernel(const float* __restrict__ img, float* __restrict__ rows, int W, int H,
                                         int C, int r, bool gray) {
  const int64_t n = int64_t(W) * H, total = n * C * kFields;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t plane = e / n, pix = e % n;
    const int c = int(plane / kFields), k = int(plane % kFields);
    const int x = int(pix % W);
    const int64_t row = pix - x;
    const int x0 = max(0, x - r), x1 = min(W - 1, x + r);
    float s = 0.f;
    for (int xx = x0; xx <= x1; ++xx) {
      const float I = guide_at(img, row + xx, C, c, gray), p = img[(row + xx) * C + c];
      s += k == 0 ? I : k == 1 ? p : k == 2 ? I * I : I * p;
    }
    rows[e] = s;
  }
}

// means[plane][y][x] = sum_{|y'-y| <= r} rows[plane][y'][x] / (count of the clipped box)
__global__ void box_column_means_kernel(const float* __restrict__ rows, float* __restrict__ means, int W, int H,
                                        int planes, int r) {
  const int64_t n = int64_t(W) * H, total = n * planes;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t pix = e % n;
    const int x = int(pix % W), y = int(pix / W);
    const int y0 = max(0, y - r), y1 = min(H - 1, y + r);
    const int count = (min(W - 1, x + r) - max(0, x - r) + 1) * (y1 - y0 + 1);
    const float* col = rows + (e - pix) + x;
    float s = 0.f;
    for (int yy = y0; yy <= y1; ++yy) s += col[int64_t(yy) * W];
    means[e] = s / float(count);
  }
}

// ab_rows[c*2+j][y][x] = row sums of (a, b)_j, a = cov / (var + eps), b = mean(p) - a mean(I), from
// the four means of channel c; a and b are recomputed for each tap rather than stored, so the pass
// needs no extra plane and no barrier.
__global__ void gf_coefficient_row_sums_kernel(const float* __restrict__ means, float* __restrict__ ab_rows, int W,
                                               int H, int C, int r, float eps) {
  const int64_t n = int64_t(W) * H, total = n * C * 2;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t plane = e / n, pix = e % n;
    const int c = int(plane / 2), j = int(plane % 2);
    const int x = int(pix % W);
    const int64_t row = pix - x;
    const float* mI = means + (int64_t(c) * kFields + 0) * n;
    const float* mp = mI + n;
    const float* mII = mp + n;
    const float* mIp = mII + n;
    const int x0 = max(0, x - r), x1 = min(W - 1, x + r);
    float s = 0.f;
    for (int xx = x0; xx <= x1; ++xx) {
      const int64_t q = row + xx;
      const float var = fmaxf(0.f, mII[q] - mI[q] * mI[q]);  // E[I^2] - E[I]^2 can dip below 0
      const float a = (mIp[q] - mI[q] * mp[q]) / (var + eps);
      s += j == 0 ? a : mp[q] - a * mI[q];
    }
    ab_rows[e] = s;
  }
}

// out[y][x][c] = mean(a) I + mean(b), the column means of the (a, b) row sums
__global__ void gf_output_kernel(const float* __restrict__ img, const float* __restrict__ ab_rows,
                                 float* __restrict__ out, int W, int H, int C, int r, bool gray) {
  const int64_t n = int64_t(W) * H, total = n * C;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t pix = e / C;
    const int c = int(e % C);
    const int x = int(pix % W), y = int(pix / W);
    const int y0 = max(0, y - r), y1 = min(H - 1, y + r);
    const float count = float((min(W - 1, x + r) - max(0, x - r) + 1) * (y1 - y0 + 1));
    const float* a_col = ab_rows + int64_t(c) * 2 * n + x;
    const float* b_col = a_col + n;
    float sa = 0.f, sb = 0.f;
    for (int yy = y0; yy <= y1; ++yy) {
      sa += a_col[int64_t(yy) * W];
      sb += b_col[int64_t(yy) * W];
    }
    out[e] = (sa / count) * guide_at(img, pix, C, c, gray) + sb / count;
  }
}
}  // namespace

void guided_filter(const float* img, float* out, float* workspace, int width, int height, int channels,
                   int radius, float eps, bool gray_guide, cudaStream_t stream) {
  const int64_t n = int64_t(width) * height;
  if (n == 0) return;
  float* rows = workspace;                            // 4 planes per channel
  float* means = workspace + n * channels * kFields;  // 4 planes per channel
  float* ab_rows = rows;  // 2 planes per channel: the field row sums are dead once the means exist
  const unsigned b4 = grid_stride_blocks(n * channels * kFields, kThreads);
  const unsigned b2 = grid_stride_blocks(n * channels * 2, kThreads);
  const unsigned b1 = grid_stride_blocks(n * channels, kThreads);
  CSGIS_LAUNCH(gf_field_row_sums_kernel, dim3(b4), dim3(kThreads), 0, stream, img, rows, width, height, channels,
               radius, gray_guide);
  CSGIS_CHECK_LAUNCH("gf_field_row_sums_kernel");
  CSGIS_LAUNCH(box_column_means_kernel, dim3(b4), dim3(kThreads), 0, stream, rows, means, width, height,
               channels * kFields, radius);
  CSGIS_CHECK_LAUNCH("box_column_means_kernel");
  CSGIS_LAUNCH(gf_coefficient_row_sums_kernel, dim3(b2), dim3(kThreads), 0, stream, means, ab_rows, width, height,
               channels, radius, eps);
  CSGIS_CHECK_LAUNCH("gf_coefficient_row_sums_kernel");
  CSGIS_LAUNCH(gf_output_kernel, dim3(b1), dim3(kThreads), 0, stream, img, ab_rows, out, width, height, channels,
               radius, gray_guide);
  CSGIS_CHECK_LAUNCH("gf_output_kernel");
}

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
