#include "tools/lib/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "data/dataset.h"
#include "data/loader.h"
#include "data/procedural.h"
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
#include "tools/lib/data_parallel.h"
#include "tools/lib/plot.h"
#include "tools/lib/progress.h"
#include "tools/lib/seg_metrics.h"
#include "tools/lib/train_common.h"

namespace fs = std::filesystem;

namespace csgis::tools {

namespace {

constexpr const char* kCheckpointFormat = models::kTrainCheckpointFormat;

// Validation images as [1,3,H,W] tensors on the device, with the input's own scores.
struct ValidationSet {
  std::vector<Tensor> inputs, gts;
  double input_psnr = 0, input_ssim = 0;
};

double psnr(const Tensor& a, const Tensor& b) {
  const double mse = mean(square(a - b)).item();
  return 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
}

ValidationSet load_validation(const TrainConfig& c, TrainSources& sources, Device dev) {
  ValidationSet v;
  const std::vector<data::Sample> samples = validation_samples(c, sources);
  const double n = double(samples.size());
  autograd::NoGradGuard no_grad;
  for (const data::Sample& s : samples) {
    Tensor in = data::image_to_tensor(s.input).to(dev), gt = data::image_to_tensor(s.gt).to(dev);
    v.input_psnr += psnr(in, gt) / n;
    v.input_ssim += ssim(in, gt, SsimMode::Metric).item() / n;
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

// ---- checkpoints ----
void save_checkpoint(const std::string& path, const TrainConfig& c, models::Jess& model,
                     const optim::Optimizer& opt, int64_t step, double best_ssim) {
  save_run_checkpoint(path, kCheckpointFormat, c, model, opt, step, "best_val_ssim", best_ssim,
                      {{models::kJessConfigKey, model.config().to_json()}});
}

RestoredRun load_checkpoint(const std::string& path, const TrainConfig& c, models::Jess& model,
                            optim::Optimizer& opt) {
  return load_run_checkpoint(path, kCheckpointFormat, c, model, opt, "best_val_ssim", [&](const Metadata& meta) {
    auto it = meta.find(models::kJessConfigKey);
    CSGIS_CHECK(it != meta.end(), "checkpoint '", path, "' has no '", models::kJessConfigKey,
                "' metadata: not a csgis training checkpoint");
    const models::JessConfig saved = models::JessConfig::from_json(it->second);
    CSGIS_CHECK(saved == c.model, "checkpoint '", path, "' holds a model ", saved.str(), " but the config asks for ",
                c.model.str());
  });
}

// "model.init": the weights of a save_jess file (BatchNorm running statistics included) copied into
// the freshly built model. The architecture must match name for name and shape for shape; the
// first difference is reported in one line. With model.init_grow the file may have fewer blocks.
void load_init_weights(const std::string& path, const TrainConfig& c, models::Jess& model) {
  std::unique_ptr<models::Jess> init = models::load_jess(path);
  CSGIS_CHECK(init->channel_order == models::ChannelOrder::RGB, "model.init '", path, "': the weights expect ",
              models::channel_order_name(init->channel_order), " images, the trainer feeds RGB");
  if (c.init_grow) {
    try {
      models::grow_jess(*init, model, c.init_grow_gamma);
    } catch (const Error& e) {
      CSGIS_FAIL("model.init '", path, "' with model.init_grow: ", e.what());
    }
    return;
  }
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

// The config as every rank must share it: threads and the CUDA device index may differ per rank.
std::string shared_config_text(TrainConfig c) {
  c.threads = 0;
  if (c.device.rfind("cuda", 0) == 0) c.device = "cuda";
  return c.to_json().dump();
}

void write_curve(const std::string& path, History& h) {
  Panel loss{"TRAINING LOSS", {{"TOTAL", h["loss"], 200, 40, 40}}, true};
  Panel val{"VALIDATION PSNR (DB)", {{"NETWORK", h["val_psnr"], 30, 90, 200}, {"INPUT", h["input_psnr"], 120, 120, 120}}, false};
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
  l.use_seg = c.semantic;
  l.lambda_seg = c.lambda_seg;
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

std::shared_ptr<models::DeepLabV3Plus> semantic_segmenter(const TrainConfig& c, Device dev) {
  CSGIS_CHECK(!c.seg_weights.empty(), "loss.seg_weights: no segmenter weights named");
  std::map<std::string, std::string> metadata;
  std::shared_ptr<models::DeepLabV3Plus> phi = models::load_deeplab(c.seg_weights, c.seg_output_stride, &metadata);
  if (auto it = metadata.find("deeplab"); it != metadata.end()) {
    const nlohmann::json meta = nlohmann::json::parse(it->second, nullptr, false);
    if (!meta.is_discarded() && meta.contains("output_stride") && meta["output_stride"] != c.seg_output_stride)
      CSGIS_FAIL("loss.seg_weights '", c.seg_weights, "' was trained at output stride ", meta["output_stride"].dump(),
                 ", loss.seg_output_stride is ", c.seg_output_stride, ": set it to the file's");
  }
  phi->to(dev);
  phi->freeze();
  return phi;
}

double gram_feature_scale(const models::Vgg16Normalization& normalization, const std::string& gram_input) {
  CSGIS_CHECK(gram_input == "raw" || gram_input == "imagenet", "loss.gram_input must be \"raw\" or \"imagenet\", got \"",
              gram_input, "\"");
  // A [0, 1] image is 1 / (mean ImageNet std) times smaller than its ImageNet normalisation.
  const double target = gram_input == "raw" ? (0.229 + 0.224 + 0.225) / 3.0 : 1.0;
  return target / normalization.input_gain_vs_imagenet();
}

void gram_inputs(models::Vgg16Features& vgg, const Tensor& s1, const Tensor& s_gt, const Tensor& negative,
                 double feature_scale, losses::LossInputs& in) {
  const std::vector<models::Vgg16Layer> taps{models::Vgg16Layer::relu1_2, models::Vgg16Layer::relu2_2};
  auto features = [&](const Tensor& image) {
    std::vector<Tensor> f = vgg.forward_taps(image, taps);
    if (feature_scale != 1.0)
      for (Tensor& t : f) t = t * feature_scale;
    return f;
  };
  in.feats_anchor = features(s1);  // the gradient reaches S1 through the frozen VGG
  autograd::NoGradGuard no_grad;
  in.feats_pos = features(s_gt);
  in.feats_neg = features(negative);
}

void semantic_inputs(models::DeepLabV3Plus& phi, bool label_free, const Tensor& s1, const Tensor& s_gt,
                     const Tensor& seg_labels, losses::LossInputs& in) {
  in.seg_logits = phi.forward(models::normalize_imagenet(s1));
  if (!label_free) {
    in.seg_labels = seg_labels;
    return;
  }
  autograd::NoGradGuard no_grad;
  Tensor ids;
  max(phi.forward(models::normalize_imagenet(s_gt)), 1, false, &ids);
  in.seg_labels = ids;
}

TrainResult train(const TrainOptions& o) {
  const TrainConfig& c = o.config;
  std::unique_ptr<dist::Communicator> single;
  if (!o.comm) single = dist::local_communicator();
  dist::Communicator& comm = o.comm ? *o.comm : *single;
  const bool lead = comm.rank() == 0;  // the rank that writes the run folder
  dist::StartGate gate(comm);
  const Device dev = Device::parse(c.device);
  if (lead) refuse_overwriting_a_run(o.out_dir, !o.resume.empty(), o.force);
  const std::string ckpt_path = o.out_dir + "/checkpoint.safetensors",
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

  RestoredRun restored;
  // A checkpoint holds the weights it continues from: model.init only seeds a fresh run.
  if (!o.resume.empty()) restored = load_checkpoint(o.resume, c, model, opt);
  else if (!c.init_weights.empty()) load_init_weights(c.init_weights, c, model);
  const int64_t start = restored.step;
  CSGIS_CHECK(start < c.steps, "checkpoint '", o.resume, "' is at step ", start, ", nothing left to do for steps = ",
              c.steps);
  schedule.set_last_epoch(start);

  // Built after the smoother, so the smoother's initialisation does not depend on the loss switches.
  const std::shared_ptr<models::Vgg16Features> vgg = c.contrastive_gram ? contrastive_vgg(c, dev) : nullptr;
  const double gram_scale = vgg ? gram_feature_scale(vgg->normalization, c.gram_input) : 1.0;
  const std::shared_ptr<models::DeepLabV3Plus> phi = c.semantic ? semantic_segmenter(c, dev) : nullptr;

  data::LoaderConfig lc = loader_config(c);
  lc.shard_rank = comm.rank();  // each rank its disjoint share of every global batch
  lc.shard_count = comm.size();
  TrainSources sources(c);
  const std::shared_ptr<const data::SampleSource> train_source =
      sources.make(c.source, data::Split::Train, c.sample_size, -1);
  if (c.procedural_fraction > 0) {
    lc.mix_source = sources.make("procedural", data::Split::Train, c.sample_size, -1);
    lc.mix_fraction = c.procedural_fraction;
  }
  if (phi && !c.seg_label_free) {
    // The labels must fit phi before anything trains; photos without labels need the label-free form.
    const int64_t k = phi->config.num_classes;
    const LabelScan scan = scan_labels(*train_source, c.source, k,
                                       "the " + std::to_string(k) + " classes of loss.seg_weights '" + c.seg_weights + "'");
    CSGIS_CHECK(scan.labelled_pixels != 0, "data source '", c.source, "': its ", scan.samples,
                " seg maps hold no class label (every pixel is 255), so loss.semantic has nothing to compare with: "
                "set loss.seg_label_free (labels argmax phi(S_gt)) or train on labelled data");
    CSGIS_CHECK(c.procedural_fraction == 0 || k >= data::kProceduralClasses, "data.procedural_fraction mixes in ",
                "procedural samples of ", data::kProceduralClasses, " classes; loss.seg_weights '", c.seg_weights,
                "' has ", k);
  }
  data::Loader loader(train_source, lc, start);
  const ValidationSet val = load_validation(c, sources, dev);

  // Every check has passed (config, weights, checkpoint, data, validation set): only now is the
  // run folder touched, so a failed start leaves an old run as it was.
  // With several ranks all must have passed these checks too, and agree on the config.
  gate.pass(shared_config_text(c) + "|" + o.resume + "|" + o.out_dir);
  History history = lead ? open_run_folder(o.out_dir, !o.resume.empty(), o.force, c, start) : History();

  // Data parallel: every rank starts from rank 0's weights and statistics, gradients are averaged.
  dist::broadcast_from_rank0(comm, [&] {
    std::vector<Tensor> state;
    for (auto& [name, t] : model.state_dict()) state.push_back(t);
    return state;
  }(), "the start broadcast of the model");
  dist::sync_batchnorm(model, comm, c.sync_batchnorm);
  dist::GradientAverager averager(model.parameters(), comm, size_t(c.bucket_mb * 1024 * 1024));
  if (comm.size() > 1 && lead)
    std::printf("train: %d ranks (%s), per-rank batch %d, global batch %d; %zu gradient bucket(s) of <= %g MB; "
                "BatchNorm statistics %s\n",
                comm.size(), comm.backend().c_str(), c.batch, c.batch * comm.size(), averager.buckets().size(),
                c.bucket_mb, c.sync_batchnorm ? "over the global batch (sync_batchnorm)" : "per rank");
  std::fflush(stdout);

  const losses::TotalLoss loss_fn{total_loss_config(c)};

  TrainResult result;
  result.first_step = start;
  result.best_val_ssim = restored.best;
  std::ofstream log;
  if (lead) log.open(log_path, std::ios::app);
  Progress progress("train", c.steps, "step", start);
  const auto t0 = std::chrono::steady_clock::now();
  double window_loss = 0, logged_loss = 0;  // logged_loss: the mean over the ranks at the last log line
  int64_t window_count = 0;

  // Precise BN over a loader of its own (seeded by the step), so the training stream is untouched.
  // Every rank recalibrates on the same (unsharded) batches with its own statistics: the same result
  // everywhere, without collectives.
  auto recalibrate_bn = [&](int64_t step) {
    data::LoaderConfig rc = lc;
    rc.seed = mix_seed(c.seed ^ 0x626e63616c6962ULL, uint64_t(step));
    rc.shard_rank = 0;
    rc.shard_count = 1;
    data::Loader calibration(train_source, rc);
    dist::sync_batchnorm(model, comm, false);
    nn::recalibrate_batchnorm(model, c.bn_recalibration_batches,
                              [&] { model.forward_all(calibration.next().input.to(dev)); });
    dist::sync_batchnorm(model, comm, c.sync_batchnorm);
  };
  // BatchNorm trains normally up to step freeze_after, frozen after it (-1: never).
  const int64_t freeze_after = c.bn_freeze_from_start ? 0 : c.bn_freeze_step > 0 ? c.bn_freeze_step : -1;
  auto bn_frozen = [&](int64_t step) { return freeze_after >= 0 && step > freeze_after; };
  if (bn_frozen(start + 1)) nn::freeze_batchnorm(model);  // resumed after the freeze

  // Per-rank BatchNorm statistics differ between ranks: where evaluation mode is about to use them
  // (validation, a freeze), every rank takes rank 0's, the ones its checkpoints hold.
  auto share_bn_statistics = [&] {
    if (comm.size() == 1 || c.sync_batchnorm) return;
    std::vector<Tensor> stats;
    for (nn::BatchNorm2d* bn : nn::batchnorm_layers(model)) {
      stats.push_back(bn->running_mean);
      stats.push_back(bn->running_var);
    }
    dist::broadcast_from_rank0(comm, stats, "the broadcast of rank 0's BatchNorm statistics");
  };

  for (int64_t step = start + 1; step <= c.steps; ++step) {
    if (step == freeze_after + 1) {
      if (c.bn_recalibration_batches > 0) recalibrate_bn(step);  // the same batches on every rank
      else share_bn_statistics();
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
      Generator g(mix_seed(c.seed, uint64_t(step)));
      const Tensor negative = g.uniform() < 0.5 ? input : b.over.to(dev);
      if (c.contrastive_l1) in.negative = negative;
      if (vgg) gram_inputs(*vgg, out.S1, in.s_gt, negative, gram_scale, in);
    }
    if (phi) semantic_inputs(*phi, c.seg_label_free, out.S1, in.s_gt, b.seg, in);
    losses::LossTerms terms = loss_fn(in);
    opt.zero_grad();
    averager.begin_step(step);
    terms.total.backward();
    averager.finish();  // every rank's .grad: the mean over the ranks
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
      dist::Terms logged = terms.values();
      logged.emplace_back("loss_avg", window_loss / double(window_count));
      for (auto& [name, v] : dist::mean_over_ranks(comm, logged)) j[name == "total" ? "loss" : name] = v;
      logged_loss = j["loss"].get<double>();
      if (lead) log << j.dump() << "\n" << std::flush;
      history["loss"].emplace_back(double(step), logged_loss);
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
      } else if (!bn_frozen(step)) {
        share_bn_statistics();
      }
      ValidationResult v = validate(model, val);
      if (bn_frozen(step)) nn::freeze_batchnorm(model);  // validate() put the model back in training mode
      nlohmann::json j = {{"step", step}, {"val_psnr", v.psnr}, {"val_ssim", v.ssim},
                          {"input_psnr", v.input_psnr}, {"input_ssim", v.input_ssim}};
      if (lead) log << j.dump() << "\n" << std::flush;
      history["val_psnr"].emplace_back(double(step), v.psnr);
      history["input_psnr"].emplace_back(double(step), v.input_psnr);
      if (v.ssim > result.best_val_ssim) {
        result.best_val_ssim = v.ssim;
        if (lead)
          save_jess(best_path, model, {{"step", std::to_string(step)}, {"val_psnr", std::to_string(v.psnr)},
                                     {"val_ssim", std::to_string(v.ssim)}});
      }
      result.final_val = v;
      if (lead) write_curve(curve_path, history);
      if (recalibrate) nn::restore_batchnorm(model, training_stats);
    }
    if (lead && (step % c.checkpoint_interval == 0 || step == c.steps))
      save_checkpoint(ckpt_path, c, model, opt, step, result.best_val_ssim);
    if (o.show_progress && lead) {
      char status[96];
      std::snprintf(status, sizeof status, "loss %.4f  val PSNR %.2f", loss, result.final_val.psnr);
      progress.update(step, status);
    }
  }
  if (o.show_progress && lead) progress.finish();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace csgis::tools
