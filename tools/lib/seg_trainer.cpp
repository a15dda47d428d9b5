#include "tools/lib/seg_trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "data/loader.h"
#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/optim/lr_scheduler.h"
#include "engine/optim/optimizer.h"
#include "losses/seg_ce.h"
#include "models/deeplabv3plus.h"
#include "tools/lib/grid.h"
#include "tools/lib/plot.h"
#include "tools/lib/progress.h"
#include "tools/lib/seg_metrics.h"
#include "tools/lib/train_common.h"

namespace fs = std::filesystem;

namespace csgis::tools {

namespace {

constexpr const char* kSegCheckpointFormat = "csgis-seg-checkpoint-1";
constexpr int kGridImages = 6;  // validation images shown in val_grid.png

struct SegValidation {
  std::vector<Tensor> images;                 // normalised [1, 3, H, W] on the device
  std::vector<data::Image> shown;             // the ground-truth images as they are
  std::vector<std::vector<uint8_t>> labels;   // their seg maps
};

SegValidation load_seg_validation(const TrainConfig& c, TrainSources& sources, Device dev) {
  SegValidation v;
  for (const data::Sample& s : validation_samples(c, sources)) {
    CSGIS_CHECK(s.gt.width >= 17 && s.gt.height >= 17, "validation sample '", s.name, "' is ", s.gt.width, "x",
                s.gt.height, ": DeepLabv3+ needs at least 17x17");
    v.images.push_back(models::normalize_imagenet(data::image_to_tensor(s.gt).to(dev)));
    v.shown.push_back(s.gt);
    v.labels.push_back(s.seg.data);
  }
  return v;
}

struct SegScores {
  double miou = 0, pixel_acc = 0;
  std::vector<double> iou;
  data::Image grid;
};

SegScores validate(models::DeepLabV3Plus& net, const SegValidation& v, int64_t num_classes) {
  autograd::NoGradGuard no_grad;
  net.eval();
  SegConfusion confusion(num_classes);
  std::vector<std::vector<data::Image>> rows;
  for (size_t i = 0; i < v.images.size(); ++i) {
    const std::vector<int64_t> pred = argmax_classes(net.forward(v.images[i]));
    confusion.add(v.labels[i], pred, "validation image " + std::to_string(i));
    if (rows.size() < size_t(kGridImages)) {
      const int w = v.shown[i].width, h = v.shown[i].height;
      rows.push_back({v.shown[i], colour_labels(v.labels[i], w, h),
                      colour_labels(std::vector<uint8_t>(pred.begin(), pred.end()), w, h)});
    }
  }
  net.train();
  return {confusion.mean_iou(), confusion.pixel_accuracy(), confusion.iou(), make_grid(rows)};
}

nlohmann::json deeplab_meta(const TrainConfig& c) {
  return {{"num_classes", c.seg_num_classes}, {"output_stride", c.seg_stride}};
}

void save_checkpoint(const std::string& path, const TrainConfig& c, models::DeepLabV3Plus& net,
                     const optim::Optimizer& opt, int64_t step, double best_miou) {
  save_run_checkpoint(path, kSegCheckpointFormat, c, net, opt, step, "best_val_miou", best_miou,
                      {{"deeplab", deeplab_meta(c).dump()}});
}

RestoredRun load_checkpoint(const std::string& path, const TrainConfig& c, models::DeepLabV3Plus& net,
                            optim::Optimizer& opt) {
  return load_run_checkpoint(path, kSegCheckpointFormat, c, net, opt, "best_val_miou", [&](const Metadata& meta) {
    auto it = meta.find("deeplab");
    CSGIS_CHECK(it != meta.end() && it->second == deeplab_meta(c).dump(), "checkpoint '", path,
                "' holds a segmenter ", it != meta.end() ? it->second : std::string("(not recorded)"),
                " but the config asks for ", deeplab_meta(c).dump());
  });
}

// The labels must fit the network before anything trains: every id of a folder's seg maps in
// range, and some labelled pixel at all (photos without labels are all 255).
void check_labels(const data::SampleSource& source, const std::string& name, const TrainConfig& c) {
  const LabelScan scan =
      scan_labels(source, name, c.seg_num_classes, "segmenter.num_classes = " + std::to_string(c.seg_num_classes));
  CSGIS_CHECK(scan.labelled_pixels != 0, "data source '", name, "': its ", scan.samples,
              " seg maps hold no class label (every pixel is 255, ignore): nothing to train the segmenter on");
}

void write_curve(const std::string& path, History& h) {
  Panel loss{"CROSS-ENTROPY", {{"TRAIN", h["seg_ce"], 200, 40, 40}}, true};
  Panel val{"VALIDATION MEAN IOU", {{"NETWORK", h["val_miou"], 30, 90, 200}}, false};
  data::save_png(path, render_plot({loss, val}));
}

}  // namespace

SegTrainResult train_segmenter(const TrainOptions& o) {
  const TrainConfig& c = o.config;
  CSGIS_CHECK(c.task == "segment", "train_segmenter: the config's task is '", c.task, "', not \"segment\"");
  const Device dev = Device::parse(c.device);
  refuse_overwriting_a_run(o.out_dir, !o.resume.empty(), o.force);
  const std::string ckpt_path = o.out_dir + "/checkpoint.safetensors",
                    best_path = o.out_dir + "/best.safetensors", log_path = o.out_dir + "/metrics.jsonl",
                    curve_path = o.out_dir + "/curve.png", grid_path = o.out_dir + "/val_grid.png";

  Context ctx(0, nullptr, c.seed);
  ContextGuard guard(ctx);

  // A fresh network's initialisation is drawn from the context's generator, seeded by the config
  // (DeepLabV3Plus puts the stream back where it was, so dropout's masks start from the same state).
  auto net = std::make_shared<models::DeepLabV3Plus>(models::DeepLabConfig{c.seg_num_classes, c.seg_stride});
  if (o.resume.empty() && !c.seg_init.empty()) {
    const std::shared_ptr<models::DeepLabV3Plus> init = models::load_deeplab(c.seg_init, c.seg_stride);
    CSGIS_CHECK(init->config.num_classes == c.seg_num_classes, "segmenter.init '", c.seg_init, "' has ",
                init->config.num_classes, " classes, segmenter.num_classes is ", c.seg_num_classes);
    net->load_state_dict(init->state_dict(), /*strict=*/true);
  }
  net->to(dev);
  net->train();
  optim::Adam opt(net->parameters(), c.lr, {c.beta1, c.beta2}, 1e-8, c.weight_decay);
  optim::MultiStepLR schedule(opt, c.milestones, c.gamma);

  RestoredRun restored;
  if (!o.resume.empty()) restored = load_checkpoint(o.resume, c, *net, opt);
  const int64_t start = restored.step;
  CSGIS_CHECK(start < c.steps, "checkpoint '", o.resume, "' is at step ", start, ", nothing left to do for steps = ",
              c.steps);
  schedule.set_last_epoch(start);

  data::LoaderConfig lc = loader_config(c);
  TrainSources sources(c);
  const auto train_source = sources.make(c.source, data::Split::Train, c.sample_size, -1);
  check_labels(*train_source, c.source, c);
  const auto val_source = sources.make(c.val_source, data::Split::Val, c.val_size, c.val_count);
  check_labels(*val_source, c.val_source, c);
  data::Loader loader(train_source, lc, start);
  const SegValidation val = load_seg_validation(c, sources, dev);

  History history = open_run_folder(o.out_dir, !o.resume.empty(), o.force, c, start);

  SegTrainResult result;
  result.first_step = start;
  result.best_miou = restored.best;
  std::ofstream log(log_path, std::ios::app);
  Progress progress("train", c.steps, "step", start);
  const auto t0 = std::chrono::steady_clock::now();
  double window_loss = 0;
  int64_t window_count = 0;

  for (int64_t step = start + 1; step <= c.steps; ++step) {
    data::Batch b = loader.next();
    const Tensor logits = net->forward(models::normalize_imagenet(b.gt.to(dev)));
    const Tensor loss_t = losses::seg_ce(logits, b.seg);
    opt.zero_grad();
    loss_t.backward();
    opt.step();
    schedule.step();

    const double loss = loss_t.item();
    CSGIS_CHECK(std::isfinite(loss), "training diverged at step ", step, " (cross-entropy ", loss,
                "); lower optim.lr or check the data");
    result.losses.push_back(loss);
    result.last_step = step;
    window_loss += loss;
    ++window_count;
    if (step % c.log_interval == 0 || step == c.steps) {
      const nlohmann::json j = {{"step", step}, {"lr", opt.lr()},
                                {"time_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()},
                                {"loss", loss}, {"seg_ce", loss}, {"loss_avg", window_loss / double(window_count)}};
      log << j.dump() << "\n" << std::flush;
      history["seg_ce"].emplace_back(double(step), loss);
      window_loss = 0;
      window_count = 0;
    }
    if (step % c.val_interval == 0 || step == c.steps) {
      const SegScores v = validate(*net, val, c.seg_num_classes);
      const nlohmann::json j = {{"step", step}, {"val_miou", v.miou}, {"val_pixel_acc", v.pixel_acc}, {"val_iou", v.iou}};
      log << j.dump() << "\n" << std::flush;
      history["val_miou"].emplace_back(double(step), v.miou);
      if (v.miou > result.best_miou) {
        result.best_miou = v.miou;
        save_safetensors(best_path, net->state_dict(),
                         {{"step", std::to_string(step)}, {"val_miou", std::to_string(v.miou)},
                          {"deeplab", deeplab_meta(c).dump()}});
      }
      result.final_miou = v.miou;
      result.final_pixel_acc = v.pixel_acc;
      write_curve(curve_path, history);
      data::save_png(grid_path, v.grid);
    }
    if (step % c.checkpoint_interval == 0 || step == c.steps)
      save_checkpoint(ckpt_path, c, *net, opt, step, result.best_miou);
    if (o.show_progress) {
      char status[96];
      std::snprintf(status, sizeof status, "loss %.4f  val mIoU %.3f", loss, result.final_miou);
      progress.update(step, status);
    }
  }
  if (o.show_progress) progress.finish();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace csgis::tools
