#include "tools/baseline_tuning.h"

#include <cmath>
#include <cstdio>

#include "engine/error.h"

namespace csgis::tools {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The cartesian product of two parameter lists as settings.
template <typename A, typename B, typename Set>
std::vector<TuneSetting> product(const char* name_a, const std::vector<A>& as, const char* name_b,
                                 const std::vector<B>& bs, Set set) {
  std::vector<TuneSetting> grid;
  for (const A a : as)
    for (const B b : bs)
      grid.push_back({std::string(name_a) + " " + num(double(a)) + ", " + name_b + " " + num(double(b)),
                      [=](Baselines& p) { set(p, a, b); }});
  return grid;
}

}  // namespace

std::vector<TuneSetting> tuning_grid(const std::string& method) {
  // Around the paper's settings (Table 1 calls and the parameters its figures name), a factor of
  // about 2 each way, kept small: RTV and L0 take seconds per image.
  if (method == "gf")
    return product("radius", std::vector<int>{2, 4, 8}, "eps", std::vector<double>{0.01, 0.04, 0.1},
                   [](Baselines& p, int r, double e) { p.gf.radius = r, p.gf.eps = e; });
  if (method == "rgf")
    return product("sigma_s", std::vector<double>{3, 5}, "sigma_r", std::vector<double>{0.05, 0.1, 0.2},
                   [](Baselines& p, double s, double r) { p.rgf.sigma_s = s, p.rgf.sigma_r = r; });
  if (method == "l0")
    return product("lambda", std::vector<double>{0.01, 0.02, 0.04, 0.08, 0.16}, "kappa", std::vector<double>{2},
                   [](Baselines& p, double l, double k) { p.l0.lambda = l, p.l0.kappa = k; });
  if (method == "rtv")
    return product("lambda", std::vector<double>{0.005, 0.01, 0.015, 0.02, 0.03}, "sigma", std::vector<double>{3},
                   [](Baselines& p, double l, double s) { p.rtv.lambda = l, p.rtv.sigma = s; });
  if (method == "bf")
    return product("sigma_s", std::vector<double>{2, 3, 5}, "sigma_r", std::vector<double>{0.05, 0.1, 0.2},
                   [](Baselines& p, double s, double r) { p.bf.sigma_s = s, p.bf.sigma_r = r; });
  if (method == "wls")
    return product("lambda", std::vector<double>{0.25, 0.5, 1, 2, 4}, "alpha", std::vector<double>{1.2},
                   [](Baselines& p, double l, double a) { p.wls.lambda = l, p.wls.alpha = a; });
  if (method == "sdf")
    return product("lambda", std::vector<double>{3, 10, 30, 100}, "nu", std::vector<double>{400},
                   [](Baselines& p, double l, double n) { p.sdf.lambda = l, p.sdf.nu = n; });
  if (method == "ils")
    return product("lambda", std::vector<double>{3, 10, 30, 100}, "gamma", std::vector<double>{10.0 / 255},
                   [](Baselines& p, double l, double g) { p.ils.lambda = l, p.ils.gamma = g; });
  CSGIS_FAIL("--tune: no parameter grid for '", method, "'");
}

nlohmann::json TuneResult::to_json() const {
  nlohmann::json grid = nlohmann::json::array();
  for (const auto& [desc, s] : scores)
    grid.push_back({{"setting", desc},
                    {"psnr", std::isfinite(s.first) ? nlohmann::json(s.first) : nlohmann::json(nullptr)},
                    {"ssim", s.second}});
  return {{"method", method}, {"grid", grid}, {"best", scores.empty() ? nlohmann::json(nullptr) : nlohmann::json(scores[best].first)}};
}

TuneResult tune_baseline(const std::string& method, const Baselines& base, int64_t count, const TunePairLoader& load,
                         const TuneScorer& score, Baselines& chosen, const std::function<void(int64_t)>& progress) {
  CSGIS_CHECK(count > 0, "--tune: the tuning set has no sample");
  const std::vector<TuneSetting> grid = tuning_grid(method);
  std::vector<Baselines> variants(grid.size(), base);
  for (size_t k = 0; k < grid.size(); ++k) {
    grid[k].apply(variants[k]);
    variants[k].validate();
  }
  std::vector<double> psnr(grid.size(), 0), ssim(grid.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    const auto [input, target] = load(i);
    for (size_t k = 0; k < grid.size(); ++k) {
      const auto [p, s] = score(variants[k].apply(method, input), target);
      psnr[k] += p;
      ssim[k] += s;
    }
    if (progress) progress(i + 1);
  }
  TuneResult r;
  r.method = method;
  for (size_t k = 0; k < grid.size(); ++k) {
    r.scores.push_back({grid[k].description, {psnr[k] / double(count), ssim[k] / double(count)}});
    if (psnr[k] > psnr[r.best]) r.best = k;
  }
  chosen = base;
  grid[r.best].apply(chosen);
  chosen.validate();
  return r;
}

}  // namespace csgis::tools
