// Segmentation training (task "segment") and the smoother's semantic term: scores, exact resume,
// the weights the smoother reads, and every refusal before a run folder is touched.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "data/dataset.h"
#include "data/procedural.h"
#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/nn/layers.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "losses/seg_ce.h"
#include "losses/total.h"
#include "models/deeplabv3plus.h"
#include "tests/tools/train_test_util.h"
#include "tools/lib/seg_metrics.h"
#include "tools/lib/seg_trainer.h"
#include "tools/lib/trainer.h"

using namespace csgis;
using namespace csgis::tools;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("csgis_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

// DeepLabv3+ on 40 px patches of 48 px procedural samples, batches of 2, two validation images.
TrainConfig tiny_seg_config() {
  TrainConfig c = tiny_train_config();
  c.task = "segment";
  c.patch = 40;
  c.sample_size = 48;
  c.val_size = 40;
  c.steps = 4;
  return c;
}

std::vector<nlohmann::json> log_lines(const std::string& path, const char* key) {
  std::vector<nlohmann::json> lines;
  std::ifstream log(path);
  for (std::string l; std::getline(log, l);) {
    auto j = nlohmann::json::parse(l);
    if (j.contains(key)) lines.push_back(j);
  }
  return lines;
}

}  // namespace

TEST_CASE("seg metrics: confusion, IoU per class, mean IoU over the classes present", "[unit]") {
  SegConfusion m(3);
  // truth   0 0 1 1 2 255
  // pred    0 1 1 1 0 2
  m.add({0, 0, 1, 1, 2, 255}, {0, 1, 1, 1, 0, 2}, "t");
  const std::vector<double> iou = m.iou();
  CHECK(iou[0] == Approx(1.0 / 3.0));  // TP 1, FP 1 (the 2 predicted 0), FN 1
  CHECK(iou[1] == Approx(2.0 / 3.0));  // TP 2, FP 1
  CHECK(iou[2] == Approx(0.0));        // never right, present in the truth
  CHECK(m.mean_iou() == Approx((1.0 / 3.0 + 2.0 / 3.0 + 0.0) / 3.0));
  CHECK(m.pixel_accuracy() == Approx(3.0 / 5.0));  // the 255 pixel is not counted
  CHECK(m.counted() == 5);
  SegConfusion absent(4);  // class 3 neither in the truth nor predicted: left out of the mean
  absent.add({0, 1}, {0, 1}, "t");
  CHECK(absent.iou()[3] == -1.0);
  CHECK(absent.mean_iou() == Approx(1.0));
  CHECK_THROWS_WITH(m.add({5}, {0}, "image 7"), Catch::Contains("image 7") && Catch::Contains("label 5"));
  // argmax over the class dimension of [N, K, H, W]
  const Tensor logits = Tensor::from_vector(std::vector<float>{0, 5, 1, 2, 3, 0}, {1, 3, 1, 2});
  CHECK(argmax_classes(logits) == std::vector<int64_t>{2, 0});
}

TEST_CASE("dropout: identity in evaluation, an inverted mask in training with its gradient", "[unit]") {
  nn::Dropout drop(0.25);
  Generator g(5);
  Tensor x = Tensor::rand({3, 7, 11, 13}, 0.5, 1.5, &g);
  x.set_requires_grad(true);
  drop.eval();
  CHECK(drop.forward(x).to_vector<float>() == x.to_vector<float>());
  drop.train();
  const Tensor y = drop.forward(x);
  sum(y).backward();
  const std::vector<float> xv = x.to_vector<float>(), yv = y.to_vector<float>(), gv = x.grad().to_vector<float>();
  int64_t zeros = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    if (yv[i] == 0.f) {
      ++zeros;
      CHECK(gv[i] == 0.f);
    } else {
      CHECK(yv[i] == Approx(xv[i] / 0.75f));
      CHECK(gv[i] == Approx(1.0 / 0.75));
    }
  }
  CHECK(double(zeros) / double(xv.size()) == Approx(0.25).margin(0.03));
  CHECK_THROWS_WITH(nn::Dropout(1.0), Catch::Contains("[0, 1)"));
}

TEST_CASE("train segment: DeepLabv3+ learns, resumes exactly and writes weights the smoother reads", "[unit]") {
  const std::string a = temp_dir("seg_a"), b = temp_dir("seg_b");
  TrainOptions full;
  full.config = tiny_seg_config();
  full.out_dir = a;
  full.show_progress = false;
  const SegTrainResult r_full = train_segmenter(full);
  REQUIRE(r_full.losses.size() == 4);
  for (double l : r_full.losses) CHECK(std::isfinite(l));
  for (const char* f : {"config.json", "checkpoint.safetensors", "best.safetensors", "metrics.jsonl", "curve.png",
                        "val_grid.png"})
    CHECK(fs::exists(fs::path(a) / f));
  const auto val = log_lines(a + "/metrics.jsonl", "val_miou");
  REQUIRE(val.size() == 2);
  CHECK(val[0]["val_iou"].size() == size_t(data::kProceduralClasses));
  CHECK(val[0]["val_miou"].get<double>() >= 0.0);
  CHECK(val[0]["val_miou"].get<double>() <= 1.0);
  CHECK(log_lines(a + "/metrics.jsonl", "seg_ce").size() == 4);

  // 2 + 2 resumed steps = 4 straight ones, to the bit (dropout masks included).
  TrainOptions first = full;
  first.out_dir = b;
  first.config.steps = 2;
  const SegTrainResult r1 = train_segmenter(first);
  TrainOptions second = full;
  second.out_dir = b;
  second.resume = b + "/checkpoint.safetensors";
  const SegTrainResult r2 = train_segmenter(second);
  REQUIRE(r2.losses.size() == 2);
  CHECK(r1.losses[0] == r_full.losses[0]);
  CHECK(r1.losses[1] == r_full.losses[1]);
  CHECK(r2.losses[0] == r_full.losses[2]);
  CHECK(r2.losses[1] == r_full.losses[3]);
  CHECK(r2.final_miou == r_full.final_miou);

  // best.safetensors is a plain state_dict: load_deeplab reads it (classes from the last layer).
  const auto phi = models::load_deeplab(a + "/best.safetensors", 16);
  CHECK(phi->config.num_classes == data::kProceduralClasses);
  CHECK_FALSE(phi->is_training());

  // A smoother's checkpoint is not a segmenter's, and the architecture must match.
  TrainOptions other = full;
  other.out_dir = temp_dir("seg_c");
  other.config.seg_num_classes = 9;
  other.resume = b + "/checkpoint.safetensors";
  CHECK_THROWS_WITH(train_segmenter(other), Catch::Contains("holds a segmenter"));
  CHECK_FALSE(fs::exists(other.out_dir));
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("train segment: overfits one batch (the backward of every DeepLabv3+ layer works)", "[unit]") {
  Context ctx(0, nullptr, 3);
  ContextGuard guard(ctx);
  models::DeepLabV3Plus net(models::DeepLabConfig{3, 16});
  net.train();
  Generator g(8);
  const Tensor x = Tensor::rand({2, 3, 33, 35}, -1, 1, &g);
  Tensor labels = Tensor::empty({2, 33, 35}, DType::I64, Device::cpu());
  for (int64_t n = 0; n < 2; ++n)  // left half one class, right half another, a stripe ignored
    for (int64_t y = 0; y < 33; ++y)
      for (int64_t xx = 0; xx < 35; ++xx)
        labels.data<int64_t>()[(n * 33 + y) * 35 + xx] = xx == 17 ? 255 : xx < 17 ? n : 2;
  optim::Adam opt(net.parameters(), 3e-3);
  double first = 0, last = 0;
  for (int step = 0; step < 25; ++step) {
    const Tensor loss = losses::seg_ce(net.forward(x), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  CHECK(last < 0.5 * first);
  Tensor one = Tensor::rand({1, 3, 33, 35}, -1, 1, &g);
  CHECK_THROWS_WITH(net.forward(one), Catch::Contains("batch of at least 2"));
}

TEST_CASE("train segment: bad labels and configs are refused before the run folder is touched", "[unit]") {
  const std::string dir = temp_dir("seg_bad");
  // A folder set whose labels hold a class the network does not have.
  const std::string data_dir = dir + "/data";
  data::write_procedural_dataset(data_dir, 3, 48, 2, data::Split::Train, data::default_texture_dir(), 1);
  TrainOptions o;
  o.config = tiny_seg_config();
  o.config.source = data_dir;
  o.config.seg_num_classes = 3;  // the procedural classes go up to 6
  o.out_dir = dir + "/run";
  o.show_progress = false;
  CHECK_THROWS_WITH(train_segmenter(o), Catch::Contains("seg/") && Catch::Contains("outside [0, 3)") &&
                                            Catch::Contains("segmenter.num_classes = 3"));
  CHECK_FALSE(fs::exists(o.out_dir));
  // Procedural data with too few classes configured.
  o.config.source = "procedural";
  CHECK_THROWS_WITH(train_segmenter(o), Catch::Contains("7 classes"));
  CHECK_FALSE(fs::exists(o.out_dir));
  // A folder without any label (photos: every pixel 255).
  const std::string unlabelled = dir + "/unlabelled";
  fs::copy(data_dir, unlabelled, fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(unlabelled + "/seg"))
    data::save_png(e.path().string(), data::LabelMap(48, 48, 255));
  o.config.source = unlabelled;
  o.config.seg_num_classes = 7;
  CHECK_THROWS_WITH(train_segmenter(o), Catch::Contains("no class label") && Catch::Contains("unlabelled"));
  CHECK_FALSE(fs::exists(o.out_dir));

  const std::string where = "config 'x.json'";
  auto refused = [&](const char* text, const char* field) {
    CHECK_THROWS_WITH(TrainConfig::from_json(nlohmann::json::parse(text), where),
                      Catch::Contains(field) && Catch::Contains("x.json"));
  };
  refused(R"({"task": "classify"})", "'task'");
  refused(R"({"loss": {"semantic": true}})", "loss.seg_weights");
  refused(R"({"loss": {"seg_weights": "a.safetensors"}})", "loss.seg_weights");
  refused(R"({"loss": {"seg_label_free": true}})", "loss.seg_label_free");
  refused(R"({"loss": {"semantic": true, "seg_weights": "a", "seg_output_stride": 4}})", "loss.seg_output_stride");
  refused(R"({"task": "segment", "loss": {"semantic": true, "seg_weights": "a"}})", "loss.semantic");
  refused(R"({"task": "segment", "data": {"batch": 1}})", "data.batch");
  refused(R"({"segmenter": {"num_classes": 300}})", "segmenter.num_classes");
  refused(R"({"segmenter": {"output_stride": 32}})", "segmenter.output_stride");
  refused(R"({"segmenter": {"classes": 3}})", "segmenter.classes");
  fs::remove_all(dir);
}

TEST_CASE("train: the semantic term reaches the smoother through the frozen DeepLabv3+", "[unit]") {
  const std::string dir = temp_dir("train_semantic");
  fs::create_directories(dir);
  const std::string weights = dir + "/phi.safetensors";
  {
    Context ctx(0, nullptr, 6);
    ContextGuard guard(ctx);
    models::DeepLabV3Plus phi(models::DeepLabConfig{data::kProceduralClasses, 16});
    save_safetensors(weights, phi.state_dict(), {{"deeplab", R"({"num_classes":7,"output_stride":16})"}});
  }
  auto run = [&](const std::string& name, bool semantic, bool label_free) {
    TrainOptions o;
    o.config = tiny_train_config();
    o.config.patch = 40;
    o.config.sample_size = 48;
    o.config.val_size = 40;
    o.config.steps = 2;
    o.config.semantic = semantic;
    o.config.seg_label_free = label_free;
    if (semantic) o.config.seg_weights = weights;
    o.out_dir = dir + "/" + name;
    o.show_progress = false;
    train(o);
    auto lines = log_lines(o.out_dir + "/metrics.jsonl", "loss");
    REQUIRE(lines.size() == 2);
    return lines;
  };
  const auto off = run("off", false, false), on = run("on", true, false), free = run("free", true, true);
  REQUIRE(on[0].contains("seg_ce"));
  REQUIRE(free[0].contains("seg_ce"));
  CHECK_FALSE(off[0].contains("seg_ce"));
  // Same start: the totals differ by the semantic term alone (lambda_seg = 1).
  CHECK(on[0]["loss"].get<double>() == Approx(off[0]["loss"].get<double>() + on[0]["seg_ce"].get<double>()).epsilon(1e-6));
  CHECK(on[1]["recon_s1"] != off[1]["recon_s1"]);  // its gradient reached the smoother
  CHECK(free[0]["seg_ce"] != on[0]["seg_ce"]);     // argmax phi(S_gt) are other labels

  // The gradient of CE(phi(S1), labels) reaches S1 (eq. 10), for both label sources.
  {
    const auto phi = models::load_deeplab(weights, 16);
    Generator g(2);
    for (bool label_free : {false, true}) {
      Tensor s1 = Tensor::rand({2, 3, 33, 33}, 0, 1, &g);
      s1.set_requires_grad(true);
      const Tensor gt = Tensor::rand({2, 3, 33, 33}, 0, 1, &g);
      Tensor labels = Tensor::empty({2, 33, 33}, DType::I64, Device::cpu());
      for (int64_t i = 0; i < labels.numel(); ++i) labels.data<int64_t>()[i] = int64_t(g.randint(7));
      losses::LossInputs in;
      semantic_inputs(*phi, label_free, s1, gt, labels, in);
      losses::seg_ce(in.seg_logits, in.seg_labels).backward();
      CHECK(sum(abs(s1.grad())).item() > 0);
      for (const Tensor& p : phi->parameters()) CHECK_FALSE(p.grad().defined());  // phi stays frozen
    }
  }

  // Refusals before anything is written: photos without labels and without the label-free form;
  // weights of another output stride; a damaged file.
  const std::string photos = dir + "/photos";
  data::write_procedural_dataset(photos, 3, 48, 2, data::Split::Train, data::default_texture_dir(), 1);
  for (const auto& e : fs::directory_iterator(photos + "/seg")) data::save_png(e.path().string(), data::LabelMap(48, 48, 255));
  TrainOptions bad;
  bad.config = tiny_train_config();
  bad.config.patch = 40;
  bad.config.sample_size = 48;
  bad.config.val_size = 40;
  bad.config.source = photos;
  bad.config.semantic = true;
  bad.config.seg_weights = weights;
  bad.out_dir = dir + "/bad";
  bad.show_progress = false;
  CHECK_THROWS_WITH(train(bad), Catch::Contains("no class label") && Catch::Contains("loss.seg_label_free"));
  CHECK_FALSE(fs::exists(bad.out_dir));
  bad.config.source = "procedural";
  bad.config.seg_output_stride = 8;
  CHECK_THROWS_WITH(train(bad), Catch::Contains("output stride 16") && Catch::Contains("loss.seg_output_stride"));
  CHECK_FALSE(fs::exists(bad.out_dir));
  bad.config.seg_output_stride = 16;
  {
    auto dict = models::load_deeplab(weights, 16)->state_dict();
    dict.erase(dict.begin() + 3);
    save_safetensors(dir + "/cut.safetensors", dict);
  }
  bad.config.seg_weights = dir + "/cut.safetensors";
  CHECK_THROWS_WITH(train(bad), Catch::Contains("cut.safetensors") && Catch::Contains("Missing key"));
  CHECK_FALSE(fs::exists(bad.out_dir));
  fs::remove_all(dir);
}
