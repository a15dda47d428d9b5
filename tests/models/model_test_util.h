// What the model tests share: fixture paths and an element-wise comparison.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/tensor.h"

namespace csgis::model_testing {

// tests/models/fixtures/<name> (written by the make_*_fixture.py scripts beside the tests).
inline std::string fixture(const std::string& name) {
  return std::string(CSGIS_TEST_FIXTURES) + "/models/fixtures/" + name;
}

// max_i |a_i - b_i| of two float32 tensors of the same size.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector<float>(), y = b.to_vector<float>();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, double(std::fabs(x[i] - y[i])));
  return m;
}

}  // namespace csgis::model_testing
