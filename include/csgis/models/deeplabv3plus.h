// DeepLabv3+ with a MobileNetV2 backbone, the semantic module of CSGIS-Net (paper eq. 10), with the
// module and parameter names of the widely used PyTorch implementation (VainF/DeepLabV3Plus-Pytorch,
// `deeplabv3plus_mobilenet`), so a plain safetensors export of its checkpoint's "model_state" loads
// with load_state_dict(strict = true).
//
//   backbone.low_level_features  = MobileNetV2 features 0-3 (stride 4, 24 channels)
//   backbone.high_level_features = features 4-17 (320 channels; stride 8 or 16: the last strides
//                                  become dilations, as torchvision's replace_stride_with_dilation)
//   classifier.project   1x1 conv 24 -> 48 + BN + ReLU on the low-level features
//   classifier.aspp      ASPP on the high-level features: 1x1, three 3x3 atrous (12/24/36 at output
//                        stride 8, 6/12/18 at 16) and image pooling, each 256 channels + BN + ReLU,
//                        concatenated, projected 1280 -> 256 (+ BN, ReLU, dropout 0.1)
//   classifier.classifier  concat(low 48, ASPP upsampled bilinearly 256) -> 3x3 conv 304 -> 256 + BN +
//                        ReLU -> 1x1 conv to the classes; logits upsampled bilinearly to the input size.
//
// As in that implementation: MobileNetV2's first convolution (3x3, stride 2) has no padding, and
// each inverted residual pads its input by its dilation on every side before its 1x1 expansion,
// whose depthwise 3x3 then has no padding of its own. Activations are ReLU6 in the backbone, ReLU
// in the head. Inputs are RGB normalised with ImageNet's mean and std (see normalize_imagenet).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/nn/layers.h"
#include "engine/nn/module.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::models {

struct DeepLabConfig {
  int64_t num_classes = 21;  // VOC: background + 20
  int64_t output_stride = 8;  // 8 (the paper's training setting) or 16
  bool operator==(const DeepLabConfig& o) const {
    return num_classes == o.num_classes && output_stride == o.output_stride;
  }
};

class DeepLabV3Plus : public nn::Module {
 public:
  explicit DeepLabV3Plus(const DeepLabConfig& config = {});
  std::string type_name() const override { return "DeepLabV3"; }

  // Class logits [N, num_classes, H, W] of an (N, 3, H, W) normalised batch (H, W >= 17). Training
  // mode (BatchNorm on batch statistics, dropout 0.1 drawn from the context's generator) needs N >= 2.
  Tensor forward(const Tensor& x) override;
  // Frozen (the semantic loss's phi): evaluation mode and no parameter requires grad; the gradient of
  // the logits still reaches the input.
  void freeze();

  const DeepLabConfig config;

 private:
  std::shared_ptr<nn::Module> low_, high_, project_, aspp_convs_, aspp_project_, head_;
};

// (x - mean) / std with ImageNet's RGB statistics (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225):
// what the reference's VOC checkpoints expect of an RGB image in [0, 1].
Tensor normalize_imagenet(const Tensor& rgb);

// Loads a safetensors export (VainF's "model_state", or weights this engine saved): the class count
// is read from classifier.classifier.3.weight; every other entry must match exactly. Throws
// csgis::Error naming the file and the missing, unexpected or misshapen entries. When metadata is
// given it receives the file's header metadata, so a caller that checks it reads the file once.
std::shared_ptr<DeepLabV3Plus> load_deeplab(const std::string& path, int64_t output_stride = 8,
                                            std::map<std::string, std::string>* metadata = nullptr);

}  // namespace csgis::models

#pragma GCC visibility pop
