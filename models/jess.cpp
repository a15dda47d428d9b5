#include "models/jess.h"

#include <cmath>
#include <map>
#include <tuple>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace csgis::models {

std::string channel_order_name(ChannelOrder order) { return order == ChannelOrder::RGB ? "rgb" : "bgr"; }

ChannelOrder parse_channel_order(const std::string& name) {
  if (name == "rgb") return ChannelOrder::RGB;
  if (name == "bgr") return ChannelOrder::BGR;
  CSGIS_FAIL("channel order must be \"rgb\" or \"bgr\", got \"", name, "\"");
}

// ---------------------------------------------------------------- building blocks

namespace {

// 3x3 convolution with bias, padding = dilation: spatial size is kept.
std::shared_ptr<nn::Conv2d> conv3x3(int64_t in, int64_t out, int64_t dilation = 1) {
  return std::make_shared<nn::Conv2d>(in, out, 3, 1, dilation, dilation, true);
}

// Appends Conv -> BN -> ReLU as three Sequential entries (three indices, as in the reference).
void push_cbr(nn::Sequential& seq, int64_t in, int64_t out) {
  seq.push_back(conv3x3(in, out));
  seq.push_back(std::make_shared<nn::BatchNorm2d>(out));
  seq.push_back(std::make_shared<nn::ReLU>());
}

}  // namespace

RHDCBlock::RHDCBlock(int64_t dim) {
  // Registration order = the reference's attribute order, so state_dict() lists keys as PyTorch does.
  conv_3x3_1 = register_module("conv_3x3_1", conv3x3(dim, dim, 1));
  bn_conv_3x3_1 = register_module("bn_conv_3x3_1", std::make_shared<nn::BatchNorm2d>(dim));
  conv_3x3_2 = register_module("conv_3x3_2", conv3x3(dim, dim, 2));
  bn_conv_3x3_2 = register_module("bn_conv_3x3_2", std::make_shared<nn::BatchNorm2d>(dim));
  conv_3x3_3 = register_module("conv_3x3_3", conv3x3(dim, dim, 3));
  bn_conv_3x3_3 = register_module("bn_conv_3x3_3", std::make_shared<nn::BatchNorm2d>(dim));
}

namespace {
// conv -> BN -> ReLU; after fold_batchnorm the convolution does all three (BN in its weights, the
// ReLU as it writes its output).
Tensor cbr(nn::Conv2d& conv, nn::BatchNorm2d& bn, const Tensor& x) {
  return conv.relu_epilogue ? conv.forward(x) : relu(bn.forward(conv.forward(x)));
}
}  // namespace

Tensor RHDCBlock::forward(const Tensor& x) {
  Tensor y = cbr(*conv_3x3_1, *bn_conv_3x3_1, x);
  y = cbr(*conv_3x3_2, *bn_conv_3x3_2, y);
  y = cbr(*conv_3x3_3, *bn_conv_3x3_3, y);
  return add(y, x);
}

JessDescriptor::JessDescriptor(int64_t in_c, int64_t dim, int num_blocks) {
  conv_in = register_module("conv_in", conv3x3(in_c, dim));
  res16 = register_module("res16", std::make_shared<nn::Sequential>());
  for (int i = 0; i < num_blocks; ++i) res16->push_back(std::make_shared<RHDCBlock>(dim));
}

Tensor JessDescriptor::forward(const Tensor& x) { return res16->forward(conv_in->forward(x)); }

// ---------------------------------------------------------------- Jess

Jess::Jess(const JessConfig& c) : config_(c) {
  c.validate();
  const int64_t dim = c.dim, out_c = c.out_c;
  descriptor = register_module("descriptor", std::make_shared<JessDescriptor>(c.in_c, dim, c.feature_blocks));

  interpreter1 = register_module("interpreter1", std::make_shared<nn::Sequential>());
  push_cbr(*interpreter1, dim, dim);
  push_cbr(*interpreter1, dim, dim);
  interpreter1->push_back(conv3x3(dim, 1));

  interpreter2 = register_module("interpreter2", std::make_shared<nn::Sequential>());
  push_cbr(*interpreter2, dim + 1, dim);
  for (int i = 0; i < c.smooth_blocks; ++i) interpreter2->push_back(std::make_shared<RHDCBlock>(dim));
  push_cbr(*interpreter2, dim, dim);
  interpreter2->push_back(conv3x3(dim, out_c));

  // The reference has no CBR before the output conv here (unlike interpreter2).
  refine = register_module("refine", std::make_shared<nn::Sequential>());
  push_cbr(*refine, dim + 1 + out_c, dim);
  for (int i = 0; i < c.enhance_blocks; ++i) refine->push_back(std::make_shared<RHDCBlock>(dim));
  refine->push_back(conv3x3(dim, out_c));

  // The name scheme in jess_names.h (used by infer_jess_config) must describe what was built.
  CSGIS_CHECK(int(interpreter2->size()) == jess_index::smooth_out_conv(c.smooth_blocks) + 1 &&
                  int(refine->size()) == jess_index::enhance_out_conv(c.enhance_blocks) + 1,
              "Jess: layer indices disagree with jess_names.h");
}

Device Jess::device() const { return descriptor->conv_in->weight.device(); }

JessOutput Jess::forward_all(const Tensor& image) {
  CSGIS_CHECK(image.dim() == 4 && image.size(1) == config_.in_c, "Jess: expected input [N, ", config_.in_c,
              ", H, W], got ", shape_str(image.shape()));
  JessOutput o;
  const Tensor features = descriptor->forward(image);
  o.E_pred = interpreter1->forward(features);
  const Tensor with_edge = concat({features, o.E_pred}, 1);  // dim + 1 channels
  o.S0 = interpreter2->forward(with_edge);
  o.R = refine->forward(concat({with_edge, o.S0}, 1));  // dim + 1 + out_c channels
  o.S1 = add(o.S0, o.R);
  return o;
}

namespace {
void fold_block(RHDCBlock& b) {
  for (auto [conv, bn] : {std::pair{b.conv_3x3_1, b.bn_conv_3x3_1}, std::pair{b.conv_3x3_2, b.bn_conv_3x3_2},
                          std::pair{b.conv_3x3_3, b.bn_conv_3x3_3}}) {
    nn::fold_into_conv(*conv, *bn);
    conv->relu_epilogue = true;  // RHDCBlock::forward's cbr then skips BN and ReLU
  }
}
// Every Conv2d directly followed by a BatchNorm2d (and the ReLU after it), and every rHDC block,
// of a Sequential.
void fold_sequential(nn::Sequential& seq) {
  for (size_t i = 0; i < seq.size(); ++i) {
    if (auto block = seq.at<RHDCBlock>(i)) fold_block(*block);
    if (i + 1 < seq.size())
      if (auto conv = seq.at<nn::Conv2d>(i))
        if (auto bn = seq.at<nn::BatchNorm2d>(i + 1)) {
          nn::fold_into_conv(*conv, *bn);
          if (i + 2 < seq.size())
            if (auto act = seq.at<nn::ReLU>(i + 2)) {
              conv->relu_epilogue = true;
              act->fused_into_conv = true;
            }
        }
  }
}
}  // namespace

void fold_batchnorm(Jess& model) {
  CSGIS_CHECK(!model.batchnorm_folded(), "fold_batchnorm: the model's BatchNorm layers are already folded");
  fold_sequential(*model.descriptor->res16);
  fold_sequential(*model.interpreter1);
  fold_sequential(*model.interpreter2);
  fold_sequential(*model.refine);
  model.eval();
}

bool Jess::batchnorm_folded() const { return interpreter1->at<nn::BatchNorm2d>(1)->folded; }

int64_t count_parameters(const nn::Module& module) {
  int64_t n = 0;
  for (const Tensor& p : module.parameters()) n += p.numel();
  return n;
}

// ---------------------------------------------------------------- weight files

namespace {
// Weights with a NaN or an infinity (or a negative BatchNorm variance) make every output pixel
// NaN, which an 8-bit PNG would silently store as black: refuse them at load, naming the tensor.
bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void refuse_non_finite_state(const std::string& path, const Jess& model) {
  const nn::StateDict state = model.state_dict();
  const nn::NonFiniteEntry bad = nn::find_non_finite(state);
  if (bad.found)
    CSGIS_FAIL("weights '", path, "': tensor '", bad.name, "' holds ", std::isnan(bad.value) ? "NaN" : "an infinity",
               " at index ", bad.index, " of ", nn::find_entry(state, bad.name)->numel(), " (weights must be finite numbers)");
  for (const auto& [name, tensor] : state) {
    if (!ends_with(name, ".running_var")) continue;
    const std::vector<double> values = tensor.to_vector<double>();
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] < 0)
        CSGIS_FAIL("weights '", path, "': tensor '", name, "' holds the negative variance ", values[i], " at index ", i,
                   " of ", values.size(), " (BatchNorm variances must be >= 0)");
  }
}
// A run's checkpoint.safetensors (csgis train) holds the model's tensors under "model." beside the
// optimizer's; the smoother in it is read like a weight file, so a user can smooth with (or
// evaluate) the last step of a run, not only its best.safetensors. The trainer works in RGB.
void keep_checkpoint_model(SafetensorsFile& file) {
  const auto fmt = file.metadata.find("format");
  if (fmt == file.metadata.end() || fmt->second != kTrainCheckpointFormat) return;
  const std::string prefix = kCheckpointModelPrefix;
  std::vector<std::pair<std::string, Tensor>> model_tensors;
  for (auto& [name, t] : file.tensors)
    if (name.rfind(prefix, 0) == 0) model_tensors.emplace_back(name.substr(prefix.size()), t);
  file.tensors = std::move(model_tensors);
  std::map<std::string, std::string> md;
  for (const char* key : {kJessConfigKey, "step"})
    if (auto it = file.metadata.find(key); it != file.metadata.end()) md[key] = it->second;
  md[kChannelOrderKey] = "rgb";
  file.metadata = std::move(md);
}

// The name in a model of config `from` of the tensor called `name` in a deeper model of config
// `to`, or "" when `to`'s tensor belongs to an appended block. The blocks of interpreter2 and
// refine sit between fixed head layers and tail layers whose Sequential indices move with the
// block count (jess_index).
std::string grown_source_name(const std::string& name, const JessConfig& from, const JessConfig& to) {
  auto index_after = [&](const std::string& prefix, size_t& rest) -> long {
    if (name.rfind(prefix, 0) != 0) return -1;
    const size_t dot = name.find('.', prefix.size());
    rest = dot;
    return std::stol(name.substr(prefix.size(), dot - prefix.size()));
  };
  size_t rest = 0;
  if (long i = index_after("descriptor.res16.", rest); i >= 0)
    return i < from.feature_blocks ? name : "";
  const int first = jess_index::kFirstBlock;
  for (const auto& [prefix, to_blocks, from_blocks] :
       {std::tuple<std::string, int, int>{"interpreter2.", to.smooth_blocks, from.smooth_blocks},
        std::tuple<std::string, int, int>{"refine.", to.enhance_blocks, from.enhance_blocks}}) {
    const long i = index_after(prefix, rest);
    if (i < 0) continue;
    if (i < first) return name;                                       // the head: conv, BN
    if (i < first + to_blocks) return i < first + from_blocks ? name : "";  // a block
    return prefix + std::to_string(i - to_blocks + from_blocks) + name.substr(rest);  // the tail
  }
  return name;
}
}  // namespace

void grow_jess(const Jess& from, Jess& to, double last_bn_gamma) {
  const JessConfig& a = from.config();
  const JessConfig& b = to.config();
  CSGIS_CHECK(a.dim == b.dim && a.in_c == b.in_c && a.out_c == b.out_c, "grow_jess: from ", a.str(), " to ",
              b.str(), ": only block counts may grow (dim and channels must be equal)");
  for (const auto& [stage, have, want] : {std::tuple<const char*, int, int>{"feature", a.feature_blocks, b.feature_blocks},
                                         {"smooth", a.smooth_blocks, b.smooth_blocks},
                                         {"enhance", a.enhance_blocks, b.enhance_blocks}})
    CSGIS_CHECK(want >= have, "grow_jess: from ", a.str(), " to ", b.str(), ": the ", stage, "_blocks would shrink from ",
                have, " to ", want);
  CSGIS_CHECK(std::isfinite(last_bn_gamma), "grow_jess: last_bn_gamma must be finite, got ", last_bn_gamma);
  std::map<std::string, Tensor> source;
  for (auto& [name, t] : from.state_dict()) source.emplace(name, t);
  nn::StateDict grown;
  for (auto& [name, t] : to.state_dict()) {
    const std::string src = grown_source_name(name, a, b);
    if (!src.empty()) {
      auto it = source.find(src);
      CSGIS_CHECK(it != source.end() && it->second.shape() == t.shape(), "grow_jess: no tensor '", src, "' ",
                  shape_str(t.shape()), " in ", a.str(), " for '", name, "'");
      grown.emplace_back(name, it->second);
      source.erase(it);
    } else if (ends_with(name, ".bn_conv_3x3_3.weight")) {
      grown.emplace_back(name, Tensor::full(t.shape(), last_bn_gamma, t.dtype()));
    } else if (ends_with(name, ".bn_conv_3x3_3.bias")) {
      grown.emplace_back(name, Tensor::zeros(t.shape(), t.dtype()));
    } else {
      grown.emplace_back(name, t.to(Device::cpu()));
    }
  }
  CSGIS_CHECK(source.empty(), "grow_jess: ", source.size(), " tensor(s) of ", a.str(), " have no place in ", b.str(),
              ", the first '", source.begin()->first, "'");
  to.load_state_dict(grown, /*strict=*/true);
}

std::unique_ptr<Jess> load_jess(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  keep_checkpoint_model(file);
  JessConfig config;
  try {
    config = infer_jess_config(file);
  } catch (const Error& e) {
    CSGIS_FAIL("weights '", path, "': ", e.what());
  }
  auto md = file.metadata;
  if (auto it = md.find(kJessConfigKey); it != md.end()) {
    // The shapes are the truth; a disagreeing record means the file was assembled by hand.
    const JessConfig recorded = JessConfig::from_json(it->second);
    CSGIS_CHECK(recorded == config, "weights '", path, "': metadata says ", recorded.str(),
                " but the weights describe ", config.str());
    md.erase(it);
  }
  auto model = std::make_unique<Jess>(config);
  try {
    model->load_state_dict(file.tensors, /*strict=*/true);
  } catch (const Error& e) {
    CSGIS_FAIL("weights '", path, "': ", e.what());
  }
  refuse_non_finite_state(path, *model);
  // No record: a plain PyTorch export of the reference, which trains on cv2.imread images (BGR).
  model->channel_order = ChannelOrder::BGR;
  if (auto it = md.find(kChannelOrderKey); it != md.end()) {
    try {
      model->channel_order = parse_channel_order(it->second);
    } catch (const Error& e) {
      CSGIS_FAIL("weights '", path, "': metadata \"", kChannelOrderKey, "\": ", e.what());
    }
    md.erase(it);
  }
  model->metadata = std::move(md);
  return model;
}

void save_jess(const std::string& path, const Jess& model, const std::map<std::string, std::string>& extra) {
  CSGIS_CHECK(!model.batchnorm_folded(), "save_jess(", path, "): the model's BatchNorm layers were folded into ",
              "its convolutions for inference (fold_batchnorm); its weights are no longer the trained ones");
  std::map<std::string, std::string> md = extra;
  for (const char* key : {kJessConfigKey, kChannelOrderKey})
    CSGIS_CHECK(!md.count(key), "save_jess(", path, "): metadata key \"", key,
                "\" is reserved (written from the model itself)");
  md[kJessConfigKey] = model.config().to_json();
  md[kChannelOrderKey] = channel_order_name(model.channel_order);
  save_safetensors(path, model.state_dict(), md);
}

// ---------------------------------------------------------------- inference

namespace {

// Reverses dim 1 (RGB <-> BGR); no negative-step views exist, so it is a concat of slices.
Tensor reverse_channels(const Tensor& x) {
  std::vector<Tensor> parts;
  for (int64_t c = x.size(1) - 1; c >= 0; --c) parts.push_back(x.slice(1, c, c + 1));
  return concat(parts, 1);
}

// Restores the model's train/eval mode on every exit path.
struct ModeRestorer {
  Jess& model;
  bool was_training;
  ~ModeRestorer() { model.train(was_training); }
};

}  // namespace

Tensor jess_smooth(Jess& model, const Tensor& image, ChannelOrder image_order) {
  CSGIS_CHECK(image.defined() && image.dim() == 4 && image.size(1) == model.config().in_c,
              "jess_smooth: expected an image batch [N, ", model.config().in_c, ", H, W], got ",
              image.defined() ? shape_str(image.shape()) : std::string("an undefined tensor"));
  CSGIS_CHECK(image.dtype() == DType::F32, "jess_smooth: expected float32 values in [0, 1], got ",
              dtype_name(image.dtype()));
  ModeRestorer restore{model, model.is_training()};
  model.eval();
  autograd::NoGradGuard no_grad;
  const bool flip = image_order != model.channel_order && model.config().in_c > 1;
  Tensor x = image.to(model.device());
  if (flip) x = reverse_channels(x);
  Tensor s1 = model.forward_all(x).S1;
  if (flip && s1.size(1) > 1) s1 = reverse_channels(s1);
  return s1.to(image.device());
}

std::vector<uint8_t> jess_to_uint8(const Tensor& image) {
  CSGIS_CHECK(image.defined() && image.dim() == 4, "jess_to_uint8: expected [N, C, H, W], got ",
              image.defined() ? shape_str(image.shape()) : std::string("an undefined tensor"));
  CSGIS_CHECK(image.dtype() == DType::F32 || image.dtype() == DType::F64,
              "jess_to_uint8: expected float32 or float64, got ", dtype_name(image.dtype()));
  const std::vector<double> v = image.to_vector<double>();  // NCHW, host
  const int64_t n = image.size(0), c = image.size(1), h = image.size(2), w = image.size(3);
  std::vector<uint8_t> out(v.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t xx = 0; xx < w; ++xx) {
          const double s = v[size_t(((b * c + ch) * h + y) * w + xx)] * 255.0;
          // Clip then truncate (numpy's astype(uint8) after np.clip); NaN fails both tests -> 0.
          const double clipped = s >= 255.0 ? 255.0 : (s > 0.0 ? s : 0.0);
          out[size_t(((b * h + y) * w + xx) * c + ch)] = uint8_t(clipped);
        }
  return out;
}

}  // namespace csgis::models
