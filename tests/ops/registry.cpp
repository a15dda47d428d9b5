#include "tests/op_registry.h"

namespace csgis::testing {

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

std::vector<Tensor> make_case_inputs(const OpCase& c, uint64_t seed) {
  Generator gen(seed);
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.input_shapes.size(); ++i) {
    Tensor t = Tensor::randn(c.input_shapes[i], &gen, DType::F64);
    if (c.make_input) t = c.make_input(int(i), t);
    inputs.push_back(t.contiguous());
  }
  return inputs;
}

}  // namespace csgis::testing
