#include "losses/seg_ce.h"

#include <cmath>
#include <vector>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::losses {

namespace {
// Class ids as int64 on the host, whatever the labels' device and type.
std::vector<int64_t> host_labels(const Tensor& labels) {
  const Tensor h = labels.detach().cpu().contiguous();
  std::vector<int64_t> ids(size_t(h.numel()));
  if (h.dtype() == DType::I64) {
    const int64_t* p = h.data<int64_t>();
    ids.assign(p, p + h.numel());
    return ids;
  }
  const std::vector<double> v = h.to(DType::F64).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) {
    CSGIS_CHECK(std::nearbyint(v[i]) == v[i], "seg_ce: float labels must hold integral class ids, got ", v[i],
                " at element ", i);
    ids[i] = int64_t(v[i]);
  }
  return ids;
}
}  // namespace

Tensor seg_ce(const Tensor& logits, const Tensor& labels, int64_t ignore_index) {
  CSGIS_CHECK(logits.defined() && labels.defined(), "seg_ce: undefined input");
  CSGIS_CHECK(logits.dim() == 4, "seg_ce: logits must be [N, K, H, W], got ", shape_str(logits.shape()));
  const int64_t N = logits.size(0), K = logits.size(1), H = logits.size(2), W = logits.size(3);
  const bool flat = labels.dim() == 3 && labels.shape() == Shape{N, H, W};
  const bool chan = labels.dim() == 4 && labels.shape() == Shape{N, 1, H, W};
  CSGIS_CHECK(flat || chan, "seg_ce: labels must be [N, H, W] or [N, 1, H, W] = ", shape_str({N, H, W}),
              " for logits ", shape_str(logits.shape()), ", got ", shape_str(labels.shape()));
  const std::vector<int64_t> ids = host_labels(labels);
  std::vector<double> onehot(size_t(N * K * H * W), 0.0);
  int64_t valid = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t p = 0; p < H * W; ++p) {
      const int64_t id = ids[size_t(n * H * W + p)];
      if (id == ignore_index) continue;
      CSGIS_CHECK(id >= 0 && id < K, "seg_ce: label ", id, " at image ", n, " pixel ", p, " is outside [0, ", K,
                  ") and is not the ignore index ", ignore_index);
      onehot[size_t((n * K + id) * H * W + p)] = 1.0;
      ++valid;
    }
  const Tensor mask = Tensor::from_vector(onehot, {N, K, H, W}).to(logits.dtype()).to(logits.device());
  const double scale = -1.0 / double(valid > 0 ? valid : 1);
  return sum(log_softmax(logits, 1) * mask) * scale;
}

}  // namespace csgis::losses
