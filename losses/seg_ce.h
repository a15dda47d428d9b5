// Segmentation term L_seg (paper eq. 10): cross-entropy of the frozen segmenter's logits on S1.
#pragma once
#include <cstdint>

#include "engine/tensor.h"

namespace csgis::losses {

// Mean cross-entropy over the pixels whose label is not ignore_index (PyTorch's
// CrossEntropyLoss(ignore_index=255), reduction 'mean'):
//   L = -sum_{valid p} log_softmax(logits, 1)[n, label_p, h, w] / #valid,
// 0 (with zero gradient) when every pixel is ignored, where PyTorch returns NaN.
// logits: [N, K, H, W] float. labels: class ids as an int64 tensor (preferred, the data loader's
// type) or a float tensor holding integral values, of shape [N, H, W] or [N, 1, H, W], on any
// device; every id must be in [0, K) or equal ignore_index. Labels are read on the host to build a
// one-hot mask (a constant) that is moved to the logits' device. Differentiable in logits.
Tensor seg_ce(const Tensor& logits, const Tensor& labels, int64_t ignore_index = 255);

}  // namespace csgis::losses
