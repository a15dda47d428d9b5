#include "tools/baselines.h"

#include <cstdio>

#include "engine/error.h"

namespace csgis::tools {

namespace sm = data::smoothers;

namespace {
std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
}  // namespace

sm::GuideMode parse_gf_guide(const std::string& s) {
  if (s == "self") return sm::GuideMode::SelfPerChannel;
  if (s == "gray") return sm::GuideMode::Gray;
  CSGIS_FAIL("--gf-guide '", s, "': expected self or gray");
}

bool Baselines::is_baseline(const std::string& name) {
  return name == "gf" || name == "rgf" || name == "l0" || name == "rtv" || name == "bf" || name == "wls" ||
         name == "sdf" || name == "ils";
}

void Baselines::add_options(CLI::App* cmd) {
  cmd->add_option("--gf-radius", gf.radius, kGfRadiusHelp)->capture_default_str();
  cmd->add_option("--gf-eps", gf.eps, kGfEpsHelp)->capture_default_str();
  cmd->add_option("--gf-guide", gf_guide, kGfGuideHelp)->capture_default_str();
  cmd->add_option("--rgf-sigma-s", rgf.sigma_s, "rolling guidance spatial sigma (pixels); paper: 4")->capture_default_str();
  cmd->add_option("--rgf-sigma-r", rgf.sigma_r, "rolling guidance range sigma on [0,1] data; paper: 0.1")->capture_default_str();
  cmd->add_option("--rgf-iterations", rgf.iterations, "rolling guidance iterations; paper: 4")->capture_default_str();
  cmd->add_option("--l0-lambda", l0.lambda, "L0 smoothing weight of the gradient count; paper: 0.01")->capture_default_str();
  cmd->add_option("--l0-kappa", l0.kappa, "L0 smoothing beta growth factor; paper: 2")->capture_default_str();
  cmd->add_option("--rtv-lambda", rtv.lambda, "RTV smoothness weight; paper: 0.015")->capture_default_str();
  cmd->add_option("--rtv-sigma", rtv.sigma, "RTV texture scale in pixels; paper: 3")->capture_default_str();
  cmd->add_option("--bf-sigma-s", bf.sigma_s, "bilateral spatial sigma (pixels); the VOC builder's: 3")->capture_default_str();
  cmd->add_option("--bf-sigma-r", bf.sigma_r, "bilateral range sigma on [0,1] data (L1 colour distance); builder: 0.1")
      ->capture_default_str();
  cmd->add_option("--bf-radius", bf.radius, "bilateral window radius; 0: OpenCV's round(1.5 sigma_s) (builder: 5)")
      ->capture_default_str();
  cmd->add_option("--wls-lambda", wls.lambda, "WLS smoothness weight; Farbman's default 1")->capture_default_str();
  cmd->add_option("--wls-alpha", wls.alpha, "WLS gradient exponent of the weights; Farbman's default 1.2")->capture_default_str();
  cmd->add_option("--sdf-lambda", sdf.lambda, "SD filter regularisation weight; authors' demo: 30 (3e1)")->capture_default_str();
  cmd->add_option("--sdf-mu", sdf.mu, "SD filter static guidance bandwidth; authors: 50")->capture_default_str();
  cmd->add_option("--sdf-nu", sdf.nu, "SD filter dynamic guidance bandwidth; authors: 400")->capture_default_str();
  cmd->add_option("--sdf-steps", sdf.steps, "SD filter majorize-minimize steps; authors: 10")->capture_default_str();
  cmd->add_option("--ils-lambda", ils.lambda, "ILS smoothing strength (Welsch penalty); 30")->capture_default_str();
  cmd->add_option("--ils-gamma", ils.gamma, "ILS Welsch scale on [0,1] data; 10/255")->capture_default_str();
  cmd->add_option("--ils-iterations", ils.iterations, "ILS iterations; 10")->capture_default_str();
}

void Baselines::validate() {
  gf.guide = parse_gf_guide(gf_guide);
  gf.validate();
  rgf.validate();
  l0.validate();
  rtv.validate();
  bf.validate();
  wls.validate();
  sdf.validate();
  ils.validate();
}

data::Image Baselines::apply(const std::string& name, const data::Image& img) const {
  if (name == "gf") return sm::guided_filter(img, gf);
  if (name == "rgf") return sm::rolling_guidance_filter(img, rgf);
  if (name == "l0") return sm::l0_smoothing(img, l0);
  if (name == "rtv") return sm::rtv_smoothing(img, rtv);
  if (name == "bf") return sm::bilateral(img, bf);
  if (name == "wls") return sm::wls_filter(img, wls);
  if (name == "sdf") return sm::sd_filter(img, sdf);
  if (name == "ils") return sm::ils_smoothing(img, ils);
  CSGIS_FAIL("unknown classical smoother '", name, "' (known: ", kNames, ")");
}

std::string Baselines::label(const std::string& name) const {
  if (name == "gf")
    return "GF (r " + std::to_string(gf.radius) + ", eps " + fixed(gf.eps, 4) + ", " + sm::guide_mode_name(gf.guide) +
           "-guided)";
  if (name == "rgf")
    return "RGF (sigma_s " + fixed(rgf.sigma_s, 2) + ", sigma_r " + fixed(rgf.sigma_r, 3) + ", " +
           std::to_string(rgf.iterations) + " iterations)";
  if (name == "l0") return "L0 (lambda " + fixed(l0.lambda, 4) + ", kappa " + fixed(l0.kappa, 2) + ")";
  if (name == "rtv") return "RTV (lambda " + fixed(rtv.lambda, 4) + ", sigma " + fixed(rtv.sigma, 2) + ")";
  if (name == "bf")
    return "BF (sigma_s " + fixed(bf.sigma_s, 2) + ", sigma_r " + fixed(bf.sigma_r, 3) + ", r " +
           std::to_string(bf.window_radius()) + ")";
  if (name == "wls") return "WLS (lambda " + fixed(wls.lambda, 3) + ", alpha " + fixed(wls.alpha, 2) + ")";
  if (name == "sdf")
    return "SDF (lambda " + fixed(sdf.lambda, 2) + ", mu " + fixed(sdf.mu, 1) + ", nu " + fixed(sdf.nu, 1) + ", " +
           std::to_string(sdf.steps) + " steps)";
  if (name == "ils")
    return "ILS (lambda " + fixed(ils.lambda, 2) + ", gamma " + fixed(ils.gamma, 4) + ", " +
           std::to_string(ils.iterations) + " iterations)";
  CSGIS_FAIL("unknown classical smoother '", name, "' (known: ", kNames, ")");
}

nlohmann::json Baselines::params_json() const {
  return {{"gf", {{"radius", gf.radius}, {"eps", gf.eps}, {"guide", sm::guide_mode_name(gf.guide)}}},
          {"rgf", {{"sigma_s", rgf.sigma_s}, {"sigma_r", rgf.sigma_r}, {"iterations", rgf.iterations}}},
          {"l0", {{"lambda", l0.lambda}, {"kappa", l0.kappa}, {"beta_max", l0.beta_max}}},
          {"rtv", {{"lambda", rtv.lambda}, {"sigma", rtv.sigma}, {"sharpness", rtv.sharpness}, {"iterations", rtv.iterations}}},
          {"bf", {{"sigma_s", bf.sigma_s}, {"sigma_r", bf.sigma_r}, {"radius", bf.window_radius()},
                  {"border", bf.border == sm::BilateralBorder::Reflect101 ? "reflect101" : "clip"}}},
          {"wls", {{"lambda", wls.lambda}, {"alpha", wls.alpha}}},
          {"sdf", {{"lambda", sdf.lambda}, {"mu", sdf.mu}, {"nu", sdf.nu}, {"steps", sdf.steps}}},
          {"ils", {{"lambda", ils.lambda}, {"gamma", ils.gamma}, {"iterations", ils.iterations}, {"accumulate", ils.accumulate}}}};
}

}  // namespace csgis::tools
