// JESS, the smoothing network of CSGIS-Net (the authors' PyTorch class `HDC_edge_refine`), with the
// reference's parameter names (see jess_names.h), so a plain export of its state_dict loads with
// load_state_dict(strict = true).
//
//   CBR(i, o, d)  = Conv2d(i, o, 3x3, padding d, dilation d, bias) -> BatchNorm2d(o) -> ReLU
//   rHDC(dim)     = CBR(dim, dim, 1) -> CBR(dim, dim, 2) -> CBR(dim, dim, 3), plus the block input
//   F      = rHDC^feature_blocks(Conv(in_c -> dim)(I))            feature extractor ("descriptor")
//   E_pred = Conv(dim -> 1)(CBR(CBR(F)))                          edge interpreter ("interpreter1")
//   S0     = Conv(dim -> out_c)(CBR(rHDC^smooth_blocks(CBR(cat(F, E_pred)))))   ("interpreter2")
//   R      = Conv(dim -> out_c)(rHDC^enhance_blocks(CBR(cat(F, E_pred, S0))))   ("refine")
//   S1     = S0 + R          (the reference's `out1 + out2`, what show.py writes out)
// Paper configuration (dim 64, 12/3/6 blocks): 2,528,519 trainable parameters.
//
// The spec's summary writes the smooth interpreter's first layer as CBR(65, 64, 1); in the reference
// that is exactly Conv(65 -> 64, 3x3, pad 1) + BN + ReLU, i.e. the same thing: all the non-rHDC
// convolutions are 3x3, padding 1, dilation 1. There is no difference in structure or count.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/nn/layers.h"
#include "engine/nn/module.h"
#include "models/jess_names.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::models {

// Channel order of the images a set of weights was trained on. The reference trains on OpenCV
// images (BGR); the engine's own pipeline may use either and records it when saving.
enum class ChannelOrder { RGB, BGR };
std::string channel_order_name(ChannelOrder order);         // "rgb" / "bgr"
ChannelOrder parse_channel_order(const std::string& name);  // throws on anything else

// Residual hybrid-dilated-convolution block (reference `rHDCblock`): three CBRs with dilations
// 1, 2, 3, plus the block input. Members are named as the reference's attributes.
class RHDCBlock : public nn::Module {
 public:
  explicit RHDCBlock(int64_t dim);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "rHDCblock"; }

  std::shared_ptr<nn::Conv2d> conv_3x3_1, conv_3x3_2, conv_3x3_3;
  std::shared_ptr<nn::BatchNorm2d> bn_conv_3x3_1, bn_conv_3x3_2, bn_conv_3x3_3;
};

// Feature extractor (reference `Descriptor_rHDC`): conv_in, then the blocks of `res16` (a
// ModuleList in the reference; a Sequential here, which names its children the same way).
class JessDescriptor : public nn::Module {
 public:
  JessDescriptor(int64_t in_c, int64_t dim, int num_blocks);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Descriptor_rHDC"; }

  std::shared_ptr<nn::Conv2d> conv_in;
  std::shared_ptr<nn::Sequential> res16;
};

// Everything one forward pass yields. Tensors are NCHW float32 on the model's device.
struct JessOutput {
  Tensor E_pred;  // [N, 1, H, W] edge logits (no sigmoid)
  Tensor S0;      // [N, out_c, H, W] smooth interpreter output (reference `out1`)
  Tensor S1;      // [N, out_c, H, W] S0 + R, the final smoothed image
  Tensor R;       // [N, out_c, H, W] enhancement residual (reference `out2`)
};

class Jess : public nn::Module {
 public:
  explicit Jess(const JessConfig& config = {});

  // The whole network. (Module::forward returns one tensor, so the full result has its own name.)
  JessOutput forward_all(const Tensor& image);
  // S1 only, for code that drives any nn::Module.
  Tensor forward(const Tensor& image) override { return forward_all(image).S1; }
  std::string type_name() const override { return "Jess"; }

  const JessConfig& config() const { return config_; }
  // True after fold_batchnorm (then the model is for inference only).
  bool batchnorm_folded() const;
  // Device of the parameters (where forward_all expects its input).
  Device device() const;

  // Order of the colour channels the weights expect: RGB for a fresh model, what the file says for
  // a loaded one (BGR for a plain PyTorch export). jess_smooth converts to it.
  ChannelOrder channel_order = ChannelOrder::RGB;
  // The file's own "__metadata__" entries other than the ones save_jess writes itself (see below),
  // kept so that load -> save round-trips them.
  std::map<std::string, std::string> metadata;

  std::shared_ptr<JessDescriptor> descriptor;
  std::shared_ptr<nn::Sequential> interpreter1, interpreter2, refine;

 private:
  JessConfig config_;
};

// Inference: folds every BatchNorm2d into the convolution before it (nn::fold_into_conv) and fuses
// the ReLU after it into that convolution (conv2d_relu), so an eval-mode forward skips the BatchNorm
// and ReLU passes, and leaves the model in eval mode. Outputs agree
// with the unfolded eval-mode model to float rounding. The model can no longer train or be saved.
void fold_batchnorm(Jess& model);

// Deepening a trained model: copies `from` into `to`, whose config has the same dim and channels
// and at least as many rHDC blocks in each stage. Blocks `from` lacks (appended at the end of each
// stage) keep `to`'s own initialisation except that their last BatchNorm's scale is
// `last_bn_gamma` and its shift 0: the block adds ReLU(last_bn_gamma * ...) to its input, so with
// a small scale `to` computes nearly what `from` did (exactly, with 0; but a 0 scale before a ReLU
// passes no gradient, so training wants a small positive one). Throws csgis::Error naming the
// stage where `to` has fewer blocks, or the differing width.
void grow_jess(const Jess& from, Jess& to, double last_bn_gamma);

// Number of trainable values (PyTorch's sum(p.numel() for p in parameters())).
int64_t count_parameters(const nn::Module& module);

// ---- weight files ----
// Metadata keys save_jess writes from the model; callers may not pass them as extra metadata.
inline constexpr const char* kJessConfigKey = "jess_config";      // JessConfig::to_json()
inline constexpr const char* kChannelOrderKey = "channel_order";  // "rgb" / "bgr"
// What `csgis train` writes as OUT/checkpoint.safetensors: this "format" metadata entry, the
// model's tensors under this name prefix (beside the optimizer's "optim." ones). load_jess reads
// the model out of such a file.
inline constexpr const char* kTrainCheckpointFormat = "csgis-train-checkpoint-1";
inline constexpr const char* kCheckpointModelPrefix = "model.";

// Loads a plain PyTorch state_dict export (F32/F64/F16/BF16 weights, int64 num_batches_tracked, no
// metadata: taken as BGR) or a file from save_jess. The architecture is inferred from the names and
// shapes (infer_jess_config); a "jess_config" entry in the metadata must agree with it. Loads
// strictly: a missing, unexpected or wrongly shaped entry throws csgis::Error naming the file, the
// key and both shapes. The model comes back on the CPU in training mode (as a fresh PyTorch module).
std::unique_ptr<Jess> load_jess(const std::string& path);

// Writes the full state dict (parameters and buffers, PyTorch names) plus metadata: `extra_metadata`,
// "jess_config" and "channel_order". Atomic (see save_safetensors).
void save_jess(const std::string& path, const Jess& model,
               const std::map<std::string, std::string>& extra_metadata = {});

// ---- inference as the reference's show.py ----
// S1 (= out1 + out2) for an image batch [N, in_c, H, W] of float32 values in [0, 1], computed in
// eval mode under NoGradGuard (the model's previous mode is restored afterwards). `image_order`
// says how the input's channels are ordered; when it differs from model.channel_order the channels
// are reversed on the way in and back on the way out, so the result is in `image_order` too. The
// input is moved to the model's device; the result comes back on the input's device.
Tensor jess_smooth(Jess& model, const Tensor& image, ChannelOrder image_order = ChannelOrder::RGB);

// show.py's get_image: uint8(clip(x * 255, 0, 255)), truncating toward zero after the clip (numpy's
// astype). The product is taken in double, as numpy promotes float32 * int64 array to float64.
// NaN maps to 0. Input [N, C, H, W] (any device, float32/float64); output is interleaved per image
// ([N][H][W][C], what image writers take).
std::vector<uint8_t> jess_to_uint8(const Tensor& image);

}  // namespace csgis::models
#pragma GCC visibility pop
