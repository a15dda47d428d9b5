// The op registry that drives the tests and the benchmarks: registering an OpCase gives the op a
// double-precision finite-difference gradient check, a CPU-vs-emulated-CUDA parity test (forward
// and backward), a CPU-vs-real-CUDA parity test when a GPU is present, a benchmark entry
// (bench/bench_ops.cpp) and a `csgis bench op NAME` entry in the driver.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/generator.h"
#include "engine/ops.h"
#include "engine/tensor.h"

namespace csgis::registry {

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
  // Optional: the input shapes for a user's shape (`csgis bench op NAME --shape ...`, the shape of
  // input 0). Without it, case_shapes applies the default rule below.
  std::function<std::vector<Shape>(const Shape& user)> shapes_for;
};

std::vector<OpCase>& op_cases();

struct RegisterOps {
  explicit RegisterOps(std::function<void(std::vector<OpCase>&)> add) { add(op_cases()); }
};

// Inputs of a case as float64 CPU tensors from a seeded generator (at the case's own shapes, or at
// `shapes` when given).
std::vector<Tensor> make_case_inputs(const OpCase& c, uint64_t seed, const std::vector<Shape>& shapes = {});

// A `make_input` for ops that pick one element (max, max pooling): a permutation of values 0.1
// apart (7919 is prime, so i -> 7919 i mod n is a permutation for the case sizes) plus 0.01 x the
// draw, so the maximum is unique and finite differences never move it.
Tensor distinct_values(int index, const Tensor& normal);

// The case's input shapes scaled to `user` (the shape of input 0): shapes_for when the case has
// one; otherwise every input shaped like input 0 takes `user` (of any rank when all inputs are
// shaped alike), every 1-D input as long as input 0's channel dimension (dimension 1) takes user[1],
// and the others keep their shapes. Throws csgis::Error when `user` has another rank than input 0
// and the inputs differ.
std::vector<Shape> case_shapes(const OpCase& c, const Shape& user);

// The case named `name`, or a csgis::Error naming it and listing the families that exist.
const OpCase& find_case(const std::string& name);

}  // namespace csgis::registry
