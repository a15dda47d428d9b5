// 2-D padding of the last two dims (modes as in PyTorch's F.pad), shared by the CPU and CUDA
// kernels: where each output element reads from (forward gather) and which output elements read
// each input element (backward gather: deterministic, no atomics).
#pragma once
#include <cstdint>

#include "kernels/common/layout.h"

namespace csgis {

enum class PadKind : int {
  Constant = 0,  // the border holds a constant value
  Reflect = 1,   // mirror without repeating the edge: [a b c] pad 2 -> [c b | a b c | b a]
  Replicate = 2  // repeat the edge element: [a b c] pad 2 -> [a a | a b c | c c]
};

struct Pad2dSpec {
  int64_t left = 0, right = 0, top = 0, bottom = 0;
  PadKind mode = PadKind::Constant;
};

// Input index read by padded coordinate u (u = output index - padding before, so 0 <= u < n is
// the interior); -1 for the constant border. Reflect needs padding < n, which the engine checks.
CSGIS_HD inline int64_t pad_source(PadKind mode, int64_t u, int64_t n) {
  if (u >= 0 && u < n) return u;
  switch (mode) {
    case PadKind::Constant: return -1;
    case PadKind::Reflect: return u < 0 ? -u : 2 * (n - 1) - u;
    case PadKind::Replicate: return u < 0 ? 0 : n - 1;
  }
  return -1;
}

// The padded coordinates u that read input index i along one axis: the range [lo, hi] (longer
// than one at the ends for replicate) plus up to two mirror images (reflect).
struct PadReaders {
  int64_t lo, hi;
  int64_t extra[2];
  int n_extra;

  CSGIS_HD int64_t count() const { return hi - lo + 1 + n_extra; }
  CSGIS_HD int64_t at(int64_t k) const { return k <= hi - lo ? lo + k : extra[k - (hi - lo + 1)]; }
};

CSGIS_HD inline PadReaders pad_readers(PadKind mode, int64_t i, int64_t n, int64_t before, int64_t after) {
  PadReaders r{i, i, {0, 0}, 0};
  if (mode == PadKind::Replicate) {
    if (i == 0) r.lo = -before;
    if (i == n - 1) r.hi = n - 1 + after;
  } else if (mode == PadKind::Reflect) {
    // u in [-before, -1] reads -u; u in [n, n + after) reads 2(n - 1) - u.
    if (i >= 1 && i <= before) r.extra[r.n_extra++] = -i;
    if (i <= n - 2 && 2 * (n - 1) - i < n + after) r.extra[r.n_extra++] = 2 * (n - 1) - i;
  }
  return r;
}

}  // namespace csgis
