// One training sample of the paper's data set (sec. 4.1): the five aligned maps, whatever produced them
// (the procedural generator, a folder on disk, augmentation).
#pragma once
#include <string>

#include "data/image.h"

namespace csgis::data {

struct Sample {
  std::string name;     // file stem or source path: errors about this sample name it
  std::string texture;  // texture blended into `input` (empty when unknown, e.g. read from a folder)
  Image input;          // I: RGB, the texture-blended image the network sees
  Image gt;             // S_gt: RGB smooth ground truth
  Image over;           // I_over: RGB over-smoothed negative (the ground truth smoothed too far)
  LabelMap edge;        // E_gt: 0/1
  LabelMap seg;         // class ids 0..20, 255 = ignore

  int width() const { return gt.width; }
  int height() const { return gt.height; }
};

}  // namespace csgis::data
