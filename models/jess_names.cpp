#include "models/jess_names.h"

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace csgis::models {

// ---------------------------------------------------------------- JessConfig

bool JessConfig::operator==(const JessConfig& o) const {
  return in_c == o.in_c && out_c == o.out_c && dim == o.dim && feature_blocks == o.feature_blocks &&
         smooth_blocks == o.smooth_blocks && enhance_blocks == o.enhance_blocks;
}

void JessConfig::validate() const {
  CSGIS_CHECK(in_c >= 1 && out_c >= 1 && dim >= 1, "JessConfig: channel counts must be >= 1, got ", str());
  CSGIS_CHECK(feature_blocks >= 0 && smooth_blocks >= 0 && enhance_blocks >= 0,
              "JessConfig: block counts must be >= 0, got ", str());
}

std::string JessConfig::to_json() const {
  // ordered_json keeps the field order stable, so equal configs give byte-equal metadata.
  nlohmann::ordered_json j;
  j["in_c"] = in_c;
  j["out_c"] = out_c;
  j["dim"] = dim;
  j["feature_blocks"] = feature_blocks;
  j["smooth_blocks"] = smooth_blocks;
  j["enhance_blocks"] = enhance_blocks;
  return j.dump();
}

JessConfig JessConfig::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    CSGIS_FAIL("JessConfig: metadata is not valid JSON (", plain_json_error(e.what()), "): ", text);
  }
  CSGIS_CHECK(j.is_object(), "JessConfig: expected a JSON object, got ", text);
  auto field = [&](const char* name) {
    auto it = j.find(name);
    CSGIS_CHECK(it != j.end(), "JessConfig: field \"", name, "\" is missing in ", text);
    CSGIS_CHECK(it->is_number_integer(), "JessConfig: field \"", name, "\" must be an integer in ", text);
    return it->get<int>();
  };
  JessConfig c;
  c.in_c = field("in_c");
  c.out_c = field("out_c");
  c.dim = field("dim");
  c.feature_blocks = field("feature_blocks");
  c.smooth_blocks = field("smooth_blocks");
  c.enhance_blocks = field("enhance_blocks");
  c.validate();
  return c;
}

std::string JessConfig::str() const {
  return detail::concat("JessConfig{in_c=", in_c, ", out_c=", out_c, ", dim=", dim,
                        ", feature_blocks=", feature_blocks, ", smooth_blocks=", smooth_blocks,
                        ", enhance_blocks=", enhance_blocks, "}");
}

// ---------------------------------------------------------------- inference from a state dict

namespace {

const Tensor& need(const SafetensorsFile& f, const std::string& key) {
  const Tensor* t = f.find(key);
  CSGIS_CHECK(t != nullptr, "infer_jess_config: missing key '", key,
              "' (not a JESS / HDC_edge_refine state dict?)");
  return *t;
}

// A 3x3 convolution weight [out, in, 3, 3]; a negative `out`/`in` accepts any size there.
const Tensor& need_conv(const SafetensorsFile& f, const std::string& key, int64_t out, int64_t in,
                        const char* why) {
  const Tensor& t = need(f, key);
  const Shape& s = t.shape();
  const bool ok = s.size() == 4 && (out < 0 || s[0] == out) && (in < 0 || s[1] == in) && s[2] == 3 && s[3] == 3;
  if (!ok) {
    auto dim = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
    CSGIS_FAIL("infer_jess_config: '", key, "' has shape ", shape_str(s), ", expected [", dim(out), ", ",
               dim(in), ", 3, 3] (", why, ")");
  }
  return t;
}

// Number of consecutive rHDC blocks "<prefix>N.conv_3x3_1.weight" for N = first, first + 1, ...
int count_blocks(const SafetensorsFile& f, const std::string& prefix, int first) {
  int n = 0;
  while (f.find(prefix + std::to_string(first + n) + ".conv_3x3_1.weight")) ++n;
  return n;
}

}  // namespace

JessConfig infer_jess_config(const SafetensorsFile& f) {
  namespace ix = jess_index;
  JessConfig c;
  const Tensor& conv_in = need_conv(f, "descriptor.conv_in.weight", -1, -1, "the input convolution");
  c.dim = int(conv_in.size(0));
  c.in_c = int(conv_in.size(1));
  CSGIS_CHECK(c.dim >= 1 && c.in_c >= 1, "infer_jess_config: 'descriptor.conv_in.weight' has shape ",
              shape_str(conv_in.shape()), " (empty channel dimension)");

  c.feature_blocks = count_blocks(f, "descriptor.res16.", 0);
  c.smooth_blocks = count_blocks(f, "interpreter2.", ix::kFirstBlock);
  c.enhance_blocks = count_blocks(f, "refine.", ix::kFirstBlock);

  // out_c comes from the smooth interpreter's output conv; everything else must agree with it.
  const std::string s_out = "interpreter2." + std::to_string(ix::smooth_out_conv(c.smooth_blocks)) + ".weight";
  c.out_c = int(need_conv(f, s_out, -1, c.dim, "smooth interpreter output: out_c x dim").size(0));
  CSGIS_CHECK(c.out_c >= 1, "infer_jess_config: '", s_out, "' has no output channels");

  need_conv(f, "interpreter1.0.weight", c.dim, c.dim, "edge interpreter: dim x dim");
  need_conv(f, "interpreter1." + std::to_string(ix::kEdgeOutConv) + ".weight", 1, c.dim,
            "edge logits: 1 x dim");
  need_conv(f, "interpreter2.0.weight", c.dim, c.dim + 1, "smooth interpreter input: dim x (dim + 1 edge)");
  need_conv(f, "interpreter2." + std::to_string(ix::smooth_tail_conv(c.smooth_blocks)) + ".weight", c.dim,
            c.dim, "smooth interpreter tail: dim x dim");
  need_conv(f, "refine.0.weight", c.dim, c.dim + 1 + c.out_c,
            "enhancement input: dim x (dim + 1 edge + out_c)");
  need_conv(f, "refine." + std::to_string(ix::enhance_out_conv(c.enhance_blocks)) + ".weight", c.out_c, c.dim,
            "enhancement output: out_c x dim");
  if (c.feature_blocks > 0)
    need_conv(f, "descriptor.res16.0.conv_3x3_1.weight", c.dim, c.dim, "rHDC block: dim x dim");
  // Remaining shapes (biases, BatchNorm entries, the other blocks) are checked by load_state_dict,
  // whose messages name the key and both shapes as well.
  return c;
}

}  // namespace csgis::models
