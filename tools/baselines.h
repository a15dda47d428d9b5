// The classical smoothers as the driver offers them (`smooth --method`, `eval --methods`): one set
// of flags, one validation, one dispatch and one label, shared by both commands.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "data/image.h"
#include "data/smoothers/bilateral.h"
#include "data/smoothers/guided_filter.h"
#include "data/smoothers/ils.h"
#include "data/smoothers/l0_smoothing.h"
#include "data/smoothers/rolling_guidance.h"
#include "data/smoothers/rtv.h"
#include "data/smoothers/sd_filter.h"
#include "data/smoothers/wls.h"

namespace csgis::tools {

data::smoothers::GuideMode parse_gf_guide(const std::string& s);  // "self" | "gray", else a one-line error

struct Baselines {
  static constexpr const char* kNames = "gf, rgf, l0, rtv, bf, wls, sdf, ils";
  static bool is_baseline(const std::string& name);
  // Help of the guided filter's flags, also used by `tune-gf` (where each takes a list to try).
  static constexpr const char* kGfRadiusHelp =
      "guided filter window radius (window 2r+1); MATLAB default 2 (`csgis tune-gf` finds the best)";
  static constexpr const char* kGfEpsHelp = "guided filter regularisation on [0,1] data; MATLAB default 0.01";
  static constexpr const char* kGfGuideHelp =
      "self: each channel guides itself (MATLAB's imguidedfilter); gray: luma guides all";

  data::smoothers::GuidedFilterParams gf;
  std::string gf_guide = "self";
  data::smoothers::RollingGuidanceParams rgf;  // defaults: the paper's Table 1 calls
  data::smoothers::L0Params l0;
  data::smoothers::RtvParams rtv;
  data::smoothers::BilateralParams bf;
  data::smoothers::WlsParams wls;
  data::smoothers::SdFilterParams sdf;
  data::smoothers::IlsParams ils;

  void add_options(CLI::App* cmd);  // --gf-*, --rgf-*, --l0-*, --rtv-*, --bf-*, --wls-*, --sdf-*, --ils-*
  void validate();                  // parses --gf-guide; throws naming the bad parameter
  data::Image apply(const std::string& name, const data::Image& img) const;  // name: one of kNames
  std::string label(const std::string& name) const;                         // "RGF (sigma_s 4.00, ...)"
  nlohmann::json params_json() const;                                        // {"gf": {...}, "rgf": ...}
};

}  // namespace csgis::tools
