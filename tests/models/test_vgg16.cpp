// VGG16 features (models/vgg16.h): torchvision names and shapes, frozen parameters, PyTorch parity
// on a fixture (tests/models/make_vgg16_fixture.py, weights from a closed formula), the input
// gradient, loading and its errors, fixed random filters.
#include <catch2/catch.hpp>

#include <limits>

#include <cmath>
#include <filesystem>

#include "engine/context.h"
#include "engine/generator.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/channel_affine.h"
#include "models/deeplabv3plus.h"
#include "models/vgg16.h"
#include "tests/models/model_test_util.h"

using namespace csgis;
using namespace csgis::models;
using csgis::model_testing::fixture;
using csgis::model_testing::max_abs_diff;

namespace {

// The fixture's weights: element j of features.<index>.weight is 0.3 sin(0.37 j + index) / sqrt(fan-in),
// of the bias 0.02 cos(0.5 j + index).
nn::StateDict formula_weights(const Vgg16Features& net) {
  nn::StateDict dict;
  for (const auto& [name, t] : net.state_dict()) {
    const int index = std::stoi(name.substr(9, name.find('.', 9) - 9));
    const bool weight = name.find("weight") != std::string::npos;
    std::vector<float> v(size_t(t.numel()));
    const double fan_in = weight ? double(t.size(1) * 9) : 1.0;
    for (size_t j = 0; j < v.size(); ++j)
      v[j] = weight ? float(float(0.3 * std::sin(0.37 * double(j) + index)) / std::sqrt(fan_in))
                    : float(0.02 * std::cos(0.5 * double(j) + index));
    dict.emplace_back(name, Tensor::from_vector(v, t.shape()));
  }
  return dict;
}

}  // namespace

TEST_CASE("vgg16: torchvision names and shapes up to each layer, frozen", "[unit]") {
  Vgg16Features net(Vgg16Layer::relu2_2);
  const auto dict = net.state_dict();
  REQUIRE(dict.size() == 8);
  CHECK(dict[0].first == "features.0.weight");
  CHECK(dict[0].second.shape() == Shape{64, 3, 3, 3});
  CHECK(dict[7].first == "features.7.bias");
  CHECK(dict[6].second.shape() == Shape{128, 128, 3, 3});
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.requires_grad());
  CHECK(Vgg16Features(Vgg16Layer::relu4_3).state_dict().size() == 20);
  CHECK(Vgg16Features(Vgg16Layer::relu4_3).state_dict().back().first == "features.21.bias");
  CHECK(parse_vgg16_layer("relu3_3") == Vgg16Layer::relu3_3);
  CHECK_THROWS_WITH(parse_vgg16_layer("relu5_3"), Catch::Contains("relu1_2, relu2_2, relu3_3 or relu4_3"));
}

TEST_CASE("vgg16: relu1_2 / relu2_2 and the input gradient match PyTorch", "[unit]") {
  const SafetensorsFile io = load_safetensors(fixture("vgg16_io.safetensors"));
  Vgg16Features net(Vgg16Layer::relu2_2);
  net.load_state_dict(formula_weights(net));
  Tensor x = io.find("input")->clone().set_requires_grad(true);
  const auto taps = net.forward_taps(x, {Vgg16Layer::relu2_2, Vgg16Layer::relu1_2});
  REQUIRE(taps[0].shape() == Shape{2, 128, 4, 5});  // 9 x 11 pooled in floor mode
  REQUIRE(taps[1].shape() == Shape{2, 64, 9, 11});
  CHECK(max_abs_diff(taps[1], *io.find("relu1_2")) <= 1e-5);
  CHECK(max_abs_diff(taps[0], *io.find("relu2_2")) <= 1e-5);
  CHECK(max_abs_diff(net.forward(x), taps[0]) == 0);

  std::vector<float> w(size_t(taps[0].numel()));
  for (size_t k = 0; k < w.size(); ++k) w[k] = std::cos(0.1f * float(k));
  sum(mul(taps[0], Tensor::from_vector(w, taps[0].shape()))).backward();
  REQUIRE(x.grad().defined());
  CHECK(max_abs_diff(x.grad(), *io.find("grad_input")) <= 1e-5);
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.grad().defined());  // frozen: no weight gradients
}

TEST_CASE("vgg16: load_vgg16 round trip, normalisation metadata and its errors", "[unit]") {
  const auto dir = std::filesystem::temp_directory_path() / "csgis_test_vgg16";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "vgg.safetensors").string();
  auto net = random_vgg16(3, Vgg16Layer::relu2_2);
  net->normalization.scale = 255;
  net->normalization.mean = {122.5, 116.5, 104.0};
  net->normalization.std = {1, 1, 1};
  save_safetensors(path, net->state_dict(), vgg16_metadata(*net, "test"));

  auto back = load_vgg16(path, Vgg16Layer::relu1_2);  // a shallower network takes what it needs
  CHECK(back->normalization.scale == 255);
  // The Gram terms' rescaling: torchvision's ImageNet input is the reference, HED's 0-255 input is
  // 255 / 1 against 1 / 0.226 of it.
  CHECK(Vgg16Normalization{}.input_gain_vs_imagenet() == Approx(1.0));
  CHECK(back->normalization.input_gain_vs_imagenet() == Approx(255.0 * (0.229 + 0.224 + 0.225) / 3.0));
  CHECK(back->normalization.mean[0] == 122.5);
  CHECK(back->state_dict().size() == 4);
  CHECK(max_abs_diff(back->state_dict()[2].second, net->state_dict()[2].second) == 0);
  CHECK_THROWS_WITH(load_vgg16(path, Vgg16Layer::relu3_3), Catch::Contains("no tensor 'features.10.weight'"));

  // Missing or broken normalisation metadata.
  save_safetensors(path, net->state_dict());
  CHECK_THROWS_WITH(load_vgg16(path), Catch::Contains("vgg16.channel_order"));
  auto md = vgg16_metadata(*net, "test");
  md["vgg16.input_std"] = "[1, 0, 1]";
  save_safetensors(path, net->state_dict(), md);
  CHECK_THROWS_WITH(load_vgg16(path), Catch::Contains("must be > 0"));
  md = vgg16_metadata(*net, "test");
  md["vgg16.input_mean"] = "[1, 2]";
  save_safetensors(path, net->state_dict(), md);
  CHECK_THROWS_WITH(load_vgg16(path), Catch::Contains("list of 3 numbers"));

  // A non-finite weight, named with its index.
  auto dict = net->state_dict();
  {
    auto damaged = dict;
    Tensor w = damaged[2].second.clone();
    w.data<float>()[7] = std::numeric_limits<float>::infinity();
    damaged[2].second = w;
    save_safetensors(path, damaged, vgg16_metadata(*net, "test"));
    CHECK_THROWS_WITH(load_vgg16(path), Catch::Contains("'features.2.weight' holds inf at index 7"));
  }

  // A misshapen layer.
  dict[2].second = Tensor::zeros({64, 63, 3, 3});
  save_safetensors(path, dict, vgg16_metadata(*net, "test"));
  CHECK_THROWS_WITH(load_vgg16(path), Catch::Contains("'features.2.weight' has shape [64, 63, 3, 3]"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("vgg16: building the network leaves the context's random stream as it was", "[unit]") {
  Generator& stream = current_context().generator();
  const Generator before = stream;
  Vgg16Features net(Vgg16Layer::relu2_2);
  Generator expected = before;
  CHECK(stream.next_u64() == expected.next_u64());
}

TEST_CASE("vgg16: fixed random filters are a function of the seed; bad inputs", "[unit]") {
  auto a = random_vgg16(5), b = random_vgg16(5), c = random_vgg16(6);
  CHECK(max_abs_diff(a->state_dict()[0].second, b->state_dict()[0].second) == 0);
  CHECK(max_abs_diff(a->state_dict()[0].second, c->state_dict()[0].second) > 0);
  CHECK(a->origin.find("seed 5") != std::string::npos);
  CHECK_THROWS_WITH(a->forward(Tensor::zeros({1, 1, 8, 8})), Catch::Contains("(N, 3, H, W)"));
  CHECK_THROWS_WITH(a->forward(Tensor::zeros({1, 3, 1, 8})), Catch::Contains("at least 2x2"));
  CHECK_THROWS_WITH(a->forward_taps(Tensor::zeros({1, 3, 8, 8}), {Vgg16Layer::relu3_3}),
                    Catch::Contains("deeper than"));
}

TEST_CASE("vgg16: input normalisation is x * scale + shift per channel, refreshed when it changes", "[unit]") {
  Generator gen(23);
  const Tensor x = Tensor::rand({2, 3, 5, 7}, 0, 1, &gen);
  const std::vector<float> xv = x.to_vector<float>();
  ChannelAffine affine({2.0, -1.0, 0.5}, {0.25, 1.0, -3.0});
  const std::vector<float> y = affine(x).to_vector<float>(), again = affine(x).to_vector<float>();
  CHECK(y == again);  // the cached constants give the same values
  const double sc[] = {2.0, -1.0, 0.5}, sh[] = {0.25, 1.0, -3.0};
  double worst = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = (i / 35) % 3;
    worst = std::max(worst, std::abs(double(y[i]) - (double(xv[i]) * sc[c] + sh[c])));
  }
  CHECK(worst <= 1e-6);
  const Tensor xd = x.to(DType::F64);  // another dtype: constants rebuilt in it
  CHECK(affine(xd).dtype() == DType::F64);
  CHECK_THROWS_WITH(affine(Tensor::zeros({1, 4, 2, 2})), Catch::Contains("(N, 3, H, W)"));
  CHECK_THROWS_WITH(ChannelAffine({1.0}, {}), Catch::Contains("same non-zero count"));

  // DeepLab's ImageNet statistics: (x - mean) / std.
  const std::vector<float> n = normalize_imagenet(x).to_vector<float>();
  const double mean[] = {0.485, 0.456, 0.406}, sd[] = {0.229, 0.224, 0.225};
  worst = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = (i / 35) % 3;
    worst = std::max(worst, std::abs(double(n[i]) - (double(xv[i]) - mean[c]) / sd[c]));
  }
  CHECK(worst <= 1e-5);

  // VGG16 caches its normalisation's constants, yet a changed normalisation takes effect at once.
  auto net = random_vgg16(3);
  const Tensor img = Tensor::rand({1, 3, 8, 8}, 0, 1, &gen);
  const std::vector<float> before = net->forward(img).to_vector<float>();
  CHECK(net->forward(img).to_vector<float>() == before);
  net->normalization.scale = 255;
  const std::vector<float> after = net->forward(img).to_vector<float>();
  CHECK(after != before);
  auto fresh = random_vgg16(3);
  fresh->normalization.scale = 255;
  CHECK(fresh->forward(img).to_vector<float>() == after);
}
