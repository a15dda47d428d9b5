// `csgis eval --tune DIR`: the paper's "best result from a set of manual parameters" for each
// classical operator, chosen on a training split (never on the split being evaluated).
//
// Each operator has a small fixed grid around the paper's settings (tuning_grid; the values are in
// baseline_tuning.cpp and in every report). Every setting runs on the same tuning samples; the one
// with the highest mean PSNR wins (ties: the earlier setting), and the evaluation then uses it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/image.h"
#include "tools/baselines.h"

namespace csgis::tools {

// One setting of an operator's grid: applied to a Baselines, it changes that operator's
// parameters only.
struct TuneSetting {
  std::string description;  // "radius 4, eps 0.04"
  std::function<void(Baselines&)> apply;
};
// The grid of `method` (a Baselines name); throws for a method without one.
std::vector<TuneSetting> tuning_grid(const std::string& method);

struct TuneResult {
  std::string method;
  std::vector<std::pair<std::string, std::pair<double, double>>> scores;  // description -> (PSNR, SSIM)
  size_t best = 0;
  nlohmann::json to_json() const;
};

// Scores every setting of `method`'s grid on `count` samples given by `load(i)` (input, target),
// each sample loaded once, outputs scored by `score` (as 8-bit PNGs, like eval). On return `chosen`
// holds `base` with the best setting applied. `progress(done)` after each sample.
using TunePairLoader = std::function<std::pair<data::Image, data::Image>(int64_t)>;
using TuneScorer = std::function<std::pair<double, double>(const data::Image& output, const data::Image& target)>;
TuneResult tune_baseline(const std::string& method, const Baselines& base, int64_t count, const TunePairLoader& load,
                         const TuneScorer& score, Baselines& chosen, const std::function<void(int64_t)>& progress = {});

}  // namespace csgis::tools
