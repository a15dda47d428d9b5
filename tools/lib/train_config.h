// The training configuration: one JSON file, every key documented in docs/training.md, unknown
// keys and wrong types refused with a message naming the file, the field and what was expected.
// The effective configuration (defaults filled in) is written beside every checkpoint.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/jess_names.h"

namespace csgis::tools {

struct TrainConfig {
  models::JessConfig model;  // "model": {dim, feature_blocks, smooth_blocks, enhance_blocks, init}
  // "model.init": weights (save_jess format) loaded before step 1 of a fresh run; empty = random.
  std::string init_weights;
  // "model.init_grow": model.init may have fewer rHDC blocks per stage than "model" (same dim): the
  // missing ones are appended near identity (models::grow_jess, last BatchNorm scale
  // "model.init_grow_gamma").
  bool init_grow = false;
  double init_grow_gamma = 1e-3;

  // "data"
  std::string source = "procedural";  // "procedural" or a dataset folder (DIR/input, gt, ...)
  std::string val_source = "procedural";
  std::string texture_dir;            // procedural: GIMP .pat textures (default: gimp-data's)
  int sample_size = 96;               // procedural sample size (train), before cropping to patch
  int patch = 64;
  int batch = 4;
  int workers = 2;
  bool augment = true;
  // Augmentation (data/augment.h; used when augment is true). Defaults: the original augmentation,
  // which the shipped configs train with.
  bool aug_hflip = true;
  bool aug_rot90 = true;
  float aug_max_angle = 10.f;            // degrees, [0, 45]; shrunk to what the sample's margin allows
  float aug_brightness_shift = 0.1f;     // additive, uniform in [-b, b]
  std::vector<double> aug_brightness_range = {1.0, 1.0};  // multiplicative factor [lo, hi]
  float aug_contrast = 0.1f;             // factor in [1 - c, 1 + c] (when aug_contrast_range is empty)
  std::vector<double> aug_contrast_range;  // [lo, hi]: replaces aug_contrast
  float aug_saturation = 0.1f;           // factor in [1 - s, 1 + s]
  float aug_hue = 0.f;                   // hue shift in [-h, h] turns, h <= 0.5
  // Folder training sources: each sample is, with this probability, a procedural one instead
  // (decided from (seed, sample slot)); 0 = off.
  double procedural_fraction = 0.0;
  double clean_fraction = 0.0;  // data.clean_fraction: texture-free samples (input = gt), data/loader.h
  // Procedural training textures only (validation keeps the plain eq. 14-16): strength drawn in
  // [1, texture_strength_max], magnification log-uniform in [texture_scale_min, texture_scale_max],
  // random square symmetry when texture_orient. Defaults: off.
  float texture_strength_max = 1.f;
  float texture_scale_min = 1.f, texture_scale_max = 1.f;
  bool texture_orient = false;
  int val_count = 24;                 // validation samples: procedural ones, or spread over a folder (all when it holds fewer)
  int val_size = 128;

  // "optim"
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, weight_decay = 0.0;
  std::vector<int64_t> milestones;    // steps at which lr *= gamma (MultiStepLR over steps)
  double gamma = 0.5;

  // "loss"
  double lambda_edge = 0.001;
  double ssim_weight = 0.1;
  bool dtv = true;
  double dtv_tv_weight_s0 = 1.0, dtv_tv_weight_s1 = 1.0;
  bool contrastive_l1 = false;        // the gray-L1 triplet (needs no VGG); negative = I or I_over
  double margin_l1 = 0.3;
  // The Gram triplet on VGG16 relu1_2 + relu2_2 of S1, S_gt and the same negative.
  bool contrastive_gram = false;
  double margin_gram = 0.04;
  std::string contrastive_form = "triplet";  // or "ratio": the reference's d(a,p) / d(a,n), no margins
  // The scale of the Gram term's features: "raw" (torchvision's VGG16 fed the unnormalised [0, 1]
  // image, as the reference code) or "imagenet" (fed the ImageNet-normalised image); trainer.h.
  std::string gram_input = "raw";
  // VGG16 weights (models/vgg16.h); "" = weights/vgg16.safetensors of the source tree when it exists
  // (tools/fetch-vgg16.sh), else fixed random filters from vgg_seed with a warning.
  std::string vgg_weights;
  uint64_t vgg_seed = 7;
  double lambda_c = 1.0;
  // The semantic term (eq. 10): CE(phi(S1), labels) through a frozen DeepLabv3+ phi (seg_weights: a
  // `csgis train` task "segment" run's best.safetensors, or a VainF export). Labels: the data's seg
  // maps, or with seg_label_free argmax phi(S_gt) (for photos without labels).
  bool semantic = false;
  double lambda_seg = 1.0;
  std::string seg_weights;
  int64_t seg_output_stride = 16;
  bool seg_label_free = false;

  // "segmenter" (task "segment"): the DeepLabv3+ that `csgis train` trains alone on the data's
  // ground-truth images and seg labels. init: weights (load_deeplab format) to start from.
  int64_t seg_num_classes = 7;  // the procedural classes (data/procedural.h); 21 for VOC
  int64_t seg_stride = 16;      // output stride, 8 or 16
  std::string seg_init;

  // "distributed" (data-parallel training under mpirun, docs/distributed.md): BatchNorm with the
  // statistics of the global batch, and the size of the gradient all-reduce buckets.
  bool sync_batchnorm = false;
  double bucket_mb = 25;  // as PyTorch DDP's bucket_cap_mb

  // top level
  std::string task = "smooth";  // "smooth": the JESS smoother (eq. 11); "segment": DeepLabv3+ alone
  int64_t steps = 1000;
  std::string device = "cpu";
  uint64_t seed = 1;
  int64_t log_interval = 10;
  int64_t val_interval = 100;
  int64_t checkpoint_interval = 100;
  // > 0: before each validation, BatchNorm statistics are recomputed over this many training
  // batches run through the current weights ("precise BN"); the validation and best.safetensors
  // use them, and training continues with its own running statistics (engine/nn/batchnorm_stats.h).
  int64_t bn_recalibration_batches = 0;
  // > 0: after this step BatchNorm layers use their running statistics while training (the rest of
  // the network keeps learning), so the weights adapt to what evaluation mode computes. With
  // bn_recalibration_batches the statistics are recalibrated once at this step, then frozen.
  int64_t bn_freeze_step = 0;
  // true: BatchNorm layers are frozen from step 1 (recalibrated once before it with the initial
  // weights when bn_recalibration_batches > 0): fine-tuning a model trained with frozen BN.
  // Excludes bn_freeze_step > 0.
  bool bn_freeze_from_start = false;
  int threads = 0;                    // CPU threads (0: OMP_NUM_THREADS or all cores); applied by the caller of train() (the driver), never by the library

  // `where` names the file in error messages.
  static TrainConfig from_json(const nlohmann::json& j, const std::string& where);
  static TrainConfig load(const std::string& path);
  nlohmann::json to_json() const;
};

}  // namespace csgis::tools
