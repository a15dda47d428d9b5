#include "tools/lib/train_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/error.h"

namespace csgis::tools {

namespace {

const char* type_name(const nlohmann::json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

// Reads the keys of one JSON object into fields, then refuses any key that was not read.
class Fields {
 public:
  Fields(const nlohmann::json& obj, std::string where, std::string prefix)
      : obj_(obj), where_(std::move(where)), prefix_(std::move(prefix)) {
    CSGIS_CHECK(obj.is_object(), where_, ": '", prefix_.empty() ? "(top level)" : prefix_,
                "' must be an object, got ", type_name(obj));
  }

  template <typename T>
  void get(const std::string& key, T& out) {
    known_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end()) return;
    const nlohmann::json& v = *it;
    const std::string name = prefix_.empty() ? key : prefix_ + "." + key;
    if constexpr (std::is_same_v<T, bool>) {
      CSGIS_CHECK(v.is_boolean(), where_, ": field '", name, "': expected a boolean, got ", type_name(v));
      out = v.get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      CSGIS_CHECK(v.is_string(), where_, ": field '", name, "': expected a string, got ", type_name(v));
      out = v.get<std::string>();
    } else if constexpr (std::is_integral_v<T>) {
      CSGIS_CHECK(v.is_number_integer() || v.is_number_unsigned(), where_, ": field '", name,
                  "': expected an integer, got ", type_name(v));
      out = v.get<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      CSGIS_CHECK(v.is_number(), where_, ": field '", name, "': expected a number, got ", type_name(v));
      out = v.get<T>();
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      CSGIS_CHECK(v.is_array(), where_, ": field '", name, "': expected an array of numbers, got ", type_name(v));
      out.clear();
      for (const auto& e : v) {
        CSGIS_CHECK(e.is_number(), where_, ": field '", name, "': expected numbers, got ", type_name(e));
        out.push_back(e.get<double>());
      }
    } else {  // std::vector<int64_t>
      CSGIS_CHECK(v.is_array(), where_, ": field '", name, "': expected an array of integers, got ", type_name(v));
      out.clear();
      for (const auto& e : v) {
        CSGIS_CHECK(e.is_number_integer(), where_, ": field '", name, "': expected integers, got ", type_name(e));
        out.push_back(e.get<int64_t>());
      }
    }
  }

  const nlohmann::json* object(const std::string& key) {
    known_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  void refuse_unknown() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (known_.count(it.key())) continue;
      std::ostringstream keys;
      for (const auto& k : known_) keys << (keys.tellp() > 0 ? ", " : "") << k;
      CSGIS_FAIL(where_, ": unknown key '", prefix_.empty() ? it.key() : prefix_ + "." + it.key(),
                 "' (known keys here: ", keys.str(), ")");
    }
  }

 private:
  const nlohmann::json& obj_;
  std::string where_, prefix_;
  std::set<std::string> known_;
};

void check_range(bool ok, const std::string& where, const char* field, const char* what) {
  CSGIS_CHECK(ok, where, ": field '", field, "': ", what);
}

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& j, const std::string& where) {
  TrainConfig c;
  Fields top(j, where, "");
  if (const auto* m = top.object("model")) {
    Fields f(*m, where, "model");
    f.get("dim", c.model.dim);
    f.get("feature_blocks", c.model.feature_blocks);
    f.get("smooth_blocks", c.model.smooth_blocks);
    f.get("enhance_blocks", c.model.enhance_blocks);
    f.get("init", c.init_weights);
    f.get("init_grow", c.init_grow);
    f.get("init_grow_gamma", c.init_grow_gamma);
    f.refuse_unknown();
  }
  if (const auto* d = top.object("data")) {
    Fields f(*d, where, "data");
    f.get("source", c.source);
    f.get("val_source", c.val_source);
    f.get("texture_dir", c.texture_dir);
    f.get("sample_size", c.sample_size);
    f.get("patch", c.patch);
    f.get("batch", c.batch);
    f.get("workers", c.workers);
    f.get("augment", c.augment);
    f.get("aug_hflip", c.aug_hflip);
    f.get("aug_rot90", c.aug_rot90);
    f.get("aug_max_angle", c.aug_max_angle);
    f.get("aug_brightness_shift", c.aug_brightness_shift);
    f.get("aug_brightness_range", c.aug_brightness_range);
    f.get("aug_contrast", c.aug_contrast);
    f.get("aug_contrast_range", c.aug_contrast_range);
    f.get("aug_saturation", c.aug_saturation);
    f.get("aug_hue", c.aug_hue);
    f.get("procedural_fraction", c.procedural_fraction);
    f.get("clean_fraction", c.clean_fraction);
    f.get("texture_strength_max", c.texture_strength_max);
    f.get("texture_scale_min", c.texture_scale_min);
    f.get("texture_scale_max", c.texture_scale_max);
    f.get("texture_orient", c.texture_orient);
    f.get("val_count", c.val_count);
    f.get("val_size", c.val_size);
    f.refuse_unknown();
  }
  if (const auto* o = top.object("optim")) {
    Fields f(*o, where, "optim");
    f.get("lr", c.lr);
    f.get("beta1", c.beta1);
    f.get("beta2", c.beta2);
    f.get("weight_decay", c.weight_decay);
    f.get("milestones", c.milestones);
    f.get("gamma", c.gamma);
    f.refuse_unknown();
  }
  if (const auto* l = top.object("loss")) {
    Fields f(*l, where, "loss");
    f.get("lambda_edge", c.lambda_edge);
    f.get("ssim_weight", c.ssim_weight);
    f.get("dtv", c.dtv);
    f.get("dtv_tv_weight_s0", c.dtv_tv_weight_s0);
    f.get("dtv_tv_weight_s1", c.dtv_tv_weight_s1);
    f.get("contrastive_l1", c.contrastive_l1);
    f.get("margin_l1", c.margin_l1);
    f.get("contrastive_gram", c.contrastive_gram);
    f.get("margin_gram", c.margin_gram);
    f.get("contrastive_form", c.contrastive_form);
    f.get("gram_input", c.gram_input);
    f.get("vgg_weights", c.vgg_weights);
    f.get("vgg_seed", c.vgg_seed);
    f.get("lambda_c", c.lambda_c);
    f.get("semantic", c.semantic);
    f.get("lambda_seg", c.lambda_seg);
    f.get("seg_weights", c.seg_weights);
    f.get("seg_output_stride", c.seg_output_stride);
    f.get("seg_label_free", c.seg_label_free);
    f.refuse_unknown();
  }
  if (const auto* s = top.object("segmenter")) {
    Fields f(*s, where, "segmenter");
    f.get("num_classes", c.seg_num_classes);
    f.get("output_stride", c.seg_stride);
    f.get("init", c.seg_init);
    f.refuse_unknown();
  }
  if (const auto* d = top.object("distributed")) {
    Fields f(*d, where, "distributed");
    f.get("sync_batchnorm", c.sync_batchnorm);
    f.get("bucket_mb", c.bucket_mb);
    f.refuse_unknown();
  }
  top.get("task", c.task);
  top.get("steps", c.steps);
  top.get("device", c.device);
  top.get("seed", c.seed);
  top.get("log_interval", c.log_interval);
  top.get("val_interval", c.val_interval);
  top.get("checkpoint_interval", c.checkpoint_interval);
  top.get("threads", c.threads);
  top.get("bn_recalibration_batches", c.bn_recalibration_batches);
  top.get("bn_freeze_step", c.bn_freeze_step);
  top.get("bn_freeze_from_start", c.bn_freeze_from_start);
  top.refuse_unknown();

  check_range(c.model.dim > 0 && c.model.feature_blocks >= 0 && c.model.smooth_blocks >= 0 &&
                  c.model.enhance_blocks >= 0, where, "model", "dim must be > 0 and block counts >= 0");
  check_range(c.model.dim <= 1024 && c.model.feature_blocks <= 256 && c.model.smooth_blocks <= 256 &&
                  c.model.enhance_blocks <= 256, where, "model", "dim must be <= 1024 and block counts <= 256");
  check_range(!c.init_grow || !c.init_weights.empty(), where, "model.init_grow", "needs model.init (the weights to grow)");
  check_range(std::isfinite(c.init_grow_gamma) && c.init_grow_gamma >= 0 && c.init_grow_gamma <= 1, where,
              "model.init_grow_gamma", "must be in [0, 1]");
  // Upper bounds keep a typo (batch 1e9) a one-line error instead of an allocation failure.
  check_range(c.patch >= 16 && c.patch <= 4096, where, "data.patch", "must be in [16, 4096]");
  check_range(c.sample_size >= c.patch && c.sample_size <= 8192, where, "data.sample_size",
              "must be >= data.patch and <= 8192");
  check_range(c.batch >= 1 && c.batch <= 4096, where, "data.batch", "must be in [1, 4096]");
  check_range(c.workers >= 0 && c.workers <= 256, where, "data.workers", "must be in [0, 256]");
  check_range(c.bucket_mb > 0 && c.bucket_mb <= 4096, where, "distributed.bucket_mb", "must be in (0, 4096]");
  check_range(c.val_count >= 1 && c.val_count <= 100000, where, "data.val_count", "must be in [1, 100000]");
  check_range(c.val_size >= 16 && c.val_size <= 4096, where, "data.val_size", "must be in [16, 4096]");
  check_range(c.threads >= 0 && c.threads <= 1024, where, "threads",
              "must be in [0, 1024] (0: OMP_NUM_THREADS when set, else every core)");
  check_range(c.texture_strength_max >= 1.f, where, "data.texture_strength_max", "must be >= 1");
  check_range(c.texture_scale_min > 0.f && c.texture_scale_max >= c.texture_scale_min, where,
              "data.texture_scale_min/texture_scale_max", "must satisfy 0 < min <= max");
  check_range(c.aug_max_angle >= 0.f && c.aug_max_angle <= 45.f, where, "data.aug_max_angle",
              "must be in [0, 45] degrees (data.aug_rot90 covers larger turns)");
  check_range(c.aug_brightness_shift >= 0.f && c.aug_brightness_shift <= 1.f, where, "data.aug_brightness_shift",
              "must be in [0, 1]");
  check_range(c.aug_brightness_range.size() == 2 && c.aug_brightness_range[0] >= 0 &&
                  c.aug_brightness_range[0] <= c.aug_brightness_range[1],
              where, "data.aug_brightness_range", "must be [lo, hi] with 0 <= lo <= hi");
  check_range(c.aug_contrast >= 0.f && c.aug_contrast <= 1.f, where, "data.aug_contrast", "must be in [0, 1]");
  check_range(c.aug_contrast_range.empty() ||
                  (c.aug_contrast_range.size() == 2 && c.aug_contrast_range[0] >= 0 &&
                   c.aug_contrast_range[0] <= c.aug_contrast_range[1]),
              where, "data.aug_contrast_range", "must be [] (use data.aug_contrast) or [lo, hi] with 0 <= lo <= hi");
  check_range(c.aug_saturation >= 0.f && c.aug_saturation <= 1.f, where, "data.aug_saturation", "must be in [0, 1]");
  check_range(c.aug_hue >= 0.f && c.aug_hue <= 0.5f, where, "data.aug_hue", "must be in [0, 0.5] turns");
  check_range(c.procedural_fraction >= 0 && c.procedural_fraction <= 1, where, "data.procedural_fraction",
              "must be in [0, 1]");
  check_range(c.clean_fraction >= 0 && c.clean_fraction <= 1, where, "data.clean_fraction", "must be in [0, 1]");
  check_range(c.procedural_fraction == 0 || c.source != "procedural", where, "data.procedural_fraction",
              "mixes procedural samples into a folder source; data.source is already procedural");
  check_range(c.contrastive_form == "triplet" || c.contrastive_form == "ratio", where, "loss.contrastive_form",
              "must be \"triplet\" or \"ratio\"");
  check_range(c.gram_input == "raw" || c.gram_input == "imagenet", where, "loss.gram_input",
              "must be \"raw\" (VGG16 fed the unnormalised [0, 1] image) or \"imagenet\"");
  check_range(c.margin_l1 >= 0 && c.margin_gram >= 0, where, "loss.margin_l1/margin_gram", "must be >= 0");
  check_range(c.lambda_c >= 0, where, "loss.lambda_c", "must be >= 0");
  check_range(c.vgg_weights.empty() || c.contrastive_gram, where, "loss.vgg_weights",
              "is only read by the Gram term: set loss.contrastive_gram too");
  check_range(c.task == "smooth" || c.task == "segment", where, "task", "must be \"smooth\" or \"segment\"");
  check_range(c.lambda_seg >= 0, where, "loss.lambda_seg", "must be >= 0");
  check_range(!c.semantic || c.task == "smooth", where, "loss.semantic",
              "is a term of the smoother's loss; task \"segment\" trains the segmenter with cross-entropy alone");
  check_range(!c.semantic || !c.seg_weights.empty(), where, "loss.seg_weights",
              "must name the frozen segmenter's weights when loss.semantic is on (a task \"segment\" run's "
              "best.safetensors)");
  check_range(c.seg_weights.empty() || c.semantic, where, "loss.seg_weights",
              "is only read by the semantic term: set loss.semantic too");
  check_range(!c.seg_label_free || c.semantic, where, "loss.seg_label_free", "needs loss.semantic");
  check_range(c.seg_output_stride == 8 || c.seg_output_stride == 16, where, "loss.seg_output_stride",
              "must be 8 or 16");
  check_range(c.seg_stride == 8 || c.seg_stride == 16, where, "segmenter.output_stride", "must be 8 or 16");
  check_range(c.seg_num_classes >= 2 && c.seg_num_classes <= 255, where, "segmenter.num_classes",
              "must be in [2, 255] (255 is the ignore label)");
  check_range(c.task != "segment" || c.batch >= 2, where, "data.batch",
              "must be >= 2 for task \"segment\" (BatchNorm of DeepLabv3+'s image-pooling branch)");
  check_range(c.task != "segment" || c.patch >= 32, where, "data.patch",
              "must be >= 32 for task \"segment\" (DeepLabv3+ at output stride 16)");
  check_range(c.lr > 0, where, "optim.lr", "must be > 0");
  check_range(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, where, "optim.beta1/beta2",
              "must be in [0, 1)");
  check_range(c.gamma > 0, where, "optim.gamma", "must be > 0");
  check_range(std::all_of(c.milestones.begin(), c.milestones.end(), [](int64_t m) { return m >= 1; }) &&
                  std::is_sorted(c.milestones.begin(), c.milestones.end()) &&
                  std::adjacent_find(c.milestones.begin(), c.milestones.end()) == c.milestones.end(),
              where, "optim.milestones", "must be steps >= 1 in increasing order");
  check_range(c.steps >= 1, where, "steps", "must be >= 1");
  check_range(c.log_interval >= 1 && c.val_interval >= 1 && c.checkpoint_interval >= 1, where,
              "log_interval/val_interval/checkpoint_interval", "must be >= 1");
  check_range(c.bn_freeze_step >= 0, where, "bn_freeze_step", "must be >= 0");
  check_range(!(c.bn_freeze_from_start && c.bn_freeze_step > 0), where, "bn_freeze_from_start",
              "excludes bn_freeze_step > 0 (BatchNorm is frozen once)");
  check_range(c.bn_recalibration_batches >= 0, where, "bn_recalibration_batches", "must be >= 0");
  check_range(c.device == "cpu" || c.device == "simt" || c.device.rfind("cuda", 0) == 0, where, "device",
              "must be cpu, cuda, cuda:N or simt");
  return c;
}

TrainConfig TrainConfig::load(const std::string& path) {
  std::ifstream in(path);
  CSGIS_CHECK(in.good(), "cannot read config '", path, "'");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::parse_error& e) {
    CSGIS_FAIL("config '", path, "' is not valid JSON: ", plain_json_error(e.what()));
  }
  return from_json(j, "config '" + path + "'");
}

nlohmann::json TrainConfig::to_json() const {
  return {{"model", {{"dim", model.dim}, {"feature_blocks", model.feature_blocks},
                     {"smooth_blocks", model.smooth_blocks}, {"enhance_blocks", model.enhance_blocks}, {"init", init_weights},
                     {"init_grow", init_grow}, {"init_grow_gamma", init_grow_gamma}}},
          {"data", {{"source", source}, {"val_source", val_source}, {"texture_dir", texture_dir},
                    {"sample_size", sample_size}, {"patch", patch}, {"batch", batch}, {"workers", workers},
                    {"augment", augment}, {"aug_hflip", aug_hflip}, {"aug_rot90", aug_rot90},
                    {"aug_max_angle", aug_max_angle}, {"aug_brightness_shift", aug_brightness_shift},
                    {"aug_brightness_range", aug_brightness_range}, {"aug_contrast", aug_contrast},
                    {"aug_contrast_range", aug_contrast_range}, {"aug_saturation", aug_saturation},
                    {"aug_hue", aug_hue}, {"procedural_fraction", procedural_fraction},
                    {"clean_fraction", clean_fraction},
                    {"texture_strength_max", texture_strength_max},
                    {"texture_scale_min", texture_scale_min}, {"texture_scale_max", texture_scale_max},
                    {"texture_orient", texture_orient}, {"val_count", val_count}, {"val_size", val_size}}},
          {"optim", {{"lr", lr}, {"beta1", beta1}, {"beta2", beta2}, {"weight_decay", weight_decay},
                     {"milestones", milestones}, {"gamma", gamma}}},
          {"loss", {{"lambda_edge", lambda_edge}, {"ssim_weight", ssim_weight}, {"dtv", dtv},
                    {"dtv_tv_weight_s0", dtv_tv_weight_s0}, {"dtv_tv_weight_s1", dtv_tv_weight_s1},
                    {"contrastive_l1", contrastive_l1}, {"margin_l1", margin_l1},
                    {"contrastive_gram", contrastive_gram}, {"margin_gram", margin_gram},
                    {"contrastive_form", contrastive_form}, {"gram_input", gram_input}, {"vgg_weights", vgg_weights}, {"vgg_seed", vgg_seed},
                    {"lambda_c", lambda_c}, {"semantic", semantic}, {"lambda_seg", lambda_seg},
                    {"seg_weights", seg_weights}, {"seg_output_stride", seg_output_stride},
                    {"seg_label_free", seg_label_free}}},
          {"segmenter", {{"num_classes", seg_num_classes}, {"output_stride", seg_stride}, {"init", seg_init}}},
          {"distributed", {{"sync_batchnorm", sync_batchnorm}, {"bucket_mb", bucket_mb}}},
          {"task", task},
          {"steps", steps}, {"device", device}, {"seed", seed}, {"log_interval", log_interval},
          {"val_interval", val_interval}, {"checkpoint_interval", checkpoint_interval}, {"threads", threads},
          {"bn_recalibration_batches", bn_recalibration_batches}, {"bn_freeze_step", bn_freeze_step},
          {"bn_freeze_from_start", bn_freeze_from_start}};
}

}  // namespace csgis::tools
