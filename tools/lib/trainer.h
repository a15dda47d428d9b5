// Training of the JESS smoothing network: the loop behind `csgis train`.
//
// Out directory: config.json (effective config), checkpoint.safetensors (model + optimizer + step,
// written atomically every checkpoint_interval steps and at the end), best.safetensors (the weights
// with the best validation SSIM, in save_jess format: what `csgis smooth` loads), metrics.jsonl
// (one JSON object per logged step and per validation), curve.png (loss and PSNR curves).
//
// Resuming is exact: every random choice of a step is a function of (seed, step), the loader
// restarts at the checkpoint's batch, and the optimizer state and schedule position are restored,
// so an interrupted run continues with the same loss curve as an uninterrupted one.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "losses/total.h"
#include "models/deeplabv3plus.h"
#include "models/vgg16.h"
#include "tools/lib/distributed.h"
#include "tools/lib/train_config.h"

namespace csgis::tools {

struct TrainOptions {
  TrainConfig config;
  std::string out_dir = "runs/train";
  std::string resume;       // checkpoint to continue from (empty: start fresh)
  bool force = false;       // a fresh run may replace a run already in out_dir
  bool show_progress = true;
  // Data-parallel training (docs/distributed.md): this process's rank among the others; null = one
  // process. Rank 0 alone writes the run folder and shows progress; every rank reads the data, the
  // resume checkpoint and the weights the config names.
  dist::Communicator* comm = nullptr;
};

struct ValidationResult {
  double psnr = 0, ssim = 0;              // network output vs ground truth (means over the set)
  double input_psnr = 0, input_ssim = 0;  // the textured input vs ground truth
};

struct TrainResult {
  int64_t first_step = 0, last_step = 0;  // steps run by this call: (first_step, last_step]
  std::vector<double> losses;             // total loss of each step run by this call
  ValidationResult final_val;
  double best_val_ssim = -1;
  double seconds = 0;
};

TrainResult train(const TrainOptions& options);

// The loss weights and switches of a train config (what train() and `bench train-step --config` use).
losses::TotalLossConfig total_loss_config(const TrainConfig& config);

// The Gram term's VGG16 (frozen, evaluation mode, on `dev`): loss.vgg_weights, else the source tree's
// weights/vgg16.safetensors (tools/fetch-vgg16.sh), else fixed random filters from loss.vgg_seed,
// said once on stderr. Used by train() and `csgis bench train-step --config`.
std::shared_ptr<models::Vgg16Features> contrastive_vgg(const TrainConfig& config, Device dev);

// The factor the Gram term's VGG16 features are multiplied by (loss.gram_input), from the weights'
// input normalisation: "raw" (the default) puts them on the scale of torchvision's VGG16 fed the
// [0, 1] image without ImageNet normalisation, as the reference code feeds it (the scale its margin
// 0.04 was set on): 0.226 / input_gain_vs_imagenet(); "imagenet" on the scale of the ImageNet-
// normalised input, 1 / input_gain_vs_imagenet(): features ~4.4x and Gram distances ~380x larger,
// which makes the hinge fire rarely but at 90-130 and wrecks Adam's moments (docs/results.md).
double gram_feature_scale(const models::Vgg16Normalization& normalization, const std::string& gram_input);

// Fills the Gram term's inputs: VGG16 relu1_2 and relu2_2 of S1, with the graph that carries the
// gradient into S1, and of S_gt and the negative, without; all multiplied by feature_scale
// (gram_feature_scale).
void gram_inputs(models::Vgg16Features& vgg, const Tensor& s1, const Tensor& s_gt, const Tensor& negative,
                 double feature_scale, losses::LossInputs& in);

// The semantic term's frozen DeepLabv3+ phi (evaluation mode, on `dev`) from loss.seg_weights at
// loss.seg_output_stride; a file whose metadata records another output stride is refused.
std::shared_ptr<models::DeepLabV3Plus> semantic_segmenter(const TrainConfig& config, Device dev);

// Fills the semantic term's inputs: in.seg_logits = phi(normalize_imagenet(S1)), with the graph that
// carries the gradient through the frozen phi into S1 (eq. 10), and in.seg_labels = the data's
// labels, or with label_free argmax phi(S_gt) (no graph).
void semantic_inputs(models::DeepLabV3Plus& phi, bool label_free, const Tensor& s1, const Tensor& s_gt,
                     const Tensor& seg_labels, losses::LossInputs& in);

}  // namespace csgis::tools
