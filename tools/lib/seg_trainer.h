// Training of DeepLabv3+ alone (paper eq. 10's phi): `csgis train --config seg.json` with task
// "segment". The network sees the data set's ground-truth images S_gt (what it will judge: smooth
// images) normalised as ImageNet, and learns their seg labels with cross-entropy (ignore 255).
//
// Out directory, as the smoother's run (trainer.h): config.json, checkpoint.safetensors (weights,
// BatchNorm statistics, Adam state, step, generator: resume is exact), best.safetensors (the
// weights with the best validation mean IoU, a plain state_dict that load_deeplab and the
// smoother's loss.seg_weights read), metrics.jsonl (seg_ce per logged step; val_miou,
// val_pixel_acc and val_iou per class per validation), curve.png, val_grid.png (per validation
// image: the image, its labels, the prediction, in VOC's palette).
#pragma once
#include <cstdint>
#include <vector>

#include "tools/lib/trainer.h"

namespace csgis::tools {

struct SegTrainResult {
  int64_t first_step = 0, last_step = 0;  // steps run by this call: (first_step, last_step]
  std::vector<double> losses;             // cross-entropy of each step run by this call
  double final_miou = 0, final_pixel_acc = 0, best_miou = -1;
  double seconds = 0;
};

// options.config.task must be "segment". Errors (labels out of range, a folder without any label,
// a bad init or checkpoint) come before the run folder is touched.
SegTrainResult train_segmenter(const TrainOptions& options);

}  // namespace csgis::tools
