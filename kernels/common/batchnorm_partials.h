// How the CUDA BatchNorm reductions split a channel over blocks, shared by the kernels and the
// engine op that allocates their workspace (kernels/cuda/batchnorm.cu).
//
// A channel's N*S values are cut into `batchnorm_partials` contiguous pieces, one block each; each
// block writes two floats (its partial sums) to the workspace, and a second, one-thread-per-
// channel kernel adds the pieces in a fixed order: deterministic, no atomics, and many blocks in
// flight even for few channels (one block per channel left most of a 132-SM GPU idle).
#pragma once
#include <cstdint>

namespace csgis {

constexpr int kBatchnormReduceThreads = 256;
// Values a partial block covers at least: 8 per thread, enough to hide the block's reduction.
constexpr int64_t kBatchnormValuesPerPartial = int64_t(kBatchnormReduceThreads) * 8;
constexpr int64_t kBatchnormMaxPartials = 128;

inline int64_t batchnorm_partials(int64_t N, int64_t S) {
  const int64_t p = (N * S + kBatchnormValuesPerPartial - 1) / kBatchnormValuesPerPartial;
  return p < 1 ? 1 : p > kBatchnormMaxPartials ? kBatchnormMaxPartials : p;
}

// Floats of workspace batchnorm_stats and batchnorm_backward_reduce need.
inline int64_t batchnorm_workspace_floats(int64_t N, int64_t C, int64_t S) {
  return 2 * C * batchnorm_partials(N, S);
}

}  // namespace csgis
