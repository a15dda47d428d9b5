#include "models/vgg16.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/ops.h"

namespace csgis::models {

namespace {

constexpr const char* kLayerNames[] = {"relu1_2", "relu2_2", "relu3_3", "relu4_3"};
// torchvision index of each tappable ReLU, and of the pools (each starts a block).
constexpr int kReluIndex[] = {3, 8, 15, 22};
constexpr int kPoolIndices[] = {4, 9, 16};

const char* const kScaleKey = "vgg16.input_scale";
const char* const kMeanKey = "vgg16.input_mean";
const char* const kStdKey = "vgg16.input_std";
const char* const kOrderKey = "vgg16.channel_order";

bool is_pool(int index) {
  for (int p : kPoolIndices)
    if (p == index) return true;
  return false;
}

std::array<double, 3> parse_triple(const std::map<std::string, std::string>& md, const char* key,
                                   const std::string& where) {
  auto it = md.find(key);
  CSGIS_CHECK(it != md.end(), where, ": metadata has no \"", key, "\" (the VGG16 input normalisation)");
  std::array<double, 3> v{};
  try {
    const auto j = nlohmann::json::parse(it->second);
    CSGIS_CHECK(j.is_array() && j.size() == 3, "not a list of 3 numbers");
    for (size_t c = 0; c < 3; ++c) v[c] = j.at(c).get<double>();
  } catch (const std::exception& e) {
    CSGIS_FAIL(where, ": metadata \"", key, "\" must be a list of 3 numbers, got '", it->second, "'");
  }
  return v;
}

}  // namespace

std::string vgg16_layer_name(Vgg16Layer layer) {
  const int i = int(layer);
  CSGIS_CHECK(i >= 0 && i < 4, "not a VGG16 layer: ", i);
  return kLayerNames[i];
}

Vgg16Layer parse_vgg16_layer(const std::string& name) {
  for (int i = 0; i < 4; ++i)
    if (name == kLayerNames[i]) return Vgg16Layer(i);
  CSGIS_FAIL("VGG16 layer must be relu1_2, relu2_2, relu3_3 or relu4_3, got \"", name, "\"");
}

double Vgg16Normalization::input_gain_vs_imagenet() const {
  const double mean_std = (std[0] + std[1] + std[2]) / 3.0, imagenet_std = (0.229 + 0.224 + 0.225) / 3.0;
  return (scale / mean_std) * imagenet_std;
}

std::map<std::string, std::string> Vgg16Normalization::to_metadata() const {
  return {{kScaleKey, nlohmann::json(scale).dump()},
          {kMeanKey, nlohmann::json(mean).dump()},
          {kStdKey, nlohmann::json(std).dump()},
          {kOrderKey, "rgb"}};
}

Vgg16Normalization Vgg16Normalization::from_metadata(const std::map<std::string, std::string>& md,
                                                     const std::string& where) {
  Vgg16Normalization n;
  auto order = md.find(kOrderKey);
  CSGIS_CHECK(order != md.end() && order->second == "rgb", where, ": metadata \"", kOrderKey,
              "\" must be \"rgb\" (the converter puts the first layer's inputs in RGB order), got ",
              order == md.end() ? std::string("nothing") : "\"" + order->second + "\"");
  auto s = md.find(kScaleKey);
  CSGIS_CHECK(s != md.end(), where, ": metadata has no \"", kScaleKey, "\" (the VGG16 input normalisation)");
  try {
    n.scale = std::stod(s->second);
  } catch (const std::exception&) {
    CSGIS_FAIL(where, ": metadata \"", kScaleKey, "\" must be a number, got '", s->second, "'");
  }
  n.mean = parse_triple(md, kMeanKey, where);
  n.std = parse_triple(md, kStdKey, where);
  for (double v : n.std)
    CSGIS_CHECK(std::isfinite(v) && v > 0, where, ": metadata \"", kStdKey, "\" holds ", v, " (must be > 0)");
  CSGIS_CHECK(std::isfinite(n.scale) && n.scale > 0, where, ": metadata \"", kScaleKey, "\" is ", n.scale,
              " (must be > 0)");
  return n;
}

std::vector<Vgg16Conv> vgg16_convs(Vgg16Layer last) {
  // (index, out channels) of torchvision's cfg "D": 64 64 M 128 128 M 256 256 256 M 512 512 512 M ...
  static const std::vector<std::pair<int, int64_t>> all = {{0, 64},   {2, 64},   {5, 128},  {7, 128},
                                                           {10, 256}, {12, 256}, {14, 256}, {17, 512},
                                                           {19, 512}, {21, 512}};
  std::vector<Vgg16Conv> convs;
  int64_t in = 3;
  for (auto [index, out] : all) {
    if (index > kReluIndex[int(last)]) break;
    convs.push_back({index, in, out});
    in = out;
  }
  return convs;
}

Vgg16Features::Vgg16Features(Vgg16Layer last) : last_(last) {
  (void)vgg16_layer_name(last);  // validates
  // The layers' default initialisation draws from the context's generator; a frozen feature
  // extractor gets its weights elsewhere, so building it leaves that random stream untouched (a
  // resumed training run must continue the very stream it saved).
  Generator& stream = current_context().generator();
  const Generator saved = stream;
  features_ = register_module("features", std::make_shared<nn::Module>());
  for (const Vgg16Conv& c : vgg16_convs(last)) {
    auto conv = std::make_shared<nn::Conv2d>(c.in_channels, c.out_channels, 3, 1, 1, 1, true);
    convs_[c.index] = features_->register_module(std::to_string(c.index), conv);
  }
  stream = saved;
  for (Tensor& p : parameters()) p.set_requires_grad(false);
}

Tensor Vgg16Features::forward(const Tensor& rgb) { return forward_taps(rgb, {last_}).front(); }

std::vector<Tensor> Vgg16Features::forward_taps(const Tensor& rgb, const std::vector<Vgg16Layer>& taps) {
  CSGIS_CHECK(rgb.defined() && rgb.dim() == 4 && rgb.size(1) == 3,
              "VGG16 features take an (N, 3, H, W) RGB batch, got ",
              rgb.defined() ? shape_str(rgb.shape()) : std::string("an undefined tensor"));
  CSGIS_CHECK(!taps.empty(), "VGG16 features: no layer to return");
  for (Vgg16Layer t : taps)
    CSGIS_CHECK(int(t) >= 0 && int(t) <= int(last_), "VGG16 features: layer ", vgg16_layer_name(t),
                " is deeper than this network's last layer ", vgg16_layer_name(last_));
  // One 2x2 pool before each block after the first: H, W >= 2^(blocks - 1), or a pool leaves nothing.
  const int64_t need = int64_t(1) << int(last_);
  CSGIS_CHECK(rgb.size(2) >= need && rgb.size(3) >= need, "VGG16 features to ", vgg16_layer_name(last_),
              " need an image of at least ", need, "x", need, ", got ", rgb.size(2), "x", rgb.size(3));

  std::vector<double> sc(3), off(3);
  for (int c = 0; c < 3; ++c) {
    sc[c] = normalization.scale / normalization.std[c];
    off[c] = -normalization.mean[c] / normalization.std[c];
  }
  if (!input_.has(sc, off)) input_ = ChannelAffine(sc, off);
  Tensor x = input_(rgb);

  std::vector<Tensor> out(taps.size());
  const int deepest = kReluIndex[int(last_)];
  for (int index = 0; index <= deepest; ++index) {
    if (is_pool(index)) {
      x = max_pool2d(x, 2, 2);
    } else if (auto it = convs_.find(index); it != convs_.end()) {
      x = relu(it->second->forward(x));
      ++index;  // the ReLU that follows has index + 1
      for (size_t k = 0; k < taps.size(); ++k)
        if (kReluIndex[int(taps[k])] == index) out[k] = x;
    }
  }
  return out;
}

std::shared_ptr<Vgg16Features> load_vgg16(const std::string& path, Vgg16Layer last) {
  const SafetensorsFile file = load_safetensors(path);
  auto net = std::make_shared<Vgg16Features>(last);
  nn::StateDict wanted;
  for (const auto& [name, expected] : net->state_dict()) {
    const Tensor* t = file.find(name);
    CSGIS_CHECK(t != nullptr, "VGG16 weights '", path, "': no tensor '", name, "' (needed up to ",
                vgg16_layer_name(last), "; convert with `csgis convert --model vgg16`)");
    CSGIS_CHECK(t->shape() == expected.shape(), "VGG16 weights '", path, "': '", name, "' has shape ",
                shape_str(t->shape()), ", expected ", shape_str(expected.shape()));
    wanted.emplace_back(name, *t);
  }
  const nn::NonFiniteEntry bad = nn::find_non_finite(wanted);
  CSGIS_CHECK(!bad.found, "VGG16 weights '", path, "': ", bad.str(), " (weights must be finite numbers)");
  net->load_state_dict(wanted, /*strict=*/true);
  net->normalization = Vgg16Normalization::from_metadata(file.metadata, "VGG16 weights '" + path + "'");
  net->origin = path;
  return net;
}

std::shared_ptr<Vgg16Features> random_vgg16(uint64_t seed, Vgg16Layer last) {
  auto net = std::make_shared<Vgg16Features>(last);
  Generator gen(seed);
  {
    autograd::NoGradGuard no_grad;
    for (const Vgg16Conv& c : vgg16_convs(last))
      std::static_pointer_cast<nn::Conv2d>(net->child("features")->child(std::to_string(c.index)))
          ->reset_parameters(gen);
  }
  for (Tensor& p : net->parameters()) p.set_requires_grad(false);
  net->origin = "random filters (seed " + std::to_string(seed) + ")";
  return net;
}

std::map<std::string, std::string> vgg16_metadata(const Vgg16Features& net, const std::string& source) {
  auto md = net.normalization.to_metadata();
  md["vgg16.last_layer"] = vgg16_layer_name(net.last());
  md["vgg16.source"] = source;
  return md;
}

}  // namespace csgis::models
