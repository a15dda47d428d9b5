// JESS (the CSGIS-Net smoothing network): its configuration, the parameter-name scheme of the
// authors' PyTorch class `HDC_edge_refine`, and reading the configuration back from a weight file.
//
// Name scheme (Sequential indices; ReLU and the rHDC blocks take an index too, as in PyTorch):
//   descriptor.conv_in.{weight,bias}                         Conv(in_c -> dim)
//   descriptor.res16.N.conv_3x3_K.{weight,bias}              rHDC block N, conv K = 1..3 (dilation K)
//   descriptor.res16.N.bn_conv_3x3_K.{weight,bias,running_mean,running_var,num_batches_tracked}
//   interpreter1.{0,3}  Conv(dim -> dim) / .{1,4} BN / .{2,5} ReLU / .6 Conv(dim -> 1)    (edge)
//   interpreter2.0 Conv(dim+1 -> dim), .1 BN, .2 ReLU, .3 .. .(2+s) rHDC,                 (smooth)
//                .(3+s) Conv(dim -> dim), .(4+s) BN, .(5+s) ReLU, .(6+s) Conv(dim -> out_c)
//   refine.0 Conv(dim+1+out_c -> dim), .1 BN, .2 ReLU, .3 .. .(2+e) rHDC,              (enhance)
//                .(3+e) Conv(dim -> out_c)
// with s = smooth_blocks, e = enhance_blocks (paper: 3 and 6, so interpreter2.9 and refine.9 are the
// output convolutions).
#pragma once
#include <string>

#include "engine/io/safetensors.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::models {

struct JessConfig {
  int in_c = 3, out_c = 3, dim = 64;
  int feature_blocks = 12;  // rHDC blocks of the feature extractor ("descriptor.res16")
  int smooth_blocks = 3;    // rHDC blocks of the smooth interpreter ("interpreter2")
  int enhance_blocks = 6;   // rHDC blocks of the enhancement module ("refine")

  bool operator==(const JessConfig& o) const;
  bool operator!=(const JessConfig& o) const { return !(*this == o); }
  // Throws csgis::Error naming the bad field (channels >= 1, block counts >= 0).
  void validate() const;
  // {"in_c":3,"out_c":3,"dim":64,"feature_blocks":12,"smooth_blocks":3,"enhance_blocks":6}
  std::string to_json() const;
  // Every field is required: a file written by another version should fail loudly, not half-load.
  static JessConfig from_json(const std::string& json);
  std::string str() const;  // for messages
};

// Sequential indices of the layers whose position depends on the block counts.
namespace jess_index {
constexpr int kFirstBlock = 3;  // interpreter2 / refine: Conv, BN, ReLU, then the rHDC blocks
constexpr int kEdgeOutConv = 6;  // interpreter1.6
inline int smooth_tail_conv(int smooth_blocks) { return kFirstBlock + smooth_blocks; }
inline int smooth_out_conv(int smooth_blocks) { return kFirstBlock + smooth_blocks + 3; }
inline int enhance_out_conv(int enhance_blocks) { return kFirstBlock + enhance_blocks; }
}  // namespace jess_index

// The architecture a JESS state dict describes, read from its names and shapes alone (metadata is
// not consulted): dim and in_c from descriptor.conv_in.weight, block counts by counting
// "*.conv_3x3_1.weight" entries, out_c from the smooth interpreter's output conv; the other
// shapes it relies on are checked. Throws csgis::Error naming the missing key, or the key with its
// actual and expected shapes.
JessConfig infer_jess_config(const SafetensorsFile& file);

}  // namespace csgis::models
#pragma GCC visibility pop
