// The registry-driven tests: every OpCase gets a float64 finite-difference gradient check, a
// CPU-vs-SIMT parity test of forward and backward, and (with a GPU) a CPU-vs-CUDA parity test.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <iostream>

#include "engine/autograd.h"
#include "engine/context.h"
#include "kernels/simt/simt_checks.h"
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

// The fixed random weight of the parity tests' loss sum(out * weight), shaped like the output.
Tensor parity_weight(const OpCase& c, const std::vector<Tensor>& inputs) {
  Tensor probe = c.fn([&] {
    autograd::NoGradGuard g;
    std::vector<Tensor> v;
    for (auto& t : inputs) v.push_back(t.to(DType::F32));
    return v;
  }());
  Generator gen(99);
  return Tensor::randn(probe.shape(), &gen, DType::F64);
}

void check_parity(const OpCase& c, Device dev) {
  auto inputs = make_case_inputs(c, 1234);
  const Tensor weight = parity_weight(c, inputs);
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

// Same bits: NaN equal to NaN (memcmp), so a kernel that reads unwritten (NaN) memory under one
// schedule and not the other still differs.
static bool same_bits(const RunResult& a, const RunResult& b) {
  auto eq = [](const std::vector<float>& x, const std::vector<float>& y) {
    return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
  };
  if (!eq(a.out, b.out) || a.grads.size() != b.grads.size()) return false;
  for (size_t i = 0; i < a.grads.size(); ++i)
    if (!eq(a.grads[i], b.grads[i])) return false;
  return true;
}

TEST_CASE("op registry: CPU vs emulated CUDA (SIMT) parity, forward and backward", "[simt]") {
  for (const OpCase& c : op_cases()) {
    if (!c.simt) continue;
    DYNAMIC_SECTION(c.name) { check_parity(c, Device::simt()); }
  }
}

TEST_CASE("op registry: every SIMT case gives the same bits under two shuffled schedules", "[simt]") {
  // Block order, thread order and the order within every barrier interval differ between the two
  // runs (kernels/simt/simt_checks.h): a kernel that depends on an order CUDA does not promise (a
  // missing __syncthreads, a racy scatter) gives other bits, or NaN from memory nobody wrote.
  struct Restore {
    ~Restore() { simt::reset_schedule_seed(); }
  } restore;
  for (const OpCase& c : op_cases()) {
    if (!c.simt) continue;
    DYNAMIC_SECTION(c.name) {
      const auto inputs = make_case_inputs(c, 1234);
      const Tensor weight = parity_weight(c, inputs);
      simt::set_schedule_seed(0x5eed1);
      const RunResult a = run_case(c, inputs, weight, Device::simt());
      simt::set_schedule_seed(0x5eed2);
      const RunResult b = run_case(c, inputs, weight, Device::simt());
      simt::reset_schedule_seed();
      CHECK(same_bits(a, b));
    }
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
