// nn::Module: a tree of layers owning named parameters (requires-grad leaves) and buffers
// (running statistics, counters), with PyTorch's naming for state dicts ("features.0.weight",
// "bn.running_mean"): a module's own parameters, then its own buffers, then each child's entries
// under "<child name>.", in registration order.
//
// Parameters and buffers are updated in place (to(), load_state_dict(), optimizers), never replaced:
// every Tensor handle a layer or an optimizer keeps stays valid, like torch.nn.Parameter.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// Ordered (registration order) name -> tensor entries, like PyTorch's OrderedDict state_dict.
using StateDict = NamedTensors;

// The entry called `name`, or null.
const Tensor* find_entry(const StateDict& dict, const std::string& name);

// The first entry of `dict` holding a NaN or an infinity, and where (F32 and F64 entries; integer
// ones such as num_batches_tracked are skipped): what every weight loader refuses, since one such
// value turns every output pixel into NaN. found == false when all are finite.
struct NonFiniteEntry {
  bool found = false;
  std::string name;
  int64_t index = -1;
  double value = 0;
  std::string str() const;  // "'<name>' holds nan at index 12"
};
NonFiniteEntry find_non_finite(const StateDict& dict);

// Keys that load_state_dict(strict = false) skipped.
struct LoadResult {
  std::vector<std::string> missing_keys;     // in the module, absent from the dict
  std::vector<std::string> unexpected_keys;  // in the dict, absent from the module
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Single-input forward; modules with other signatures add their own methods.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }
  // Class name used in messages ("Conv2d", "Sequential").
  virtual std::string type_name() const { return "Module"; }

  // ---- registration (names are unique within a module and may not contain '.') ----
  // Stores `value` detached (sharing its storage; made contiguous) as a leaf with
  // requires_grad = true and returns the stored handle.
  Tensor register_parameter(const std::string& name, const Tensor& value);
  // Stores the tensor itself (no grad) and returns it.
  Tensor register_buffer(const std::string& name, const Tensor& value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- traversal (recursive, registration order, dotted names) ----
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  std::shared_ptr<Module> child(const std::string& name) const;  // null when absent

  // ---- state ----
  // Parameters and buffers, detached (sharing storage with the module).
  StateDict state_dict() const;
  // Copies every entry into the matching parameter/buffer (no grad recorded). Fails, listing every
  // problem, on a shape mismatch, and with strict = true also on missing or unexpected keys.
  // float64 entries load into float32 tensors (and back); int64 buffers stay int64.
  LoadResult load_state_dict(const StateDict& dict, bool strict = true);

  // ---- modes and placement ----
  void train(bool on = true);  // this module and every descendant
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves every parameter, gradient and buffer to `device` in place (parameters stay leaves).
  void to(Device device);
  // Drops the accumulated gradients of every parameter (PyTorch's set_to_none default).
  void zero_grad();

 protected:
  // Called on every module of the tree after load_state_dict() wrote new values, for layers that
  // keep host-side mirrors of their buffers.
  virtual void on_state_loaded() {}

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void notify_loaded();
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const;
  void check_new_name(const std::string& name) const;

  bool training_ = true;
  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace csgis::nn
#pragma GCC visibility pop
