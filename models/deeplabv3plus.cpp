#include "models/deeplabv3plus.h"

#include <cmath>
#include <vector>

#include "engine/context.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/channel_affine.h"

namespace csgis::models {

namespace {

// min(max(x, 0), 6): MobileNetV2's activation.
class ReLU6 : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override { return clamp(x, 0.0, 6.0); }
  std::string type_name() const override { return "ReLU6"; }
};

class GlobalAvgPool : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, 1, 1); }
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
};

// Children under arbitrary keys ("4" ... "17", as a sliced PyTorch Sequential keeps), run in order.
class KeyedSequential : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& [name, m] : named_children()) y = m->forward(y);
    return y;
  }
  std::string type_name() const override { return "Sequential"; }
};

std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0,
                                 int64_t dil = 1, bool bias = false, int64_t groups = 1) {
  return std::make_shared<nn::Conv2d>(in, out, k, stride, pad, dil, bias, groups);
}

// MobileNetV2's ConvBNReLU: conv (no padding, no bias) + BN + ReLU6.
std::shared_ptr<nn::Sequential> conv_bn_relu6(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t dil = 1,
                                              int64_t groups = 1) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      conv(in, out, k, stride, 0, dil, false, groups), std::make_shared<nn::BatchNorm2d>(out),
      std::make_shared<ReLU6>()});
}

// Conv + BN + ReLU of the head ("same" padding for 3x3 as given).
std::shared_ptr<nn::Sequential> conv_bn_relu(int64_t in, int64_t out, int64_t k, int64_t pad = 0, int64_t dil = 1) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      conv(in, out, k, 1, pad, dil), std::make_shared<nn::BatchNorm2d>(out), std::make_shared<nn::ReLU>()});
}

// MobileNetV2 block: zero-pad the input by `dilation`, [1x1 expand + BN + ReLU6,] 3x3 depthwise
// (stride, dilation, no padding) + BN + ReLU6, 1x1 project + BN; plus the input when shapes allow.
class InvertedResidual : public nn::Module {
 public:
  InvertedResidual(int64_t inp, int64_t oup, int64_t stride, int64_t dilation, int64_t expand)
      : pad_(dilation), residual_(stride == 1 && inp == oup) {
    const int64_t hidden = int64_t(std::lround(double(inp * expand)));
    auto seq = std::make_shared<nn::Sequential>();
    if (expand != 1) seq->push_back(conv_bn_relu6(inp, hidden, 1));
    seq->push_back(conv_bn_relu6(hidden, hidden, 3, stride, dilation, hidden));
    seq->push_back(conv(hidden, oup, 1));
    seq->push_back(std::make_shared<nn::BatchNorm2d>(oup));
    conv_ = register_module("conv", seq);
  }
  Tensor forward(const Tensor& x) override {
    const Tensor y = conv_->forward(pad2d(x, pad_, pad_, pad_, pad_));
    return residual_ ? x + y : y;
  }
  std::string type_name() const override { return "InvertedResidual"; }

 private:
  int64_t pad_;
  bool residual_;
  std::shared_ptr<nn::Sequential> conv_;
};

// ASPP's image-pooling branch: global average, 1x1 conv + BN + ReLU, upsampled back (bilinear from
// 1 x 1, i.e. broadcast).
class AsppPooling : public nn::Module {
 public:
  explicit AsppPooling(int64_t in) {
    register_module("0", std::make_shared<GlobalAvgPool>());
    register_module("1", conv(in, 256, 1));
    register_module("2", std::make_shared<nn::BatchNorm2d>(256));
    register_module("3", std::make_shared<nn::ReLU>());
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& [name, m] : named_children()) y = m->forward(y);
    return upsample_bilinear2d(y, x.size(2), x.size(3), false);
  }
  std::string type_name() const override { return "ASPPPooling"; }
};

}  // namespace

DeepLabV3Plus::DeepLabV3Plus(const DeepLabConfig& c) : config(c) {
  // Default initialisation draws from the context's generator; the frozen network gets its weights
  // from a file, so building it leaves that random stream as it was (see Vgg16Features).
  Generator& stream = current_context().generator();
  const Generator saved = stream;
  CSGIS_CHECK(c.output_stride == 8 || c.output_stride == 16, "DeepLabV3Plus: output_stride must be 8 or 16, got ",
              c.output_stride);
  CSGIS_CHECK(c.num_classes >= 1 && c.num_classes <= 4096, "DeepLabV3Plus: num_classes must be in [1, 4096], got ",
              c.num_classes);
  // MobileNetV2 (width 1): features 0 = ConvBNReLU(3, 32, stride 2), then (t, c, n, s) stages; once
  // the output stride is reached, strides become dilations (a stage's first block keeps the
  // previous dilation).
  struct Stage {
    int64_t t, c, n, s;
  };
  const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  std::vector<std::shared_ptr<nn::Module>> features{conv_bn_relu6(3, 32, 3, 2)};
  int64_t current_stride = 2, dilation = 1, in = 32;
  for (const Stage& st : stages) {
    const int64_t previous_dilation = dilation;
    int64_t stride = st.s;
    if (current_stride == c.output_stride) {
      stride = 1;
      dilation *= st.s;
    } else {
      current_stride *= st.s;
    }
    for (int64_t i = 0; i < st.n; ++i) {
      features.push_back(i == 0 ? std::make_shared<InvertedResidual>(in, st.c, stride, previous_dilation, st.t)
                                : std::make_shared<InvertedResidual>(in, st.c, 1, dilation, st.t));
      in = st.c;
    }
  }
  auto backbone = register_module("backbone", std::make_shared<nn::Module>());
  low_ = backbone->register_module("low_level_features", std::make_shared<KeyedSequential>());
  high_ = backbone->register_module("high_level_features", std::make_shared<KeyedSequential>());
  for (size_t i = 0; i < features.size(); ++i) (i < 4 ? low_ : high_)->register_module(std::to_string(i), features[i]);

  // DeepLabHeadV3Plus(320, 24, num_classes, rates).
  const int64_t r = c.output_stride == 8 ? 12 : 6;
  auto head = register_module("classifier", std::make_shared<nn::Module>());
  project_ = head->register_module("project", conv_bn_relu(24, 48, 1));
  auto aspp = head->register_module("aspp", std::make_shared<nn::Module>());
  aspp_convs_ = aspp->register_module("convs", std::make_shared<nn::Module>());
  aspp_convs_->register_module("0", conv_bn_relu(320, 256, 1));
  for (int64_t k = 1; k <= 3; ++k) aspp_convs_->register_module(std::to_string(k), conv_bn_relu(320, 256, 3, r * k, r * k));
  aspp_convs_->register_module("4", std::make_shared<AsppPooling>(320));
  aspp_project_ = aspp->register_module(
      "project", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                     conv(1280, 256, 1), std::make_shared<nn::BatchNorm2d>(256), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Dropout>(0.1)}));
  head_ = head->register_module(
      "classifier", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                        conv(304, 256, 3, 1, 1), std::make_shared<nn::BatchNorm2d>(256),
                        std::make_shared<nn::ReLU>(), conv(256, c.num_classes, 1, 1, 0, 1, true)}));
  stream = saved;
}

Tensor DeepLabV3Plus::forward(const Tensor& x) {
  CSGIS_CHECK(x.defined() && x.dim() == 4 && x.size(1) == 3, "DeepLabV3Plus takes an (N, 3, H, W) batch, got ",
              x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
  // Training mode (csgis train with task "segment"): BatchNorm normalises with batch statistics,
  // which the image-pooling branch (one value per image and channel) cannot do from one image.
  CSGIS_CHECK(!is_training() || x.size(0) >= 2, "DeepLabV3Plus in training mode needs a batch of at least 2 "
                                                 "(BatchNorm of the image-pooling branch), got ", x.size(0));
  // The unpadded stride-2 stem needs 3 x 3 (the later stride-2 depthwise layers see padded inputs
  // and round up); 17 x 17 keeps the low-level map at least 4 x 4.
  CSGIS_CHECK(x.size(2) >= 17 && x.size(3) >= 17, "DeepLabV3Plus needs an image of at least 17x17, got ", x.size(2),
              "x", x.size(3));
  const Tensor low = low_->forward(x);
  const Tensor high = high_->forward(low);
  std::vector<Tensor> branches;
  for (const auto& [name, m] : aspp_convs_->named_children()) branches.push_back(m->forward(high));
  Tensor aspp = aspp_project_->forward(concat(branches, 1));
  const Tensor low_proj = project_->forward(low);
  aspp = upsample_bilinear2d(aspp, low_proj.size(2), low_proj.size(3), false);
  const Tensor logits = head_->forward(concat({low_proj, aspp}, 1));
  return upsample_bilinear2d(logits, x.size(2), x.size(3), false);
}

void DeepLabV3Plus::freeze() {
  eval();
  for (Tensor& p : parameters()) p.set_requires_grad(false);
}

Tensor normalize_imagenet(const Tensor& rgb) {
  const double mean[] = {0.485, 0.456, 0.406}, std_dev[] = {0.229, 0.224, 0.225};
  std::vector<double> scale(3), shift(3);
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0 / std_dev[c];
    shift[c] = -mean[c] / std_dev[c];
  }
  return ChannelAffine(scale, shift)(rgb);
}

std::shared_ptr<DeepLabV3Plus> load_deeplab(const std::string& path, int64_t output_stride,
                                            std::map<std::string, std::string>* metadata) {
  SafetensorsFile file = load_safetensors(path);
  const Tensor* last = file.find("classifier.classifier.3.weight");
  CSGIS_CHECK(last != nullptr && last->dim() == 4, "DeepLab weights '", path,
              "': no 4-D tensor 'classifier.classifier.3.weight' (not a deeplabv3plus_mobilenet state_dict?)");
  auto net = std::make_shared<DeepLabV3Plus>(DeepLabConfig{last->size(0), output_stride});
  try {
    net->load_state_dict(file.tensors, /*strict=*/true);
  } catch (const Error& e) {
    CSGIS_FAIL("DeepLab weights '", path, "': ", e.what());
  }
  const nn::NonFiniteEntry bad = nn::find_non_finite(net->state_dict());
  CSGIS_CHECK(!bad.found, "DeepLab weights '", path, "': ", bad.str(), " (weights must be finite numbers)");
  net->freeze();
  if (metadata != nullptr) *metadata = std::move(file.metadata);
  return net;
}

}  // namespace csgis::models
