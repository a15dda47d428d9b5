// VGG16 features, frozen: torchvision's `vgg16().features` from its first layer up to a chosen ReLU
// (relu1_2 ... relu4_3), with torchvision's parameter names ("features.0.weight", ...), so a plain
// export of a torchvision state_dict loads as it is. The contrastive module of CSGIS-Net compares
// Gram matrices of relu1_2 and relu2_2 (paper sec. 3.3; the spec's `vgg16().features[0:9]`).
//
//   features: conv3x3(3,64) relu conv(64,64) relu | pool conv(64,128) relu conv(128,128) relu |
//             pool conv(128,256) relu x3 | pool conv(256,512) relu x3 | ...
//   indices:  0 1 2 3 (relu1_2 = 3) | 4 5 6 7 8 (relu2_2 = 8) | 9..15 (relu3_3 = 15) | 16..22 (relu4_3 = 22)
// Convolutions are 3x3, padding 1; pools are 2x2, stride 2, floor mode (as torchvision).
//
// Inputs are RGB images in [0, 1], NCHW. The weights' metadata records the normalisation their
// training used, x' = (x * scale - mean[c]) / std[c] (RGB order), applied by forward(): torchvision's
// ImageNet weights use scale 1, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225); HED's VGG16
// (`csgis convert --model vgg16`) scale 255, the Caffe mean (122.68, 116.67, 104.01), std 1.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/nn/layers.h"
#include "engine/nn/module.h"
#include "models/channel_affine.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::models {

// The ReLU outputs a caller can tap, in network order.
enum class Vgg16Layer : int { relu1_2 = 0, relu2_2 = 1, relu3_3 = 2, relu4_3 = 3 };
std::string vgg16_layer_name(Vgg16Layer layer);         // "relu1_2", ...
Vgg16Layer parse_vgg16_layer(const std::string& name);  // throws on anything else

// x' = (x * scale - mean[c]) / std[c] per RGB channel.
struct Vgg16Normalization {
  double scale = 1;
  std::array<double, 3> mean{0.485, 0.456, 0.406};
  std::array<double, 3> std{0.229, 0.224, 0.225};
  // How much larger this normalisation makes the network's input than torchvision's ImageNet one
  // does, (scale / mean std) / (1 / mean ImageNet std): 1 for torchvision's weights, about 57.6 for
  // HED's 0-255 input. Features scale about alike (the ReLU convolutions are homogeneous but for
  // their biases), so dividing them by it puts feature statistics (the Gram terms and their margin
  // 0.04) on the scale of the paper's torchvision VGG16.
  double input_gain_vs_imagenet() const;
  // As safetensors metadata ("vgg16.input_scale", "vgg16.input_mean", "vgg16.input_std",
  // "vgg16.channel_order" = "rgb") and back; from_metadata throws naming a missing or bad key.
  std::map<std::string, std::string> to_metadata() const;
  static Vgg16Normalization from_metadata(const std::map<std::string, std::string>& metadata,
                                          const std::string& name_for_errors);
};

// The convolutions of torchvision's features up to `last`: (features index, in, out) in order.
struct Vgg16Conv {
  int index;
  int64_t in_channels, out_channels;
};
std::vector<Vgg16Conv> vgg16_convs(Vgg16Layer last);

class Vgg16Features : public nn::Module {
 public:
  // Random (PyTorch default) initialisation; load weights with load_vgg16 or load_state_dict.
  // Parameters never require grad: the network is a fixed feature extractor, yet the gradient of
  // its outputs reaches its input.
  explicit Vgg16Features(Vgg16Layer last = Vgg16Layer::relu2_2);
  std::string type_name() const override { return "VGG16Features"; }

  // The ReLU output at `last` (the deepest layer this network holds).
  Tensor forward(const Tensor& rgb) override;
  // The outputs at each of `taps` (any order, each <= last), in the order given, from one pass.
  std::vector<Tensor> forward_taps(const Tensor& rgb, const std::vector<Vgg16Layer>& taps);

  Vgg16Layer last() const { return last_; }
  Vgg16Normalization normalization;
  // Where the weights came from ("random (seed 7)", a file path): for messages and logs.
  std::string origin = "random (PyTorch default initialisation)";

 private:
  Vgg16Layer last_;
  std::shared_ptr<nn::Module> features_;
  std::map<int, std::shared_ptr<nn::Conv2d>> convs_;  // by torchvision index
  ChannelAffine input_;  // `normalization` as scale and shift, rebuilt when it changes
};

// Loads `path` (safetensors with torchvision names and the normalisation metadata, as `csgis
// convert --model vgg16` writes): every convolution up to `last` must be present with its exact
// shape; deeper layers (and torchvision's classifier.*) are ignored. Throws csgis::Error naming the
// file and the missing or misshapen entry.
std::shared_ptr<Vgg16Features> load_vgg16(const std::string& path, Vgg16Layer last = Vgg16Layer::relu2_2);
// Fixed random filters from `seed` (for training without pretrained weights: the Gram terms then
// compare statistics of random features, a weaker constraint than the paper's).
std::shared_ptr<Vgg16Features> random_vgg16(uint64_t seed, Vgg16Layer last = Vgg16Layer::relu2_2);

// The state dict (torchvision names) and metadata of `net`, for save_safetensors.
std::map<std::string, std::string> vgg16_metadata(const Vgg16Features& net, const std::string& source);

}  // namespace csgis::models

#pragma GCC visibility pop
