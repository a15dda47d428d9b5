// Segmentation scores and label checks for `csgis train` (task "segment", and the smoother's
// semantic term): a confusion matrix over a validation set, its mean IoU, the colour-coded
// prediction grid, and the scan of a data set's labels that runs before training starts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"
#include "engine/tensor.h"

namespace csgis::tools {

// Pixel counts confusion[truth][prediction] over K classes; label 255 is not counted.
class SegConfusion {
 public:
  explicit SegConfusion(int64_t num_classes);
  // truth and prediction: class ids of the same pixels (prediction in [0, K)); a truth id outside
  // [0, K) other than 255 is an error naming `where`.
  void add(const std::vector<uint8_t>& truth, const std::vector<int64_t>& prediction, const std::string& where);
  // Per class IoU = TP / (TP + FP + FN); -1 for a class that is neither in the truth nor predicted.
  std::vector<double> iou() const;
  // Mean over the classes whose IoU is defined (PyTorch-style "mean IoU" of the VOC evaluations);
  // 0 when no pixel was counted.
  double mean_iou() const;
  double pixel_accuracy() const;  // correct / counted pixels
  int64_t counted() const;

 private:
  int64_t k_;
  std::vector<int64_t> m_;
};

// Class ids of a logits batch [N, K, H, W]: argmax over K, as N * H * W ids (host).
std::vector<int64_t> argmax_classes(const Tensor& logits);

// Class ids as colours (VOC's palette; 255 in its void colour): what the grid shows.
data::Image colour_labels(const std::vector<uint8_t>& ids, int width, int height);

struct LabelScan {
  int64_t samples = 0;         // label maps read
  int64_t labelled_pixels = 0; // pixels with a class id (not 255)
};

// Reads every seg map of the source (a folder: each DIR/seg/<stem>.png; procedural: nothing to read,
// its classes are known) and fails, naming the file and the pixel, on an id >= num_classes other
// than 255. `what` names the consumer in the message ("segmenter.num_classes = 7").
LabelScan scan_labels(const data::SampleSource& source, const std::string& source_name, int64_t num_classes,
                      const std::string& what);

}  // namespace csgis::tools
