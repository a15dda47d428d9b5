#include "engine/nn/module.h"

#include <cmath>
#include <cstring>
#include <sstream>
#include <unordered_map>

#include "engine/autograd.h"
#include "engine/error.h"

namespace csgis::nn {

const Tensor* find_entry(const StateDict& dict, const std::string& name) {
  for (const auto& kv : dict)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

NonFiniteEntry find_non_finite(const StateDict& dict) {
  for (const auto& [name, t] : dict) {
    if (t.dtype() != DType::F32 && t.dtype() != DType::F64) continue;
    const std::vector<double> v = t.to(DType::F64).to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) return {true, name, int64_t(i), v[i]};
  }
  return {};
}

std::string NonFiniteEntry::str() const {
  std::ostringstream o;
  o << "'" << name << "' holds " << value << " at index " << index;
  return o.str();
}

Tensor Module::forward(const Tensor&) {
  CSGIS_FAIL(type_name(), " has no single-input forward()");
}

void Module::check_new_name(const std::string& name) const {
  CSGIS_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(), ": invalid name '", name,
              "' (non-empty, no '.')");
  auto taken = [&](const auto& list) {
    for (const auto& kv : list)
      if (kv.first == name) return true;
    return false;
  };
  CSGIS_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), type_name(), ": '", name,
              "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, const Tensor& value) {
  check_new_name(name);
  CSGIS_CHECK(value.defined(), type_name(), ": parameter '", name, "' is undefined");
  Tensor p;
  {
    autograd::NoGradGuard g;
    p = value.detach().contiguous();
  }
  p.set_requires_grad(true);
  params_.emplace_back(name, p);
  return p;
}

Tensor Module::register_buffer(const std::string& name, const Tensor& value) {
  check_new_name(name);
  CSGIS_CHECK(value.defined(), type_name(), ": buffer '", name, "' is undefined");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  CSGIS_CHECK(module != nullptr, type_name(), ": submodule '", name, "' is null");
  children_.emplace_back(name, std::move(module));
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& kv : children_)
    if (kv.first == name) return kv.second;
  return nullptr;
}

void Module::collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const {
  if (params)
    for (const auto& kv : params_) out.emplace_back(prefix + kv.first, kv.second);
  if (buffers)
    for (const auto& kv : buffers_) out.emplace_back(prefix + kv.first, kv.second);
  for (const auto& kv : children_) kv.second->collect(prefix + kv.first + ".", params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& kv : named_parameters()) out.push_back(kv.second);
  return out;
}

StateDict Module::state_dict() const {
  StateDict out;
  collect("", true, true, out);
  for (auto& kv : out) kv.second = kv.second.detach();
  return out;
}

namespace {
// Host copy of `t` as int64 or float64 values (any dtype the state dict may hold).
std::vector<double> host_doubles(const Tensor& t) {
  if (t.dtype() != DType::I64) return t.to_vector<double>();
  Tensor h = t.to(Device::cpu()).contiguous();
  const int64_t* p = h.data<int64_t>();
  return std::vector<double>(p, p + h.numel());
}

// `src` converted to dst's dtype and placed on dst's device, ready for dst.copy_().
Tensor convert_for(const Tensor& src, const Tensor& dst) {
  if (src.dtype() == dst.dtype()) return src.to(dst.device());
  if (dst.dtype() == DType::I64) {
    // An integer buffer stored as floats (some checkpoint writers do): round back.
    std::vector<double> v = host_doubles(src);
    Tensor h = Tensor::empty(src.shape(), DType::I64, Device::cpu());
    int64_t* p = h.data<int64_t>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = int64_t(std::llround(v[i]));
    return h.to(dst.device());
  }
  if (src.dtype() == DType::I64)
    return Tensor::from_vector(host_doubles(src), src.shape()).to(dst.dtype()).to(dst.device());
  // float <-> float: dtype conversion runs on the host.
  return src.to(Device::cpu()).to(dst.dtype()).to(dst.device());
}

bool loadable_dtype(DType t) { return t == DType::F32 || t == DType::F64 || t == DType::I64; }

std::string quoted_list(const std::vector<std::string>& keys) {
  std::string s;
  for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", \"" : "\"") + keys[i] + "\"";
  return s;
}
}  // namespace

LoadResult Module::load_state_dict(const StateDict& dict, bool strict) {
  NamedTensors own;
  collect("", true, true, own);
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < dict.size(); ++i) index.emplace(dict[i].first, i);

  LoadResult result;
  std::vector<std::string> problems;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source), checked before any copy
  std::unordered_map<std::string, bool> known;
  for (const auto& kv : own) {
    known[kv.first] = true;
    auto it = index.find(kv.first);
    if (it == index.end()) {
      result.missing_keys.push_back(kv.first);
      continue;
    }
    const Tensor& src = dict[it->second].second;
    const Tensor& dst = kv.second;
    if (!src.defined()) {
      problems.push_back("entry " + kv.first + " is an undefined tensor");
    } else if (src.shape() != dst.shape()) {
      problems.push_back("size mismatch for " + kv.first + ": copying a param with shape " +
                         shape_str(src.shape()) + " from checkpoint, the shape in current model is " +
                         shape_str(dst.shape()) + ".");
    } else if (!loadable_dtype(src.dtype())) {
      problems.push_back("dtype of " + kv.first + " is " + dtype_name(src.dtype()) +
                         " (expected float32, float64 or int64)");
    } else {
      copies.emplace_back(dst, src);
    }
  }
  for (const auto& kv : dict)
    if (!known.count(kv.first)) result.unexpected_keys.push_back(kv.first);

  // Key problems first, then per-entry ones (PyTorch's order); strict = false forgives keys only.
  std::vector<std::string> report;
  if (strict && !result.missing_keys.empty())
    report.push_back("Missing key(s) in state_dict: " + quoted_list(result.missing_keys) + ".");
  if (strict && !result.unexpected_keys.empty())
    report.push_back("Unexpected key(s) in state_dict: " + quoted_list(result.unexpected_keys) + ".");
  report.insert(report.end(), problems.begin(), problems.end());
  if (!report.empty()) {
    // PyTorch's report, one problem per line there; here on one line, problems joined by "; ".
    std::string msg = "Error(s) in loading state_dict for " + type_name() + ":";
    for (size_t i = 0; i < report.size(); ++i) msg += (i == 0 ? " " : "; ") + report[i];
    throw Error(msg);
  }

  {
    autograd::NoGradGuard no_grad;
    for (auto& c : copies) {
      Tensor dst = c.first;
      dst.copy_(convert_for(c.second, dst));
    }
  }
  notify_loaded();
  return result;
}

void Module::notify_loaded() {
  on_state_loaded();
  for (auto& kv : children_) kv.second->notify_loaded();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& kv : children_) kv.second->train(on);
}

namespace {
// Repoints `t`'s TensorImpl at a copy of its data on `device`, so that every handle to the tensor
// (the layer's member, an optimizer's list) sees the move. Tensors that shared storage before
// (tied weights) get separate copies.
void move_in_place(const Tensor& t, Device device) {
  TensorImpl* impl = t.impl();
  if (impl->grad && Tensor(impl->grad).device() != device)
    impl->grad = Tensor(impl->grad).detach().to(device).impl_ptr();
  if (t.device() == device) return;
  Tensor moved = t.detach().contiguous().to(device);
  impl->storage = moved.impl()->storage;
  impl->strides = moved.strides();
  impl->offset = moved.offset();
}
}  // namespace

void Module::to(Device device) {
  for (auto& kv : params_) move_in_place(kv.second, device);
  for (auto& kv : buffers_) move_in_place(kv.second, device);
  for (auto& kv : children_) kv.second->to(device);
}

void Module::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

}  // namespace csgis::nn
