#include "tools/lib/trainer.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>


#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "data/dataset.h"
#include "data/loader.h"
#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "engine/io/safetensors.h"
#include "engine/nn/batchnorm_stats.h"
#include "engine/ops.h"
#include "engine/optim/lr_scheduler.h"
#include "engine/optim/optimizer.h"
#include "losses/total.h"
#include "models/jess.h"
#include "models/vgg16.h"
#include "tools/lib/plot.h"
#include "tools/lib/progress.h"

namespace fs = std::filesystem;

namespace csgis::tools {

namespace {

constexpr const char* kCheckpointFormat = "csgis-train-checkpoint-1";

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Training and validation sources; the procedural ones share one read of the texture folder.
class Sources {
 public:
  explicit Sources(const TrainConfig& c) : c_(c) {}

  std::shared_ptr<const data::SampleSource> make(const std::string& source, data::Split split, int size,
                                                 int64_t count) {
    if (source != "procedural") return std::make_shared<data::FolderDataset>(source);
    data::ProceduralConfig pc;
    pc.size = size;
    pc.seed = c_.seed;
    pc.split = split;
    if (split == data::Split::Train) {  // the texture variety is for training only
      pc.texture_strength_max = c_.texture_strength_max;
      pc.texture_scale_min = c_.texture_scale_min;
      pc.texture_scale_max = c_.texture_scale_max;
      pc.texture_orient = c_.texture_orient;
    }
    return std::make_shared<data::ProceduralSource>(pc, textures().get(split), count);
  }

 private:
  const data::TextureSplit& textures() {
    if (!textures_) {
      const std::string dir = c_.texture_dir.empty() ? data::default_texture_dir() : c_.texture_dir;
      textures_ = data::split_textures(data::load_texture_dir(dir));
    }
    return *textures_;
  }

  const TrainConfig& c_;
  std::optional<data::TextureSplit> textures_;
};

// Validation images as [1,3,H,W] tensors on the device, with the input's own scores.
struct ValidationSet {
  std::vector<Tensor> inputs, gts;
  double input_psnr = 0, input_ssim = 0;
};

double psnr(const Tensor& a, const Tensor& b) {
  const double mse = mean(square(a - b)).item();
  return 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
}

ValidationSet load_validation(const TrainConfig& c, Sources& sources, Device dev) {
  auto src = sources.make(c.val_source, data::Split::Val, c.val_size, c.val_count);
  ValidationSet v;
  const int64_t available = src->size();
  CSGIS_CHECK(available > 0, "validation source '", c.val_source, "' has no samples");
  // A folder may hold hundreds of samples: val_count of them, spread evenly over its (name-sorted)
  // stems so that every photo of the split is seen, keep validation cheap.
  const int64_t n = std::min<int64_t>(available, c.val_count);
  autograd::NoGradGuard no_grad;
  for (int64_t i = 0; i < n; ++i) {
    data::Sample s = src->get(n >= available ? i : i * available / n);
    Tensor in = data::image_to_tensor(s.input).to(dev), gt = data::image_to_tensor(s.gt).to(dev);
    v.input_psnr += psnr(in, gt) / double(n);
    v.input_ssim += ssim(in, gt, SsimMode::Metric).item() / double(n);
    v.inputs.push_back(in);
    v.gts.push_back(gt);
  }
  return v;
}

ValidationResult validate(models::Jess& model, const ValidationSet& v) {
  ValidationResult r{0, 0, v.input_psnr, v.input_ssim};
  autograd::NoGradGuard no_grad;
  model.eval();
  const double n = double(v.inputs.size());
  for (size_t i = 0; i < v.inputs.size(); ++i) {
    Tensor out = clamp(model.forward_all(v.inputs[i]).S1, 0.0, 1.0);
    r.psnr += psnr(out, v.gts[i]) / n;
    r.ssim += ssim(out, v.gts[i], SsimMode::Metric).item() / n;
  }
  model.train();
  return r;
}

data::AugmentConfig augment_config(const TrainConfig& c) {
  data::AugmentConfig a;
  a.patch = c.patch;
  a.hflip = c.aug_hflip;
  a.rot90 = c.aug_rot90;
  a.max_angle_deg = c.aug_max_angle;
  a.brightness = c.aug_brightness_shift;
  a.brightness_factor_lo = float(c.aug_brightness_range[0]);
  a.brightness_factor_hi = float(c.aug_brightness_range[1]);
  a.contrast = c.aug_contrast;
  a.use_contrast_range = !c.aug_contrast_range.empty();
  if (a.use_contrast_range) {
    a.contrast_lo = float(c.aug_contrast_range[0]);
    a.contrast_hi = float(c.aug_contrast_range[1]);
  }
  a.saturation = c.aug_saturation;
  a.hue = c.aug_hue;
  return a;
}

// ---- checkpoints ----
void save_checkpoint(const std::string& path, const TrainConfig& c, models::Jess& model,
                     const optim::Optimizer& opt, int64_t step, double best_ssim) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [name, t] : model.state_dict()) tensors.emplace_back("model." + name, t);
  optim::OptimizerState st = opt.state();
  for (auto& [name, t] : st.tensors) tensors.emplace_back("optim." + name, t);
  std::ostringstream gen;
  for (uint64_t w : current_context().generator().state()) gen << w << " ";
  save_safetensors(path, tensors,
                   {{"format", kCheckpointFormat},
                    {"step", std::to_string(step)},
                    {"optim_step", std::to_string(st.step)},
                    {"best_val_ssim", std::to_string(best_ssim)},
                    {"generator", gen.str()},
                    {"config", c.to_json().dump()},
                    {models::kJessConfigKey, model.config().to_json()}});
}

struct Restored {
  int64_t step = 0;
  double best_ssim = -1;
};

Restored load_checkpoint(const std::string& path, const TrainConfig& c, models::Jess& model,
                         optim::Optimizer& opt) {
  SafetensorsFile f = load_safetensors(path);
  auto meta = [&](const char* key) -> const std::string& {
    auto it = f.metadata.find(key);
    CSGIS_CHECK(it != f.metadata.end(), "checkpoint '", path, "' has no '", key,
                "' metadata: not a csgis training checkpoint");
    return it->second;
  };
  CSGIS_CHECK(meta("format") == kCheckpointFormat, "checkpoint '", path, "' has format '", meta("format"),
              "', expected ", kCheckpointFormat);
  // The best score a checkpoint carries was measured on its validation set: a resume that would
  // build another one (another seed or validation keys) would compare new scores with an old one.
  if (auto it = f.metadata.find("config"); it != f.metadata.end()) {
    const nlohmann::json then = nlohmann::json::parse(it->second, nullptr, false), now = c.to_json();
    for (const char* key : {"/seed", "/data/val_source", "/data/val_count", "/data/val_size", "/data/texture_dir"}) {
      const nlohmann::json::json_pointer ptr(key);
      if (then.is_discarded() || !then.contains(ptr) || !now.contains(ptr) || then.at(ptr) == now.at(ptr)) continue;
      CSGIS_FAIL("checkpoint '", path, "' was written with ", std::string(key + 1), " = ", then.at(ptr).dump(),
                 ", the config says ", now.at(ptr).dump(),
                 ": the validation set would change while the best score kept from the old one stays; resume with the "
                 "checkpoint's value or start a fresh run");
    }
  }
  const models::JessConfig saved = models::JessConfig::from_json(meta(models::kJessConfigKey));
  CSGIS_CHECK(saved == c.model, "checkpoint '", path, "' holds a model ", saved.str(),
              " but the config asks for ", c.model.str());
  nn::StateDict model_state;
  optim::OptimizerState opt_state;
  for (auto& [name, t] : f.tensors) {
    if (name.rfind("model.", 0) == 0) model_state.emplace_back(name.substr(6), t);
    else if (name.rfind("optim.", 0) == 0) opt_state.tensors.emplace_back(name.substr(6), t);
    else CSGIS_FAIL("checkpoint '", path, "': unexpected tensor '", name, "'");
  }
  model.load_state_dict(model_state, true);
  opt_state.step = std::stoll(meta("optim_step"));
  opt_state.lr = c.lr;
  opt.load_state(opt_state);
  Generator::State gs{};
  std::istringstream gen(meta("generator"));
  for (auto& w : gs) gen >> w;
  current_context().generator().set_state(gs);
  return {std::stoll(meta("step")), std::stod(meta("best_val_ssim"))};
}

// "model.init": the weights of a save_jess file (BatchNorm running statistics included) copied into
// the freshly built model. The architecture must match name for name and shape for shape; the
// first difference is reported in one line.
void load_init_weights(const std::string& path, const TrainConfig& c, models::Jess& model) {
  std::unique_ptr<models::Jess> init = models::load_jess(path);
  CSGIS_CHECK(init->channel_order == models::ChannelOrder::RGB, "model.init '", path, "': the weights expect ",
              models::channel_order_name(init->channel_order), " images, the trainer feeds RGB");
  const nn::StateDict want = model.state_dict(), have = init->state_dict();
  for (size_t i = 0; i < std::max(want.size(), have.size()); ++i) {
    CSGIS_CHECK(i < have.size(), "model.init '", path, "' lacks tensor '", want[i].first, "' ",
                shape_str(want[i].second.shape()), " of the config's model ", c.model.str());
    CSGIS_CHECK(i < want.size(), "model.init '", path, "' has tensor '", have[i].first,
                "' that the config's model ", c.model.str(), " lacks");
    CSGIS_CHECK(want[i].first == have[i].first && want[i].second.shape() == have[i].second.shape(),
                "model.init '", path, "': tensor '", have[i].first, "' ", shape_str(have[i].second.shape()),
                " where the config's model ", c.model.str(), " has '", want[i].first, "' ",
                shape_str(want[i].second.shape()));
  }
  model.load_state_dict(have, /*strict=*/true);
}

// ---- metrics log ----
struct History {
  std::vector<std::pair<double, double>> loss, val_psnr, input_psnr;
};

// Keeps the log lines up to `step` (a resumed run rewrites what came after its checkpoint).
History reload_log(const std::string& path, int64_t step) {
  History h;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("step") || j["step"].get<int64_t>() > step) continue;
    kept += line + "\n";
    const double s = double(j["step"].get<int64_t>());
    if (j.contains("loss")) h.loss.emplace_back(s, j["loss"].get<double>());
    if (j.contains("val_psnr")) h.val_psnr.emplace_back(s, j["val_psnr"].get<double>());
    if (j.contains("input_psnr")) h.input_psnr.emplace_back(s, j["input_psnr"].get<double>());
  }
  write_file_atomic(path, kept.data(), kept.size());
  return h;
}

// The files a run writes into its folder.
const std::vector<std::string>& run_files() {
  static const std::vector<std::string> files{"config.json", "metrics.jsonl", "checkpoint.safetensors",
                                              "best.safetensors", "curve.png"};
  return files;
}

// A fresh run (no --resume) into a folder that holds a run would replace it: that needs --force.
void refuse_overwriting_a_run(const TrainOptions& o) {
  if (!o.resume.empty() || o.force) return;
  std::error_code ec;
  if (fs::exists(o.out_dir, ec) && !fs::is_directory(o.out_dir, ec))
    CSGIS_FAIL("--out '", o.out_dir, "' exists and is not a folder");
  for (const std::string& f : run_files())
    if (fs::exists(fs::path(o.out_dir) / f, ec))
      CSGIS_FAIL("'", o.out_dir, "' holds a run already (", f, "): continue it with --resume ",
                 (fs::path(o.out_dir) / "checkpoint.safetensors").string(),
                 ", start it over with --force (its files are replaced), or choose another --out");
}

// write_file_atomic's temporaries are "<file>.tmp.<pid>.<n>": one whose process is gone was left
// by a kill and will never be renamed. Those of the run's own files are removed at start.
void remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    for (const std::string& f : run_files()) {
      const std::string prefix = f + ".tmp.";
      if (name.rfind(prefix, 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
      if (pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
    }
  }
}

void write_curve(const std::string& path, const History& h) {
  Panel loss{"TRAINING LOSS", {{"TOTAL", h.loss, 200, 40, 40}}, true};
  Panel val{"VALIDATION PSNR (DB)", {{"NETWORK", h.val_psnr, 30, 90, 200}, {"INPUT", h.input_psnr, 120, 120, 120}}, false};
  data::save_png(path, render_plot({loss, val}));
}

}  // namespace

losses::TotalLossConfig total_loss_config(const TrainConfig& c) {
  losses::TotalLossConfig l;
  l.lambda_e = c.lambda_edge;
  l.ssim_weight = c.ssim_weight;
  l.use_dtv = c.dtv;
  l.dtv_tv_weight_s0 = c.dtv_tv_weight_s0;
  l.dtv_tv_weight_s1 = c.dtv_tv_weight_s1;
  l.use_contrastive = c.contrastive_l1 || c.contrastive_gram;
  l.margin_l1 = c.margin_l1;
  l.margin_gram = c.margin_gram;
  l.contrastive_ratio = c.contrastive_form == "ratio";
  l.lambda_c = c.lambda_c;
  l.use_seg = false;  // the semantic loss needs a trained DeepLabv3+ in the trainer (not yet)
  return l;
}

std::shared_ptr<models::Vgg16Features> contrastive_vgg(const TrainConfig& c, Device dev) {
  const std::string fetched = std::string(CSGIS_SOURCE_DIR) + "/weights/vgg16.safetensors";
  std::shared_ptr<models::Vgg16Features> vgg;
  if (!c.vgg_weights.empty()) {
    vgg = models::load_vgg16(c.vgg_weights);
  } else if (fs::exists(fetched)) {
    vgg = models::load_vgg16(fetched);
  } else {
    vgg = models::random_vgg16(c.vgg_seed);
    std::fprintf(stderr,
                 "train: warning: no VGG16 weights (%s; tools/fetch-vgg16.sh makes it): the Gram term compares "
                 "%s, not the pretrained features of the paper\n",
                 fetched.c_str(), vgg->origin.c_str());
  }
  vgg->to(dev);
  vgg->eval();
  return vgg;
}

TrainResult train(const TrainOptions& o) {
  const TrainConfig& c = o.config;
  const Device dev = Device::parse(c.device);
  refuse_overwriting_a_run(o);
  const std::string config_path = o.out_dir + "/config.json", ckpt_path = o.out_dir + "/checkpoint.safetensors",
                    best_path = o.out_dir + "/best.safetensors", log_path = o.out_dir + "/metrics.jsonl",
                    curve_path = o.out_dir + "/curve.png";

  // Everything random (initialisation, per-step choices) derives from the config's seed.
  Context ctx(0, nullptr, c.seed);
  ContextGuard guard(ctx);

  models::Jess model(c.model);
  model.to(dev);
  model.train();
  optim::Adam opt(model.parameters(), c.lr, {c.beta1, c.beta2}, 1e-8, c.weight_decay);
  optim::MultiStepLR schedule(opt, c.milestones, c.gamma);  // stepped once per training step

  Restored restored;
  // A checkpoint holds the weights it continues from: model.init only seeds a fresh run.
  if (!o.resume.empty()) restored = load_checkpoint(o.resume, c, model, opt);
  else if (!c.init_weights.empty()) load_init_weights(c.init_weights, c, model);
  const int64_t start = restored.step;
  CSGIS_CHECK(start < c.steps, "checkpoint '", o.resume, "' is at step ", start, ", nothing left to do for steps = ",
              c.steps);
  schedule.set_last_epoch(start);

  // Built after the smoother, so the smoother's initialisation does not depend on the loss switches.
  const std::shared_ptr<models::Vgg16Features> vgg = c.contrastive_gram ? contrastive_vgg(c, dev) : nullptr;

  data::LoaderConfig lc;
  lc.batch_size = c.batch;
  lc.workers = c.workers;
  lc.seed = c.seed;
  lc.augment = c.augment ? augment_config(c) : data::AugmentConfig::none(c.patch);
  Sources sources(c);
  const std::shared_ptr<const data::SampleSource> train_source =
      sources.make(c.source, data::Split::Train, c.sample_size, -1);
  if (c.procedural_fraction > 0) {
    lc.mix_source = sources.make("procedural", data::Split::Train, c.sample_size, -1);
    lc.mix_fraction = c.procedural_fraction;
  }
  data::Loader loader(train_source, lc, start);
  const ValidationSet val = load_validation(c, sources, dev);

  // Every check has passed (config, weights, checkpoint, data, validation set): only now is the
  // run folder touched, so a failed start leaves an old run as it was.
  fs::create_directories(o.out_dir);
  remove_stale_temporaries(o.out_dir);
  if (o.resume.empty() && o.force)
    for (const std::string& old : {ckpt_path, best_path, curve_path}) fs::remove(old);
  const std::string cfg_text = c.to_json().dump(2) + "\n";
  write_file_atomic(config_path, cfg_text.data(), cfg_text.size());
  History history = reload_log(log_path, start);

  const losses::TotalLoss loss_fn{total_loss_config(c)};

  TrainResult result;
  result.first_step = start;
  result.best_val_ssim = restored.best_ssim;
  std::ofstream log(log_path, std::ios::app);
  Progress progress("train", c.steps, "step", start);
  const auto t0 = std::chrono::steady_clock::now();
  double window_loss = 0;
  int64_t window_count = 0;

  // Precise BN over a loader of its own (seeded by the step), so the training stream is untouched.
  auto recalibrate_bn = [&](int64_t step) {
    data::LoaderConfig rc = lc;
    rc.seed = mix(c.seed ^ 0x626e63616c6962ULL, uint64_t(step));
    data::Loader calibration(train_source, rc);
    nn::recalibrate_batchnorm(model, c.bn_recalibration_batches,
                              [&] { model.forward_all(calibration.next().input.to(dev)); });
  };
  // BatchNorm trains normally up to step freeze_after, frozen after it (-1: never).
  const int64_t freeze_after = c.bn_freeze_from_start ? 0 : c.bn_freeze_step > 0 ? c.bn_freeze_step : -1;
  auto bn_frozen = [&](int64_t step) { return freeze_after >= 0 && step > freeze_after; };
  if (bn_frozen(start + 1)) nn::freeze_batchnorm(model);  // resumed after the freeze

  for (int64_t step = start + 1; step <= c.steps; ++step) {
    if (step == freeze_after + 1) {
      if (c.bn_recalibration_batches > 0) recalibrate_bn(step);
      nn::freeze_batchnorm(model);
    }
    data::Batch b = loader.next();
    losses::LossInputs in;
    Tensor input = b.input.to(dev);
    models::JessOutput out = model.forward_all(input);
    in.edge_logits = out.E_pred;
    in.s0 = out.S0;
    in.s1 = out.S1;
    in.s_gt = b.gt.to(dev);
    in.edge_gt = b.edge.to(dev);
    if (c.contrastive_l1 || c.contrastive_gram) {
      // The negative of this step, for both terms: the textured input or the over-smoothed image, p = 1/2.
      Generator g(mix(c.seed, uint64_t(step)));
      const Tensor negative = g.uniform() < 0.5 ? input : b.over.to(dev);
      if (c.contrastive_l1) in.negative = negative;
      if (vgg) {
        const std::vector<models::Vgg16Layer> taps{models::Vgg16Layer::relu1_2, models::Vgg16Layer::relu2_2};
        in.feats_anchor = vgg->forward_taps(out.S1, taps);  // the gradient reaches S1 through the frozen VGG
        autograd::NoGradGuard no_grad;
        in.feats_pos = vgg->forward_taps(in.s_gt, taps);
        in.feats_neg = vgg->forward_taps(negative, taps);
      }
    }
    losses::LossTerms terms = loss_fn(in);
    opt.zero_grad();
    terms.total.backward();
    opt.step();
    schedule.step();

    const double loss = terms.total.item();
    CSGIS_CHECK(std::isfinite(loss), "training diverged at step ", step, " (loss ", loss,
                "); lower optim.lr or check the data");
    result.losses.push_back(loss);
    result.last_step = step;
    window_loss += loss;
    ++window_count;
    if (step % c.log_interval == 0 || step == c.steps) {
      nlohmann::json j = {{"step", step}, {"lr", opt.lr()},
                          {"time_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
      for (auto& [name, v] : terms.values()) j[name == "total" ? "loss" : name] = v;
      j["loss_avg"] = window_loss / double(window_count);
      log << j.dump() << "\n" << std::flush;
      history.loss.emplace_back(double(step), loss);
      window_loss = 0;
      window_count = 0;
    }
    if (step % c.val_interval == 0 || step == c.steps) {
      // Precise BN for this validation only: the snapshot puts training's statistics back after it,
      // so the run (and a resumed run) trains exactly as without it.
      // Once frozen, the statistics are the ones the weights are being tuned against: kept as they are.
      const bool recalibrate = c.bn_recalibration_batches > 0 && !bn_frozen(step);
      nn::BatchNormSnapshot training_stats;
      if (recalibrate) {
        training_stats = nn::snapshot_batchnorm(model);
        recalibrate_bn(step);
      }
      ValidationResult v = validate(model, val);
      if (bn_frozen(step)) nn::freeze_batchnorm(model);  // validate() put the model back in training mode
      nlohmann::json j = {{"step", step}, {"val_psnr", v.psnr}, {"val_ssim", v.ssim},
                          {"input_psnr", v.input_psnr}, {"input_ssim", v.input_ssim}};
      log << j.dump() << "\n" << std::flush;
      history.val_psnr.emplace_back(double(step), v.psnr);
      history.input_psnr.emplace_back(double(step), v.input_psnr);
      if (v.ssim > result.best_val_ssim) {
        result.best_val_ssim = v.ssim;
        save_jess(best_path, model, {{"step", std::to_string(step)}, {"val_psnr", std::to_string(v.psnr)},
                                     {"val_ssim", std::to_string(v.ssim)}});
      }
      result.final_val = v;
      write_curve(curve_path, history);
      if (recalibrate) nn::restore_batchnorm(model, training_stats);
    }
    if (step % c.checkpoint_interval == 0 || step == c.steps)
      save_checkpoint(ckpt_path, c, model, opt, step, result.best_val_ssim);
    if (o.show_progress) {
      char status[96];
      std::snprintf(status, sizeof status, "loss %.4f  val PSNR %.2f", loss, result.final_val.psnr);
      progress.update(step, status);
    }
  }
  if (o.show_progress) progress.finish();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace csgis::tools
