#include "registry/op_registry.h"

#include <algorithm>

#include "engine/error.h"

namespace csgis::registry {

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

Tensor distinct_values(int, const Tensor& normal) {
  std::vector<double> v = normal.to_vector<double>();
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = double((i * 7919) % v.size()) * 0.1 + 0.01 * v[i];
  return Tensor::from_vector(out, normal.shape());
}

std::vector<Tensor> make_case_inputs(const OpCase& c, uint64_t seed, const std::vector<Shape>& shapes) {
  Generator gen(seed);
  std::vector<Tensor> inputs;
  const std::vector<Shape>& use = shapes.empty() ? c.input_shapes : shapes;
  for (size_t i = 0; i < use.size(); ++i) {
    Tensor t = Tensor::randn(use[i], &gen, DType::F64);
    if (c.make_input) t = c.make_input(int(i), t);
    inputs.push_back(t.contiguous());
  }
  return inputs;
}

std::vector<Shape> case_shapes(const OpCase& c, const Shape& user) {
  if (c.shapes_for) return c.shapes_for(user);
  const Shape& first = c.input_shapes.at(0);
  const bool all_like_first =
      std::all_of(c.input_shapes.begin(), c.input_shapes.end(), [&](const Shape& s) { return s == first; });
  if (all_like_first) return std::vector<Shape>(c.input_shapes.size(), user);  // element-wise: any rank
  CSGIS_CHECK(user.size() == first.size(), "op ", c.name, " takes input 0 of rank ", first.size(), " (",
              shape_str(first), "); the shape given has rank ", user.size());
  std::vector<Shape> out;
  for (const Shape& s : c.input_shapes) {
    if (s == first)
      out.push_back(user);
    else if (s.size() == 1 && first.size() >= 2 && s[0] == first[1])
      out.push_back({user[1]});
    else
      out.push_back(s);
  }
  return out;
}

const OpCase& find_case(const std::string& name) {
  for (const OpCase& c : op_cases())
    if (c.name == name) return c;
  std::string families;
  for (const OpCase& c : op_cases()) {
    const std::string f = c.name.substr(0, c.name.find('/'));
    if (families.find(" " + f + ",") == std::string::npos) families += " " + f + ",";
  }
  if (!families.empty()) families.pop_back();
  CSGIS_FAIL("no op case named '", name, "' (families:", families, "; `csgis bench op --list` names every case)");
}

}  // namespace csgis::registry
