// Gram matrices of feature maps: the reduction split of the CUDA kernels (kernels/cuda/gram.h),
// here so the host side that sizes their scratch computes the same plan.
#pragma once
#include <cstdint>

namespace csgis {

// f is [N, C, K] (K = H * W, contiguous); G[n] = scale * f[n] f[n]^T is [N, C, C].
// The CUDA forward splits K into `splits` chunks of `chunk` columns (a multiple of the 32-wide tile)
// so that a few 32 x 32 output tiles with a long K still occupy the whole GPU; chunk partial sums
// are added in a fixed order by a second kernel.
struct GramPlan {
  int64_t splits = 1, chunk = 0;
};

inline GramPlan gram_plan(int64_t K) {
  GramPlan p;
  int64_t s = (K + 511) / 512;  // about 512 columns (16 tiles of K) per block
  s = s < 1 ? 1 : s > 64 ? 64 : s;
  p.chunk = ((K + s - 1) / s + 31) / 32 * 32;
  if (p.chunk == 0) p.chunk = 32;
  p.splits = (K + p.chunk - 1) / p.chunk;
  if (p.splits < 1) p.splits = 1;
  return p;
}

}  // namespace csgis
