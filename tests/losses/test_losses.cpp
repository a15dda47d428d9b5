// The CSGIS-Net losses: SSIM against an independent direct-window implementation and against
// scikit-image, exact values of every loss on small hand-checkable inputs, float64
// finite-difference gradients of the composite losses, and CPU-vs-SIMT parity.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "engine/autograd.h"
#include "engine/generator.h"
#include "engine/ops.h"
#include "losses/losses.h"

using namespace csgis;
namespace L = csgis::losses;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor randu(const Shape& s, uint64_t seed, double lo = 0.0, double hi = 1.0) {
  Generator g(seed);
  return Tensor::rand(s, lo, hi, &g, DType::F64);
}

Tensor binary(const Shape& s, uint64_t seed, double p_one) {
  std::vector<double> v = randu(s, seed).to_vector<double>();
  for (auto& x : v) x = x < p_one ? 1.0 : 0.0;
  return Tensor::from_vector(v, s);
}

// SSIM map computed the slow, obvious way: direct 11x11 loops with the 2-D Gaussian built from
// exp(-(a^2 + b^2) / (2 sigma^2)) normalised over the window, zero outside the image.
std::vector<double> direct_ssim_map(const Tensor& xt, const Tensor& yt, bool metric) {
  const int64_t P = xt.size(0) * xt.size(1), H = xt.size(2), W = xt.size(3);
  const std::vector<double> x = xt.to_vector<double>(), y = yt.to_vector<double>();
  double w2[11][11], z = 0;
  for (int a = 0; a < 11; ++a)
    for (int b = 0; b < 11; ++b) z += w2[a][b] = std::exp(-((a - 5) * (a - 5) + (b - 5) * (b - 5)) / 4.5);
  const int64_t r = metric ? 5 : 0;
  std::vector<double> out;
  for (int64_t p = 0; p < P; ++p)
    for (int64_t i = r; i < H - r; ++i)
      for (int64_t j = r; j < W - r; ++j) {
        double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (int a = 0; a < 11; ++a)
          for (int b = 0; b < 11; ++b) {
            const int64_t ii = i + a - 5, jj = j + b - 5;
            if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
            const double w = w2[a][b] / z, u = x[p * H * W + ii * W + jj], v = y[p * H * W + ii * W + jj];
            mx += w * u, my += w * v, xx += w * u * u, yy += w * v * v, xy += w * u * v;
          }
        const double c1 = 1e-4, c2 = 9e-4;
        out.push_back((2 * mx * my + c1) * (2 * (xy - mx * my) + c2) /
                      ((mx * mx + my * my + c1) * (xx - mx * mx + yy - my * my + c2)));
      }
  return out;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

std::vector<double> vals(const Tensor& t) { return t.to(Device::cpu()).to(DType::F64).to_vector<double>(); }

// Central differences in float64 against autograd for the float inputs marked in `diff`.
void gradcheck(const Fn& f, std::vector<Tensor> xs, const std::vector<bool>& diff, double tol = 1e-6) {
  for (size_t i = 0; i < xs.size(); ++i)
    if (diff[i]) xs[i] = xs[i].detach().set_requires_grad(true);
  f(xs).backward();
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!diff[i]) continue;
    REQUIRE(xs[i].grad().defined());
    const std::vector<double> analytic = xs[i].grad().to_vector<double>();
    double* p = xs[i].data<double>();
    const int64_t n = xs[i].numel(), step = std::max<int64_t>(1, n / 40);
    for (int64_t j = 0; j < n; j += step) {
      const double saved = p[j], eps = 1e-6;
      autograd::NoGradGuard g;
      p[j] = saved + eps;
      const double up = f(xs).item();
      p[j] = saved - eps;
      const double down = f(xs).item();
      p[j] = saved;
      const double numeric = (up - down) / (2 * eps);
      INFO("input " << i << " element " << j << " analytic " << analytic[j] << " numeric " << numeric);
      CHECK(std::fabs(analytic[j] - numeric) <= tol * std::max(1.0, std::fabs(numeric)));
    }
  }
}

// Loss value and gradients in float32 on the CPU and on the SIMT device agree.
void simt_parity(const Fn& f, const std::vector<Tensor>& xs64, const std::vector<bool>& diff, double tol = 1e-5) {
  auto run = [&](Device d, std::vector<std::vector<double>>& grads) {
    std::vector<Tensor> xs;
    for (size_t i = 0; i < xs64.size(); ++i) {
      Tensor t = xs64[i].dtype() == DType::F64 ? xs64[i].to(DType::F32) : xs64[i];
      t = t.to(d).detach();
      if (diff[i]) t.set_requires_grad(true);
      xs.push_back(t);
    }
    Tensor loss = f(xs);
    loss.backward();
    for (size_t i = 0; i < xs.size(); ++i) grads.push_back(diff[i] ? vals(xs[i].grad()) : std::vector<double>{});
    return loss.item();
  };
  std::vector<std::vector<double>> gc, gs;
  const double vc = run(Device::cpu(), gc), vs = run(Device::simt(), gs);
  CHECK(std::fabs(vc - vs) <= tol * std::max(1.0, std::fabs(vc)));
  for (size_t i = 0; i < gc.size(); ++i) {
    INFO("gradient of input " << i);
    if (diff[i]) CHECK(max_diff(gc[i], gs[i]) <= tol);
  }
}

// The closed-form images of tests/losses/make_ssim_reference.py.
void reference_images(Tensor& x, Tensor& y) {
  const int N = 2, C = 3, H = 16, W = 20;
  std::vector<double> xv, yv;
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < H; ++i)
        for (int j = 0; j < W; ++j) {
          const double a = 0.5 + 0.35 * std::sin(0.9 * i + 0.4 * (c + 1) * j + c + n) + 0.1 * std::cos(2.3 * j - 1.1 * i);
          const double xc = std::min(1.0, std::max(0.0, a));
          const double b = 0.8 * xc + 0.1 + 0.08 * std::sin(1.7 * i * j / 7 + c - n);
          xv.push_back(xc);
          yv.push_back(std::min(1.0, std::max(0.0, b)));
        }
  x = Tensor::from_vector(xv, {N, C, H, W});
  y = Tensor::from_vector(yv, {N, C, H, W});
}
}  // namespace

TEST_CASE("ssim: fused op matches a direct-window double implementation", "[unit]") {
  const Tensor x = randu({2, 3, 14, 17}, 1), y = randu({2, 3, 14, 17}, 2);
  for (bool metric : {false, true}) {
    INFO((metric ? "metric" : "loss"));
    const SsimMode mode = metric ? SsimMode::Metric : SsimMode::Loss;
    const std::vector<double> want = direct_ssim_map(x, y, metric);
    CHECK(max_diff(vals(ssim_map(x, y, mode)), want) <= 1e-12);
    CHECK(max_diff(vals(ssim_map(x.to(DType::F32), y.to(DType::F32), mode)), want) <= 1e-5);
    double m = 0;
    for (double v : want) m += v / double(want.size());
    CHECK(std::fabs(ssim(x, y, mode).item() - m) <= 1e-12);
  }
  CHECK(ssim_map(x, y, SsimMode::Metric).shape() == Shape{2, 3, 4, 7});
}

TEST_CASE("ssim: identical images give 1, and values match scikit-image", "[unit]") {
  const Tensor x = randu({1, 3, 12, 15}, 3);
  CHECK(std::fabs(ssim(x, x, SsimMode::Metric).item() - 1.0) <= 1e-12);
  CHECK(std::fabs(ssim(x, x, SsimMode::Loss).item() - 1.0) <= 1e-12);
  Tensor a, b;
  reference_images(a, b);
  // From tests/losses/make_ssim_reference.py (scikit-image 0.19.3, scipy 1.10.1, numpy 1.24.2):
  // metric = structural_similarity(channel_axis=0, gaussian_weights=True, sigma=1.5,
  // use_sample_covariance=False, data_range=1); loss = zero-padded map mean via scipy.ndimage.
  const std::vector<double> metric{0.944622903907, 0.946708188128}, loss{0.958042727451, 0.959990080775};
  CHECK(max_diff(vals(ssim_per_image(a, b, SsimMode::Metric)), metric) <= 1e-10);
  CHECK(max_diff(vals(ssim_per_image(a, b, SsimMode::Loss)), loss) <= 1e-10);
  CHECK(max_diff(vals(ssim_per_image(a.to(DType::F32), b.to(DType::F32), SsimMode::Metric)), metric) <= 1e-5);
  CHECK_THROWS_WITH(ssim(randu({1, 1, 10, 12}, 4), randu({1, 1, 10, 12}, 5), SsimMode::Metric),
                    Catch::Contains("at least 11x11"));
}

TEST_CASE("losses: exact values on small inputs", "[unit]") {
  // gd_loss against its definition, written out with explicit wrap-around.
  const Tensor x = randu({2, 3, 4, 5}, 6), m = binary({2, 1, 4, 5}, 7, 0.7);
  const std::vector<double> xv = x.to_vector<double>(), mv = m.to_vector<double>();
  double h = 0, w = 0;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 5; ++j) {
          auto at = [&](int ii, int jj) { return xv[((n * 3 + c) * 4 + ii % 4) * 5 + jj % 5]; };
          const double mk = mv[(n * 4 + i) * 5 + j];
          h += mk * std::pow(at(i + 1, j) - at(i, j), 2);
          w += mk * std::pow(at(i, j + 1) - at(i, j), 2);
        }
  CHECK(L::gd_loss(x, m).item() == Approx((h / (3 * 3 * 5) + w / (3 * 4 * 4)) / 2).epsilon(1e-12));

  // edge_bce: weights 1 - p on edges, p elsewhere, p = fraction of edge pixels; at logit 0 the
  // gradient is w (1/2 - e).
  const Tensor logits = Tensor::from_vector(std::vector<double>{-2.0, 0.0, 1.5, 30.0}, {1, 1, 2, 2});
  const Tensor e = Tensor::from_vector(std::vector<double>{1, 0, 0, 1}, {1, 1, 2, 2});
  auto bce = [](double l, double t) { return std::log1p(std::exp(l)) - l * t; };
  const double want = 0.5 * (bce(-2, 1) + bce(0, 0) + bce(1.5, 0) + 30.0 - 30.0 + std::log1p(std::exp(-30.0)));
  CHECK(L::edge_bce(logits, e).item() == Approx(want).epsilon(1e-12));
  Tensor lg = logits.detach().set_requires_grad(true);
  L::edge_bce(lg, e).backward();
  CHECK(lg.grad().to_vector<double>()[1] == Approx(0.5 * 0.5).epsilon(1e-12));

  // gram, l1, edge_l1, contrastive and seg_ce against direct formulas.
  const Tensor f = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 0, -1, 2, 1}, {1, 2, 2, 2});
  CHECK(vals(gram(f)) == std::vector<double>{30.0 / 8, 1.0, 1.0, 6.0 / 8});
  const Tensor s = Tensor::from_vector(std::vector<double>{0.1, 0.5, 0.9, 0.2, 0.4, 0.6, 0.3, 0.3}, {1, 2, 2, 2});
  const Tensor g = Tensor::from_vector(std::vector<double>{0.2, 0.5, 0.5, 0.0, 0.4, 0.2, 0.3, 0.1}, {1, 2, 2, 2});
  CHECK(L::l1(s, g).item() == Approx((0.1 + 0 + 0.4 + 0.2 + 0 + 0.4 + 0 + 0.2) / 8).epsilon(1e-12));
  CHECK(L::edge_l1(s, g, e).item() == Approx((0.1 + 0.2 + 0 + 0.2) / 4).epsilon(1e-12));
  CHECK(L::edge_l1(s, g, Tensor::zeros({1, 1, 2, 2}, DType::F64)).item() == 0.0);
  // gray(s) = (0.25, 0.55, 0.6, 0.25), gray(g) = (0.3, 0.35, 0.4, 0.05), gray(0) = 0.
  const Tensor zero = Tensor::zeros({1, 2, 2, 2}, DType::F64);
  CHECK(L::contrastive_l1_triplet(s, g, zero, 0.3).item() == Approx(0.1625 - 0.4125 + 0.3).epsilon(1e-12));
  CHECK(L::contrastive_l1_triplet(s, g, zero, 0.1).item() == 0.0);
  CHECK(L::gram_triplet({f}, {zero}, {f}, 0.5).item() == Approx(0.5 + (900.0 + 64 + 64 + 36) / 64).epsilon(1e-12));
  // Ratio forms: d(s, g) / (d(s, 0) + 1e-7) with the means above; Gram: d(f, 0) / (d(f, f) + 1e-7).
  CHECK(L::contrastive_l1_ratio(s, g, zero).item() == Approx(0.1625 / (0.4125 + 1e-7)).epsilon(1e-12));
  CHECK(L::gram_ratio({f}, {zero}, {f}).item() == Approx((900.0 + 64 + 64 + 36) / 64 / 1e-7).epsilon(1e-9));
  const Tensor logit3 = randu({1, 3, 1, 2}, 8, -2, 2);
  const std::vector<double> lv = logit3.to_vector<double>();
  auto lsm = [&](int k, int p) {
    return lv[k * 2 + p] - std::log(std::exp(lv[p]) + std::exp(lv[2 + p]) + std::exp(lv[4 + p]));
  };
  const Tensor lab = Tensor::from_vector(std::vector<double>{2, 255}, {1, 1, 2}).to(DType::I64);
  CHECK(L::seg_ce(logit3, lab).item() == Approx(-lsm(2, 0)).epsilon(1e-12));
  const Tensor labf = Tensor::from_vector(std::vector<double>{2, 0}, {1, 1, 1, 2});
  CHECK(L::seg_ce(logit3, labf).item() == Approx(-(lsm(2, 0) + lsm(0, 1)) / 2).epsilon(1e-12));
  CHECK(L::seg_ce(logit3, Tensor::full({1, 1, 2}, 255, DType::F64)).item() == 0.0);
  CHECK_THROWS_WITH(L::seg_ce(logit3, Tensor::full({1, 1, 2}, 3, DType::F64)), Catch::Contains("outside [0, 3)"));
}

TEST_CASE("losses: multiscale SSIM and the total of eq. 11", "[unit]") {
  const Tensor s = randu({1, 3, 16, 16}, 9);
  CHECK(L::multiscale_ssim_term(s, s).item() == Approx(4.0).epsilon(1e-12));
  const Tensor gt = randu({1, 3, 16, 16}, 10);
  double ms = 0;
  Tensor a = s, b = gt;
  for (int k = 0; k < 4; ++k, a = max_pool2d(a, 2, 2), b = max_pool2d(b, 2, 2)) ms += ssim(a, b, SsimMode::Loss).item();
  CHECK(L::multiscale_ssim_term(s, gt).item() == Approx(ms).epsilon(1e-12));
  CHECK(L::recon_loss(s, gt).item() == Approx(L::l1(s, gt).item() + 0.1 * (4 - ms)).epsilon(1e-12));

  L::LossInputs in;
  in.edge_logits = randu({1, 1, 16, 16}, 11, -3, 3);
  in.s0 = s, in.s1 = randu({1, 3, 16, 16}, 12), in.s_gt = gt, in.edge_gt = binary({1, 1, 16, 16}, 13, 0.2);
  in.negative = randu({1, 3, 16, 16}, 14);
  L::TotalLossConfig cfg;
  L::LossTerms t = L::total_loss(cfg, in);
  REQUIRE((t.edge.defined() && t.dtv_s1.defined() && t.contrast_l1.defined()));
  CHECK_FALSE((t.seg.defined() || t.contrast_gram.defined()));  // not given: skipped
  const double base = 0.001 * t.edge.item() + t.recon_s0.item() + t.recon_s1.item() + t.contrast_l1.item();
  CHECK(t.total.item() == Approx(base + t.dtv_s0.item() + t.dtv_s1.item()).epsilon(1e-12));
  cfg.use_dtv = false;  // the reference's total: DTV logged, not added, and outside the graph
  in.s1 = in.s1.detach().set_requires_grad(true);
  t = L::total_loss(cfg, in);
  CHECK(t.total.item() == Approx(base).epsilon(1e-12));
  CHECK((t.dtv_s1.defined() && !t.dtv_s1.requires_grad()));
  CHECK(t.values().size() == 7);
}

TEST_CASE("losses: float64 finite-difference gradients", "[gradcheck]") {
  const Shape img{2, 3, 8, 9}, edge{2, 1, 8, 9};
  const Tensor s = randu(img, 20), gt = randu(img, 21), neg = randu(img, 22), e = binary(edge, 23, 0.3);
  SECTION("edge_bce") {
    gradcheck([](auto& x) { return L::edge_bce(x[0], x[1]); }, {randu(edge, 24, -4, 4), e}, {true, false});
  }
  SECTION("recon_loss (L1 + 4-scale SSIM)") {
    gradcheck([](auto& x) { return L::recon_loss(x[0], x[1]); }, {s, gt}, {true, true});
  }
  SECTION("dtv_loss") {
    gradcheck([](auto& x) { return L::dtv_loss(x[0], x[1], x[2], 10.0); }, {s, gt, e}, {true, true, false});
  }
  SECTION("contrastive triplets") {
    gradcheck([](auto& x) { return L::contrastive_l1_triplet(x[0], x[1], x[2], 0.3); }, {s, gt, neg},
              {true, true, true});
    const Tensor f1 = randu({2, 4, 5, 6}, 25, -1, 1), f2 = randu({2, 4, 5, 6}, 26, -1, 1);
    const Tensor f3 = randu({2, 4, 5, 6}, 27, -1, 1), h1 = randu({2, 6, 3, 3}, 28), h2 = randu({2, 6, 3, 3}, 29),
                 h3 = randu({2, 6, 3, 3}, 30);
    gradcheck([](auto& x) { return L::gram_triplet({x[0], x[1]}, {x[2], x[3]}, {x[4], x[5]}, 10.0); },
              {f1, h1, f2, h2, f3, h3}, {true, true, true, true, true, true});
  }
  SECTION("contrastive ratios") {
    gradcheck([](auto& x) { return L::contrastive_l1_ratio(x[0], x[1], x[2]); }, {s, gt, neg}, {true, true, true});
    const Tensor f1 = randu({2, 4, 5, 6}, 25, -1, 1), f2 = randu({2, 4, 5, 6}, 26, -1, 1);
    const Tensor f3 = randu({2, 4, 5, 6}, 27, -1, 1), h1 = randu({2, 6, 3, 3}, 28), h2 = randu({2, 6, 3, 3}, 29),
                 h3 = randu({2, 6, 3, 3}, 30);
    gradcheck([](auto& x) { return L::gram_ratio({x[0], x[1]}, {x[2], x[3]}, {x[4], x[5]}); },
              {f1, h1, f2, h2, f3, h3}, {true, true, true, true, true, true});
  }
  SECTION("seg_ce") {
    const Tensor labels = Tensor::from_vector(std::vector<double>{0, 3, 255, 1, 2, 2}, {2, 1, 3}).to(DType::I64);
    gradcheck([](auto& x) { return L::seg_ce(x[0], x[1]); }, {randu({2, 4, 1, 3}, 31, -2, 2), labels},
              {true, false});
  }
  SECTION("total_loss") {
    const Tensor labels = Tensor::from_vector(std::vector<double>{0, 1, 255, 1}, {1, 2, 2});
    Fn f = [](auto& x) {
      L::LossInputs in;
      in.edge_logits = x[0], in.s0 = x[1], in.s1 = x[2], in.s_gt = x[3], in.edge_gt = x[4], in.negative = x[5];
      in.feats_anchor = {x[6]}, in.feats_pos = {x[7]}, in.feats_neg = {x[8]};
      in.seg_logits = x[9], in.seg_labels = x[10];
      L::TotalLossConfig cfg;
      cfg.margin_gram = 1.0;
      return L::total_loss(cfg, in).total;
    };
    const Shape one{1, 3, 8, 8};
    gradcheck(f,
              {randu({1, 1, 8, 8}, 32, -2, 2), randu(one, 33), randu(one, 34), randu(one, 35),
               binary({1, 1, 8, 8}, 36, 0.25), randu(one, 37), randu({1, 2, 3, 3}, 38), randu({1, 2, 3, 3}, 39),
               randu({1, 2, 3, 3}, 40), randu({1, 3, 2, 2}, 41, -1, 1), labels},
              {true, true, true, false, false, false, true, false, false, true, false});
  }
}

TEST_CASE("losses: CPU vs emulated CUDA (SIMT) parity", "[simt]") {
  const Shape img{1, 3, 8, 8}, edge{1, 1, 8, 8};
  const Tensor s = randu(img, 50), gt = randu(img, 51), neg = randu(img, 52), e = binary(edge, 53, 0.3);
  simt_parity([](auto& x) { return L::edge_bce(x[0], x[1]); }, {randu(edge, 54, -4, 4), e}, {true, false});
  simt_parity([](auto& x) { return L::recon_loss(x[0], x[1]); }, {s, gt}, {true, false});
  simt_parity([](auto& x) { return L::dtv_loss(x[0], x[1], x[2]); }, {s, gt, e}, {true, false, false});
  simt_parity([](auto& x) { return L::contrastive_l1_triplet(x[0], x[1], x[2]); }, {s, gt, neg},
              {true, false, false});
  simt_parity([](auto& x) { return L::gram_triplet({x[0]}, {x[1]}, {x[2]}, 1.0); },
              {randu({1, 4, 5, 5}, 55), randu({1, 4, 5, 5}, 56), randu({1, 4, 5, 5}, 57)}, {true, false, false});
  const Tensor labels = Tensor::from_vector(std::vector<double>{0, 2, 255, 1}, {1, 2, 2}).to(DType::I64);
  simt_parity([](auto& x) { return L::seg_ce(x[0], x[1]); }, {randu({1, 3, 2, 2}, 58, -2, 2), labels},
              {true, false});
}
