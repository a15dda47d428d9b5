// JESS smoothing network: PyTorch parity on a small fixture (tests/models/make_jess_fixture.py),
// the reference's parameter names and count, configuration inference, weight-file errors and the
// save/load round trip.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/error.h"
#include "models/jess.h"

using namespace csgis;
using namespace csgis::models;

namespace {

std::string fixture(const std::string& name) {
  return std::string(CSGIS_TEST_FIXTURES) + "/models/fixtures/" + name;
}

const JessConfig kSmall{3, 3, 8, 2, 1, 1};  // what make_jess_fixture.py builds

const Tensor& entry(const SafetensorsFile& f, const std::string& name) {
  const Tensor* t = f.find(name);
  REQUIRE(t != nullptr);
  return *t;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::fabs(x[i] - y[i]));
  return d;
}

// A scratch path in the build tree's working directory, removed on scope exit.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name) : path("csgis_test_" + name) { std::remove(path.c_str()); }
  ~TempFile() { std::remove(path.c_str()); }
};

bool has_key(const nn::StateDict& sd, const std::string& key) { return nn::find_entry(sd, key) != nullptr; }

}  // namespace

TEST_CASE("jess: paper configuration has the reference's 2,528,519 parameters and names", "[unit]") {
  Jess model;  // dim 64, 12/3/6 blocks; construction only
  CHECK(model.config() == JessConfig{});
  CHECK(count_parameters(model) == 2528519);
  const nn::StateDict sd = model.state_dict();
  for (const char* key :
       {"descriptor.conv_in.weight", "descriptor.res16.0.conv_3x3_1.weight",
        "descriptor.res16.0.bn_conv_3x3_1.running_mean", "descriptor.res16.11.bn_conv_3x3_3.num_batches_tracked",
        "interpreter1.0.weight", "interpreter1.1.running_var", "interpreter1.4.weight", "interpreter1.6.bias",
        "interpreter2.0.weight", "interpreter2.3.conv_3x3_2.weight", "interpreter2.5.bn_conv_3x3_3.bias",
        "interpreter2.6.weight", "interpreter2.7.running_mean", "interpreter2.9.weight", "refine.0.weight",
        "refine.1.weight", "refine.3.conv_3x3_1.bias", "refine.8.bn_conv_3x3_2.running_var", "refine.9.weight"})
    CHECK(has_key(sd, key));
  CHECK_FALSE(has_key(sd, "refine.10.weight"));
  CHECK_FALSE(has_key(sd, "descriptor.res16.12.conv_3x3_1.weight"));
  // ReLUs hold an index but no entries.
  CHECK_FALSE(has_key(sd, "interpreter1.2.weight"));
  CHECK(model.interpreter2->at<nn::Conv2d>(9)->weight.shape() == Shape{3, 64, 3, 3});
  CHECK(model.refine->at<nn::Conv2d>(0)->weight.shape() == Shape{64, 68, 3, 3});
  CHECK(model.descriptor->res16->at<RHDCBlock>(0)->conv_3x3_3->dilation == 3);
  CHECK(model.descriptor->res16->at<RHDCBlock>(0)->conv_3x3_3->padding == 3);
  // Three buffers per BatchNorm: 5 outside the rHDC blocks, 3 in each of the 12 + 3 + 6 blocks.
  CHECK(model.named_buffers().size() == size_t(3 * (5 + 21 * 3)));
}

TEST_CASE("jess: infer_jess_config reads the fixture's architecture", "[unit]") {
  const SafetensorsFile f = load_safetensors(fixture("jess_small.safetensors"));
  CHECK(f.metadata.empty());
  const JessConfig c = infer_jess_config(f);
  CHECK(c == kSmall);
  CHECK(JessConfig::from_json(c.to_json()) == c);
  CHECK_THROWS_WITH(JessConfig::from_json("{\"dim\": 8}"), Catch::Contains("\"in_c\" is missing"));

  // Missing key: named.
  SafetensorsFile broken = f;
  broken.tensors.erase(broken.tensors.begin());  // descriptor.conv_in.weight comes first
  REQUIRE(broken.find("descriptor.conv_in.weight") == nullptr);
  CHECK_THROWS_WITH(infer_jess_config(broken), Catch::Contains("missing key 'descriptor.conv_in.weight'"));
  // Odd shape: the key, its shape and the expected one.
  SafetensorsFile odd = f;
  for (auto& kv : odd.tensors)
    if (kv.first == "refine.0.weight") kv.second = Tensor::zeros({8, 11, 3, 3});
  CHECK_THROWS_WITH(infer_jess_config(odd),
                    Catch::Contains("'refine.0.weight' has shape [8, 11, 3, 3], expected [8, 12, 3, 3]"));
}

TEST_CASE("jess: eval-mode forward matches the PyTorch reference", "[unit]") {
  auto model = load_jess(fixture("jess_small.safetensors"));
  CHECK(model->config() == kSmall);
  CHECK(model->channel_order == ChannelOrder::BGR);  // plain export: the reference's OpenCV order
  CHECK(model->metadata.empty());
  CHECK(entry(load_safetensors(fixture("jess_small.safetensors")),
              "descriptor.res16.0.bn_conv_3x3_1.num_batches_tracked")
            .dtype() == DType::I64);
  CHECK(model->descriptor->res16->at<RHDCBlock>(0)->bn_conv_3x3_1->num_batches_tracked.item() == 7);

  const SafetensorsFile io = load_safetensors(fixture("jess_small_io.safetensors"));
  const Tensor& x = entry(io, "input");
  model->eval();
  JessOutput out;
  {
    autograd::NoGradGuard g;
    out = model->forward_all(x);
  }
  const double e_err = max_abs_diff(out.E_pred, entry(io, "E_pred"));
  const double s0_err = max_abs_diff(out.S0, entry(io, "S0"));
  const double s1_err = max_abs_diff(out.S1, entry(io, "S1"));
  INFO("max abs error E_pred " << e_err << ", S0 " << s0_err << ", S1 " << s1_err);
  CHECK(e_err < 1e-4);
  CHECK(s0_err < 1e-4);
  CHECK(s1_err < 1e-4);

  // show.py path: the fixture input is in the model's own (BGR) order, so no channel reversal.
  const Tensor s1 = jess_smooth(*model, x, ChannelOrder::BGR);
  CHECK(max_abs_diff(s1, entry(io, "S1")) < 1e-4);
  CHECK_FALSE(model->is_training());
  // An RGB input is reversed on the way in and the result reversed back.
  const auto rev = [](const Tensor& t) {
    return concat({t.slice(1, 2, 3), t.slice(1, 1, 2), t.slice(1, 0, 1)}, 1);
  };
  model->train();
  const Tensor s1_rgb = jess_smooth(*model, rev(x), ChannelOrder::RGB);
  CHECK(model->is_training());  // mode restored
  CHECK(max_abs_diff(rev(s1_rgb), entry(io, "S1")) < 1e-4);
}

TEST_CASE("jess: BatchNorm folded into the convolutions keeps the reference's eval outputs", "[unit]") {
  auto plain = load_jess(fixture("jess_small.safetensors"));
  auto folded = load_jess(fixture("jess_small.safetensors"));
  fold_batchnorm(*folded);
  CHECK(folded->batchnorm_folded());
  CHECK_FALSE(plain->batchnorm_folded());
  CHECK_FALSE(folded->is_training());
  // The fixture's BatchNorm statistics are not the identity, so folding really changed the weights.
  CHECK(max_abs_diff(folded->interpreter1->at<nn::Conv2d>(0)->weight, plain->interpreter1->at<nn::Conv2d>(0)->weight) > 1e-3);
  const SafetensorsFile io = load_safetensors(fixture("jess_small_io.safetensors"));
  const Tensor& x = entry(io, "input");
  plain->eval();
  JessOutput a, b;
  {
    autograd::NoGradGuard g;
    a = plain->forward_all(x);
    b = folded->forward_all(x);
  }
  INFO("folded vs unfolded S1 " << max_abs_diff(b.S1, a.S1) << ", vs PyTorch " << max_abs_diff(b.S1, entry(io, "S1")));
  CHECK(max_abs_diff(b.S1, a.S1) < 1e-5);
  CHECK(max_abs_diff(b.E_pred, a.E_pred) < 1e-5);
  CHECK(max_abs_diff(b.S1, entry(io, "S1")) < 1e-4);
  // Inference only: no training, no saving, no second fold.
  folded->train();
  CHECK_THROWS_WITH(folded->forward_all(x), Catch::Contains("folded") && Catch::Contains("cannot train"));
  folded->eval();
  TempFile out("jess_folded.safetensors");
  CHECK_THROWS_WITH(save_jess(out.path, *folded), Catch::Contains("folded"));
  CHECK_THROWS_WITH(fold_batchnorm(*folded), Catch::Contains("already folded"));
}

TEST_CASE("jess: train-mode forward matches PyTorch and every parameter gets a gradient", "[unit]") {
  auto model = load_jess(fixture("jess_small.safetensors"));
  const SafetensorsFile io = load_safetensors(fixture("jess_small_io.safetensors"));
  model->train();
  JessOutput out = model->forward_all(entry(io, "input"));
  CHECK(max_abs_diff(out.E_pred, entry(io, "train_E_pred")) < 1e-4);
  CHECK(max_abs_diff(out.S1, entry(io, "train_S1")) < 1e-4);
  CHECK(max_abs_diff(model->descriptor->res16->at<RHDCBlock>(0)->bn_conv_3x3_1->running_mean,
                     entry(io, "train_descriptor.res16.0.bn_conv_3x3_1.running_mean")) < 1e-5);
  CHECK(model->descriptor->res16->at<RHDCBlock>(0)->bn_conv_3x3_1->num_batches_tracked.item() == 8);

  // Random weights on every output, so no gradient vanishes by symmetry (a plain sum through a
  // training-mode BatchNorm would give exactly zero upstream).
  Generator gen(3);
  Tensor loss = add(add(sum(mul(out.E_pred, Tensor::randn(out.E_pred.shape(), &gen))),
                        sum(mul(out.S0, Tensor::randn(out.S0.shape(), &gen)))),
                    sum(mul(out.S1, Tensor::randn(out.S1.shape(), &gen))));
  loss.backward();
  int missing = 0;
  for (const auto& kv : model->named_parameters()) {
    const Tensor g = kv.second.grad();
    if (!g.defined() || g.shape() != kv.second.shape()) {
      ++missing;
      UNSCOPED_INFO("no gradient for " << kv.first);
      continue;
    }
    for (double v : g.to_vector<double>()) REQUIRE(std::isfinite(v));
  }
  CHECK(missing == 0);
  // 21 convolutions (9 plain + 4 rHDC blocks x 3) and 17 BatchNorms, two tensors each.
  CHECK(model->named_parameters().size() == size_t(2 * (21 + 17)));
}

TEST_CASE("jess: wrong-shape weight files fail naming the key and both shapes", "[unit]") {
  SafetensorsFile f = load_safetensors(fixture("jess_small.safetensors"));
  TempFile tmp("jess_bad.safetensors");
  for (auto& kv : f.tensors)
    if (kv.first == "descriptor.res16.1.bn_conv_3x3_2.running_var") kv.second = Tensor::ones({9});
  save_safetensors(tmp.path, f.tensors);
  CHECK_THROWS_WITH(load_jess(tmp.path),
                    Catch::Contains(tmp.path) && Catch::Contains("descriptor.res16.1.bn_conv_3x3_2.running_var") &&
                        Catch::Contains("[9]") && Catch::Contains("[8]"));

  // An extra block's worth of keys in the wrong place: strict loading reports them.
  SafetensorsFile g = load_safetensors(fixture("jess_small.safetensors"));
  g.tensors.emplace_back("refine.7.weight", Tensor::zeros({3, 8, 3, 3}));
  save_safetensors(tmp.path, g.tensors);
  CHECK_THROWS_WITH(load_jess(tmp.path), Catch::Contains("Unexpected key(s)") && Catch::Contains("refine.7.weight"));
  // Two problems at once (an extra key, a wrong shape): still one line, both named.
  for (auto& kv : g.tensors)
    if (kv.first == "descriptor.res16.1.bn_conv_3x3_2.running_var") kv.second = Tensor::ones({9});
  save_safetensors(tmp.path, g.tensors);
  try {
    load_jess(tmp.path);
    FAIL("loaded a damaged file");
  } catch (const csgis::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.rfind("weights '" + tmp.path + "': Error(s) in loading state_dict for Jess: Unexpected key(s)", 0) == 0);
    CHECK(msg.find("; size mismatch for descriptor.res16.1.bn_conv_3x3_2.running_var") != std::string::npos);
  }

  // Metadata that contradicts the weights.
  save_safetensors(tmp.path, f.tensors, {{kJessConfigKey, JessConfig{}.to_json()}});
  CHECK_THROWS_WITH(load_jess(tmp.path), Catch::Contains("metadata says"));
}

TEST_CASE("jess: save_jess/load_jess round trip keeps metadata and outputs", "[unit]") {
  auto model = load_jess(fixture("jess_small.safetensors"));
  model->channel_order = ChannelOrder::RGB;
  TempFile tmp("jess_roundtrip.safetensors");
  CHECK_THROWS_WITH(save_jess(tmp.path, *model, {{"channel_order", "bgr"}}), Catch::Contains("reserved"));
  save_jess(tmp.path, *model, {{"epoch", "12"}, {"note", "round trip"}});

  const SafetensorsFile raw = load_safetensors(tmp.path);
  CHECK(raw.metadata.at(kJessConfigKey) == kSmall.to_json());
  CHECK(raw.metadata.at(kChannelOrderKey) == "rgb");
  CHECK(raw.find("refine.1.num_batches_tracked")->dtype() == DType::I64);

  auto back = load_jess(tmp.path);
  CHECK(back->config() == kSmall);
  CHECK(back->channel_order == ChannelOrder::RGB);
  CHECK(back->metadata == std::map<std::string, std::string>{{"epoch", "12"}, {"note", "round trip"}});

  const Tensor x = entry(load_safetensors(fixture("jess_small_io.safetensors")), "input");
  const Tensor a = jess_smooth(*model, x), b = jess_smooth(*back, x);
  CHECK(max_abs_diff(a, b) == 0.0);
  // Saving the loaded model again reproduces the same file contents.
  TempFile tmp2("jess_roundtrip2.safetensors");
  save_jess(tmp2.path, *back, back->metadata);
  const SafetensorsFile again = load_safetensors(tmp2.path);
  CHECK(again.metadata == raw.metadata);
  REQUIRE(again.tensors.size() == raw.tensors.size());
  for (size_t i = 0; i < raw.tensors.size(); ++i) {
    CHECK(again.tensors[i].first == raw.tensors[i].first);
    if (raw.tensors[i].second.dtype() == DType::I64)
      CHECK(again.tensors[i].second.item() == raw.tensors[i].second.item());
    else
      CHECK(max_abs_diff(again.tensors[i].second, raw.tensors[i].second) == 0.0);
  }
}

TEST_CASE("jess: a training checkpoint loads as weights (its model.* tensors, RGB)", "[unit]") {
  auto model = load_jess(fixture("jess_small.safetensors"));
  model->channel_order = ChannelOrder::RGB;
  // What csgis train writes (train_common.cpp): the model under "model.", the optimizer beside it.
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [name, t] : model->state_dict()) tensors.emplace_back("model." + name, t);
  tensors.emplace_back("optim.0.exp_avg", Tensor::from_vector(std::vector<float>{0.25f, -1.5f}, {2}));
  TempFile tmp("jess_checkpoint.safetensors");
  save_safetensors(tmp.path, tensors,
                   {{"format", "csgis-train-checkpoint-1"}, {kJessConfigKey, kSmall.to_json()}, {"step", "400"},
                    {"generator", "1 2 3"}, {"config", "{}"}});
  auto back = load_jess(tmp.path);
  CHECK(back->config() == kSmall);
  CHECK(back->channel_order == ChannelOrder::RGB);  // the trainer works in RGB
  CHECK(back->metadata == std::map<std::string, std::string>{{"step", "400"}});
  const Tensor x = entry(load_safetensors(fixture("jess_small_io.safetensors")), "input");
  CHECK(max_abs_diff(jess_smooth(*model, x), jess_smooth(*back, x)) == 0.0);
  // The same tensors without the checkpoint's format record are not a weight file.
  save_safetensors(tmp.path, tensors, {{kJessConfigKey, kSmall.to_json()}});
  CHECK_THROWS_WITH(load_jess(tmp.path), Catch::Contains("missing key 'descriptor.conv_in.weight'"));
}

TEST_CASE("jess: grow_jess appends near-identity blocks; scale 0 keeps the outputs exactly", "[unit]") {
  auto small = load_jess(fixture("jess_small.safetensors"));
  small->channel_order = ChannelOrder::RGB;
  const Tensor x = entry(load_safetensors(fixture("jess_small_io.safetensors")), "input");
  const Tensor before = jess_smooth(*small, x);
  JessConfig deeper = kSmall;
  deeper.feature_blocks += 2;
  deeper.smooth_blocks += 1;
  deeper.enhance_blocks += 2;

  Jess exact(deeper);
  grow_jess(*small, exact, 0.0);
  CHECK(max_abs_diff(jess_smooth(exact, x), before) == 0.0);  // every new block adds ReLU(0) = 0
  // The old tensors moved to their new places (the tails of interpreter2 and refine shift).
  const nn::StateDict grown = exact.state_dict();
  auto find = [](const nn::StateDict& d, const std::string& n) {
    for (const auto& kv : d)
      if (kv.first == n) return kv.second;
    FAIL("no tensor " << n);
    return Tensor();
  };
  const nn::StateDict old = small->state_dict();
  CHECK(max_abs_diff(find(grown, "interpreter2.5.weight"), find(old, "interpreter2.4.weight")) == 0.0);
  CHECK(max_abs_diff(find(grown, "refine.6.weight"), find(old, "refine.4.weight")) == 0.0);
  CHECK(max_abs_diff(find(grown, "descriptor.res16.1.conv_3x3_2.weight"),
                     find(old, "descriptor.res16.1.conv_3x3_2.weight")) == 0.0);
  CHECK(find(grown, "descriptor.res16.3.bn_conv_3x3_3.weight").to_vector<float>() == std::vector<float>(8, 0.f));

  // A small positive scale: close to the old outputs, not equal, and the new blocks train.
  Jess near(deeper);
  grow_jess(*small, near, 1e-3);
  const double d = max_abs_diff(jess_smooth(near, x), before);
  CHECK(d > 0.0);
  CHECK(d < 2e-2);
  near.eval();  // BatchNorm on its running statistics, as training with frozen BatchNorm runs it
  const Tensor s1 = near.forward(x);
  Generator gen(5);
  Tensor loss = sum(mul(s1, Tensor::randn(s1.shape(), &gen)));
  loss.backward();
  double new_scale_gradient = 0;
  for (const auto& kv : near.named_parameters())
    if (kv.first == "descriptor.res16.3.bn_conv_3x3_3.weight" && kv.second.grad().defined())
      for (double v : kv.second.grad().to_vector<double>()) new_scale_gradient = std::max(new_scale_gradient, std::fabs(v));
  CHECK(new_scale_gradient > 0);

  // Only block counts may grow.
  JessConfig shallower = kSmall;
  shallower.feature_blocks = 1;
  Jess fewer(shallower);
  CHECK_THROWS_WITH(grow_jess(*small, fewer, 1e-3), Catch::Contains("feature_blocks would shrink from 2 to 1"));
  JessConfig wider = deeper;
  wider.dim = 16;
  Jess other(wider);
  CHECK_THROWS_WITH(grow_jess(*small, other, 1e-3), Catch::Contains("only block counts may grow"));
}

TEST_CASE("jess: uint8 conversion clips then truncates like show.py", "[unit]") {
  const Tensor t = Tensor::from_vector(std::vector<float>{-0.1f, 0.0f, 0.5f, 1.2f, 0.999f, 0.00196f, NAN, 1.0f},
                                       {1, 2, 2, 2});
  const std::vector<uint8_t> u = jess_to_uint8(t);
  // Layout [H][W][C]: channel 0 = {-0.1, 0, 0.5, 1.2}, channel 1 = {0.999, 0.00196, NaN, 1}.
  CHECK(u == std::vector<uint8_t>{0, 254, 0, 0, 127, 0, 255, 255});
}

TEST_CASE("jess: forward on the SIMT device matches the CPU", "[simt]") {
  auto model = load_jess(fixture("jess_small.safetensors"));
  const Tensor x = entry(load_safetensors(fixture("jess_small_io.safetensors")), "input");
  const Tensor cpu = jess_smooth(*model, x, ChannelOrder::BGR);
  model->to(Device::simt());
  CHECK(model->device() == Device::simt());
  const Tensor emu = jess_smooth(*model, x, ChannelOrder::BGR);  // input moved there and back
  CHECK(emu.device() == Device::cpu());
  CHECK(max_abs_diff(emu, cpu) < 1e-4);
}
