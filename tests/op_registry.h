// The op registry that drives the tests and the benchmarks: registering an OpCase gives the op a
// double-precision finite-difference gradient check, a CPU-vs-emulated-CUDA parity test (forward
// and backward), a CPU-vs-real-CUDA parity test when a GPU is present, and a benchmark entry.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/generator.h"
#include "engine/ops.h"
#include "engine/tensor.h"

namespace csgis::testing {

struct OpCase {
  std::string name;                 // "family/variant", unique
  std::vector<Shape> input_shapes;  // inputs drawn from N(0,1) unless `make_input` says otherwise
  // Optional: input i, given a standard-normal draw, returns the actual input (e.g. positive values
  // for log, distinct values for max). Runs on float64 CPU tensors.
  std::function<Tensor(int index, const Tensor& normal)> make_input;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  std::vector<int> no_grad_inputs;  // inputs that are not differentiated (indices, targets)
  double parity_tol = 1e-5;         // max|gpu - cpu| <= parity_tol * max(1, max|cpu|)
  double grad_tol = 1e-5;           // |analytic - numeric| <= grad_tol * max(1, |numeric|)
  bool gradcheck = true;
  bool simt = true;                 // small enough to run through the SIMT emulator
};

std::vector<OpCase>& op_cases();

struct RegisterOps {
  explicit RegisterOps(std::function<void(std::vector<OpCase>&)> add) { add(op_cases()); }
};

// Inputs of a case as float64 CPU tensors from a seeded generator.
std::vector<Tensor> make_case_inputs(const OpCase& c, uint64_t seed);

}  // namespace csgis::testing
