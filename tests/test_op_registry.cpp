// The registry-driven tests: every OpCase gets a float64 finite-difference gradient check, a
// CPU-vs-SIMT parity test of forward and backward, and (with a GPU) a CPU-vs-CUDA parity test.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

#include "engine/autograd.h"
#include "engine/context.h"
#include "registry/op_registry.h"

using namespace csgis;
using namespace csgis::registry;

namespace {

bool differentiable(const OpCase& c, size_t i) {
  for (int k : c.no_grad_inputs)
    if (size_t(k) == i) return false;
  return true;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::fabs(double(x)));
  return m;
}

// Largest |a-b| relative to max(1, max|b|).
double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::fabs(double(a[i]) - double(b[i]));
    if (std::isnan(e)) return INFINITY;
    d = std::max(d, e);
  }
  return d / std::max(1.0, max_abs(b));
}

struct RunResult {
  std::vector<float> out;
  std::vector<std::vector<float>> grads;
};

// Forward, then backward of sum(out * weight); returns output and input gradients on the host.
RunResult run_case(const OpCase& c, const std::vector<Tensor>& inputs64, const Tensor& weight64, Device dev) {
  std::vector<Tensor> xs;
  for (size_t i = 0; i < inputs64.size(); ++i) {
    Tensor x = inputs64[i].to(DType::F32).to(dev).detach();
    if (c.gradcheck && differentiable(c, i)) x.set_requires_grad(true);
    xs.push_back(x);
  }
  Tensor out = c.fn(xs);
  RunResult r;
  r.out = out.to_vector<float>();
  if (c.gradcheck) {
    Tensor w = weight64.to(DType::F32).to(dev);
    sum(out * w).backward();
    for (size_t i = 0; i < xs.size(); ++i)
      r.grads.push_back(differentiable(c, i) ? xs[i].grad().to_vector<float>() : std::vector<float>{});
  }
  return r;
}

void check_parity(const OpCase& c, Device dev) {
  auto inputs = make_case_inputs(c, 1234);
  Tensor probe = c.fn([&] {
    autograd::NoGradGuard g;
    std::vector<Tensor> v;
    for (auto& t : inputs) v.push_back(t.to(DType::F32));
    return v;
  }());
  Generator gen(99);
  Tensor weight = Tensor::randn(probe.shape(), &gen, DType::F64);
  RunResult ref = run_case(c, inputs, weight, Device::cpu());
  RunResult got = run_case(c, inputs, weight, dev);
  INFO("op " << c.name << " on " << dev.str() << ", tolerance " << c.parity_tol);
  CHECK(rel_diff(got.out, ref.out) <= c.parity_tol);
  for (size_t i = 0; i < ref.grads.size(); ++i) {
    if (ref.grads[i].empty()) continue;
    INFO("gradient of input " << i);
    CHECK(rel_diff(got.grads[i], ref.grads[i]) <= c.parity_tol);
  }
}

}  // namespace

TEST_CASE("op registry: float64 finite-difference gradients", "[gradcheck]") {
  for (const OpCase& c : op_cases()) {
    if (!c.gradcheck) continue;
    DYNAMIC_SECTION(c.name) {
      std::vector<Tensor> xs = make_case_inputs(c, 42);
      for (size_t i = 0; i < xs.size(); ++i)
        if (differentiable(c, i)) xs[i].set_requires_grad(true);
      Tensor out = c.fn(xs);
      Generator gen(7);
      Tensor w = Tensor::randn(out.shape(), &gen, DType::F64);
      sum(out * w).backward();
      auto loss_at = [&]() {
        autograd::NoGradGuard g;
        return sum(c.fn(xs) * w).item();
      };
      const double eps = 1e-6;
      for (size_t i = 0; i < xs.size(); ++i) {
        if (!differentiable(c, i)) continue;
        REQUIRE(xs[i].grad().defined());
        std::vector<double> analytic = xs[i].grad().to_vector<double>();
        double* p = xs[i].data<double>();
        const int64_t n = xs[i].numel();
        // Every element for small inputs, an evenly spread sample of 48 for large ones.
        const int64_t step = std::max<int64_t>(1, n / 48);
        for (int64_t j = 0; j < n; j += step) {
          const double saved = p[j];
          p[j] = saved + eps;
          const double up = loss_at();
          p[j] = saved - eps;
          const double down = loss_at();
          p[j] = saved;
          const double numeric = (up - down) / (2 * eps);
          INFO(c.name << ": input " << i << " element " << j << " analytic " << analytic[j] << " numeric "
                      << numeric);
          CHECK(std::fabs(analytic[j] - numeric) <= c.grad_tol * std::max(1.0, std::fabs(numeric)));
        }
      }
    }
  }
}

TEST_CASE("op registry: CPU vs emulated CUDA (SIMT) parity, forward and backward", "[simt]") {
  for (const OpCase& c : op_cases()) {
    if (!c.simt) continue;
    DYNAMIC_SECTION(c.name) { check_parity(c, Device::simt()); }
  }
}

TEST_CASE("op registry: CPU vs CUDA parity on a real GPU", "[gpu]") {
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  for (const OpCase& c : op_cases()) {
    DYNAMIC_SECTION(c.name) { check_parity(c, Device::cuda()); }
  }
}

TEST_CASE("op registry: conv2d through cuDNN vs CPU on a real GPU", "[gpu]") {
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  Context& ctx = current_context();
  for (const OpCase& c : op_cases()) {
    if (c.name.rfind("conv2d/", 0) != 0 && c.name.rfind("net/", 0) != 0) continue;
    DYNAMIC_SECTION(c.name << " (cudnn)") {
      ctx.use_cudnn = true;
      try {
        check_parity(c, Device::cuda());
      } catch (...) {
        ctx.use_cudnn = false;
        throw;
      }
      ctx.use_cudnn = false;
    }
  }
}
