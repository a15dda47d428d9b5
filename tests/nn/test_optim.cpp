// Optimizers and schedulers. Trajectories on a small quadratic are checked against the documented
// PyTorch formulas evaluated here with plain double loops (independent of the fused kernels).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/autograd.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"
#include "engine/optim/lr_scheduler.h"
#include "engine/optim/optimizer.h"

using namespace csgis;
using namespace csgis::optim;

namespace {

// L(p) = sum(0.5 * a * p^2 + b * p), so dL/dp = a * p + b.
const std::vector<double> kA = {1.0, 2.5, 0.3, 4.0, 0.8};
const std::vector<double> kB = {-1.0, 0.5, 2.0, -0.25, 0.0};
const std::vector<double> kP0 = {0.7, -1.2, 0.4, 2.0, -0.3};

Tensor make_param(const std::vector<double>& v, DType dt, Device dev = Device::cpu()) {
  Tensor p = Tensor::from_vector(v, {int64_t(v.size())}).to(dt).to(dev).detach();
  p.set_requires_grad(true);
  return p;
}

Tensor quadratic_loss(const Tensor& p) {
  Tensor a = Tensor::from_vector(kA, {5}).to(p.dtype()).to(p.device());
  Tensor b = Tensor::from_vector(kB, {5}).to(p.dtype()).to(p.device());
  return sum(a * p * p * 0.5 + b * p);
}

// Runs `steps` optimizer steps on the quadratic; returns the parameter after each step.
std::vector<std::vector<double>> run(Optimizer& opt, const Tensor& p, int steps) {
  std::vector<std::vector<double>> out;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    quadratic_loss(p).backward();
    opt.step();
    out.push_back(p.to_vector<double>());
  }
  return out;
}

struct AdamRef {
  double lr, b1, b2, eps, wd;
  std::vector<std::vector<double>> run(int steps) const {
    std::vector<double> p = kP0, m(5, 0.0), v(5, 0.0);
    std::vector<std::vector<double>> out;
    for (int t = 1; t <= steps; ++t) {
      for (size_t i = 0; i < p.size(); ++i) {
        const double g = kA[i] * p[i] + kB[i] + wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        const double step_size = lr / (1 - std::pow(b1, t));
        const double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(b2, t)) + eps;
        p[i] -= step_size * m[i] / denom;
      }
      out.push_back(p);
    }
    return out;
  }
};

struct SgdRef {
  double lr, mu, damp, wd;
  bool nesterov;
  std::vector<std::vector<double>> run(int steps) const {
    std::vector<double> p = kP0, buf(5, 0.0);
    std::vector<std::vector<double>> out;
    for (int t = 1; t <= steps; ++t) {
      for (size_t i = 0; i < p.size(); ++i) {
        double d = kA[i] * p[i] + kB[i] + wd * p[i];
        if (mu != 0) {
          buf[i] = t == 1 ? d : mu * buf[i] + (1 - damp) * d;
          d = nesterov ? d + mu * buf[i] : buf[i];
        }
        p[i] -= lr * d;
      }
      out.push_back(p);
    }
    return out;
  }
};

void check_trajectory(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& want,
                      double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t s = 0; s < got.size(); ++s)
    for (size_t i = 0; i < got[s].size(); ++i) {
      INFO("step " << s + 1 << " element " << i);
      CHECK(got[s][i] == Approx(want[s][i]).margin(tol));
    }
}

}  // namespace

TEST_CASE("optim: Adam trajectory matches the PyTorch formulas", "[unit]") {
  for (double wd : {0.0, 0.1}) {
    for (DType dt : {DType::F64, DType::F32}) {
      INFO("weight_decay " << wd << " dtype " << dtype_name(dt));
      Tensor p = make_param(kP0, dt);
      Adam opt({p}, 0.05, {0.9, 0.99}, 1e-8, wd);
      check_trajectory(run(opt, p, 6), AdamRef{0.05, 0.9, 0.99, 1e-8, wd}.run(6), dt == DType::F64 ? 1e-12 : 1e-5);
      CHECK(opt.step_count() == 6);
    }
  }
}

TEST_CASE("optim: SGD trajectories (plain, momentum + dampening, Nesterov, weight decay)", "[unit]") {
  const SgdRef cases[] = {{0.1, 0.0, 0.0, 0.0, false},
                          {0.1, 0.9, 0.0, 0.0, false},
                          {0.05, 0.8, 0.3, 0.01, false},
                          {0.05, 0.9, 0.0, 0.05, true}};
  for (const SgdRef& c : cases) {
    for (DType dt : {DType::F64, DType::F32}) {
      INFO("momentum " << c.mu << " dampening " << c.damp << " wd " << c.wd << " nesterov " << c.nesterov);
      Tensor p = make_param(kP0, dt);
      SGD opt({p}, c.lr, c.mu, c.damp, c.wd, c.nesterov);
      check_trajectory(run(opt, p, 5), c.run(5), dt == DType::F64 ? 1e-12 : 1e-5);
    }
  }
  CHECK_THROWS_WITH(SGD({make_param(kP0, DType::F32)}, 0.1, 0.0, 0.0, 0.0, true), Catch::Contains("Nesterov"));
}

TEST_CASE("optim: parameters without gradient are skipped; state round trip resumes exactly", "[unit]") {
  Tensor p = make_param(kP0, DType::F64), unused = make_param({1.0, 2.0}, DType::F64);
  Adam opt({p, unused}, 0.05, {0.9, 0.99}, 1e-8, 0.1);
  run(opt, p, 3);
  CHECK(unused.to_vector<double>() == std::vector<double>{1.0, 2.0});
  OptimizerState st = opt.state();
  CHECK(st.step == 3);
  std::vector<std::string> names;
  for (auto& kv : st.tensors) names.push_back(kv.first);
  CHECK(names == std::vector<std::string>{"0.exp_avg", "0.exp_avg_sq", "0.step"});

  // Resume: a fresh optimizer (same hyper-parameters: like PyTorch's param groups they are
  // construction arguments) on a copy of the parameter continues exactly like the original.
  Tensor q = make_param(p.to_vector<double>(), DType::F64), unused2 = make_param({1.0, 2.0}, DType::F64);
  Adam resumed({q, unused2}, 1.0, {0.9, 0.99}, 1e-8, 0.1);
  resumed.load_state(st);
  CHECK(resumed.lr() == 0.05);
  CHECK(resumed.step_count() == 3);
  auto a = run(opt, p, 2);
  auto b = run(resumed, q, 2);
  check_trajectory(b, a, 1e-14);

  SGD sgd({p}, 0.1, 0.9);
  run(sgd, p, 1);
  OptimizerState bad = sgd.state();
  bad.tensors.emplace_back("7.momentum_buffer", Tensor::zeros({5}, DType::F64));
  CHECK_THROWS_WITH(sgd.load_state(bad), Catch::Contains("7.momentum_buffer"));
}

TEST_CASE("optim: StepLR and MultiStepLR lr sequences", "[unit]") {
  Tensor p = make_param(kP0, DType::F32);
  SGD opt({p}, 0.8);
  StepLR step(opt, 3, 0.5);
  std::vector<double> lrs{opt.lr()};
  for (int e = 0; e < 7; ++e) {
    step.step();
    lrs.push_back(opt.lr());
  }
  const std::vector<double> want = {0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2};
  for (size_t i = 0; i < want.size(); ++i) CHECK(lrs[i] == Approx(want[i]));

  SGD opt2({p}, 1.0);
  MultiStepLR ms(opt2, {5, 2, 5}, 0.1);  // unsorted, 5 repeated: gamma^2 at epoch 5
  std::vector<double> lrs2{opt2.lr()};
  for (int e = 0; e < 6; ++e) {
    ms.step();
    lrs2.push_back(opt2.lr());
  }
  const std::vector<double> want2 = {1.0, 1.0, 0.1, 0.1, 0.1, 0.001, 0.001};
  for (size_t i = 0; i < want2.size(); ++i) CHECK(lrs2[i] == Approx(want2[i]));
  ms.set_last_epoch(3);
  CHECK(opt2.lr() == Approx(0.1));
  CHECK(ms.last_epoch() == 3);
}

TEST_CASE("optim: fused kernels, CPU vs emulated CUDA (SIMT)", "[simt]") {
  Generator gen(21);
  const Shape shape = {1000};  // several blocks, a partial last one
  for (int which = 0; which < 3; ++which) {
    Tensor init = Tensor::randn(shape, &gen);
    Tensor pc = init.clone().detach(), ps = init.to(Device::simt()).detach();
    pc.set_requires_grad(true);
    ps.set_requires_grad(true);
    std::unique_ptr<Optimizer> oc, os;
    if (which == 0) {
      oc = std::make_unique<Adam>(std::vector<Tensor>{pc}, 0.01, std::pair<double, double>{0.9, 0.999}, 1e-8, 0.01);
      os = std::make_unique<Adam>(std::vector<Tensor>{ps}, 0.01, std::pair<double, double>{0.9, 0.999}, 1e-8, 0.01);
    } else {
      const bool nesterov = which == 2;
      oc = std::make_unique<SGD>(std::vector<Tensor>{pc}, 0.05, 0.9, nesterov ? 0.0 : 0.2, 1e-3, nesterov);
      os = std::make_unique<SGD>(std::vector<Tensor>{ps}, 0.05, 0.9, nesterov ? 0.0 : 0.2, 1e-3, nesterov);
    }
    for (int s = 0; s < 3; ++s) {
      Tensor g = Tensor::randn(shape, &gen);
      pc.set_grad(g.clone());
      ps.set_grad(g.to(Device::simt()));
      oc->step();
      os->step();
    }
    auto a = pc.to_vector<double>(), b = ps.to_vector<double>();
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    INFO("optimizer " << which);
    CHECK(d < 1e-6);
    auto sa = oc->state(), sb = os->state();
    REQUIRE(sa.tensors.size() == sb.tensors.size());
    for (size_t k = 0; k < sa.tensors.size(); ++k) {
      auto x = sa.tensors[k].second.to_vector<double>(), y = sb.tensors[k].second.to_vector<double>();
      double e = 0;
      for (size_t i = 0; i < x.size(); ++i) e = std::max(e, std::fabs(x[i] - y[i]));
      INFO(sa.tensors[k].first);
      CHECK(e < 1e-6);
    }
  }
}

TEST_CASE("optim: end-to-end fits (linear regression, small conv net) reduce the loss", "[unit]") {
  Generator gen(8);
  SECTION("linear regression through elementwise ops and Adam") {
    Tensor x = Tensor::randn({64, 3}, &gen);
    Tensor true_w = Tensor::from_vector(std::vector<float>{1.5f, -2.0f, 0.5f}, {3});
    Tensor y = sum(x * true_w, {1}) + 0.7;
    Tensor w = make_param({0.0, 0.0, 0.0}, DType::F32), b = make_param({0.0}, DType::F32);
    Adam opt({w, b}, 0.1);
    auto loss_fn = [&] {
      Tensor r = sum(x * w, {1}) + b - y;
      return mean(r * r);
    };
    const double first = loss_fn().item();
    for (int s = 0; s < 150; ++s) {
      opt.zero_grad();
      loss_fn().backward();
      opt.step();
    }
    const double last = loss_fn().item();
    CHECK(last < 1e-3 * first);
  }
  SECTION("conv-bn-relu-conv student fits a teacher with SGD + momentum") {
    auto make_net = [] {
      return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1), std::make_shared<nn::BatchNorm2d>(4),
          std::make_shared<nn::ReLU>(), std::make_shared<nn::Conv2d>(4, 1, 3, 1, 1)});
    };
    auto teacher = make_net(), student = make_net();
    Tensor x = Tensor::randn({4, 1, 8, 8}, &gen);
    Tensor target;
    {
      autograd::NoGradGuard g;
      target = teacher->forward(x);
    }
    SGD opt(student->parameters(), 0.05, 0.9);
    auto loss_fn = [&] {
      Tensor r = student->forward(x) - target;
      return mean(r * r);
    };
    double first = 0, last = 0;
    for (int s = 0; s < 40; ++s) {
      opt.zero_grad();
      Tensor l = loss_fn();
      if (s == 0) first = l.item();
      last = l.item();
      l.backward();
      opt.step();
    }
    CHECK(last < 0.5 * first);
  }
}
