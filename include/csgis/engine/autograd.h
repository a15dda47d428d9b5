// Reverse-mode automatic differentiation.
//
// Every op that produces a tensor from inputs that require grad records a Node on the output: the
// node holds what its backward needs (saved tensors, shapes, parameters) and edges to the nodes
// that produced its inputs. Leaves (parameters) get an AccumulateGrad node. Nodes carry a global
// creation sequence number, so the recorded graph is a tape: backward() runs the nodes reachable
// from the loss in reverse creation order (a node only runs once every consumer has delivered its
// gradient), accumulates into the leaves' .grad, fires their grad-ready hooks, and frees the graph.
//
// Convention (see docs/architecture.md): backward rules return fresh gradient tensors; leaves
// accumulate (+=) into .grad; no op writes into a tensor that autograd saved.
#pragma once
#include <optional>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::autograd {

class Node {
 public:
  explicit Node(std::string name);
  virtual ~Node() = default;
  // dL/d(output) -> dL/d(input_i) for every input (an undefined Tensor means "no gradient").
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  // Drops what backward needed; called when the graph is freed.
  virtual void release() {}

  const std::string& name() const { return name_; }
  uint64_t sequence() const { return sequence_; }
  bool released() const { return released_; }

  // One entry per op input: the producer node (null when that input needs no gradient) and the
  // input's shape, which the engine checks every returned gradient against.
  std::vector<std::shared_ptr<Node>> next;
  std::vector<Shape> input_shapes;
  // What the backward reads, with each storage's version when the forward ran: a tensor written in
  // place in between (an optimizer step, copy_, fill_) would give a wrong gradient, so backward
  // refuses it. Weak: a storage nobody holds any more cannot be read by the backward either.
  struct SavedVersion {
    std::weak_ptr<Storage> storage;
    uint64_t version;
    Shape shape;
  };
  std::vector<SavedVersion> saved_versions;

 private:
  friend void run_backward(const Tensor&, const Tensor&);
  std::string name_;
  uint64_t sequence_;
  bool released_ = false;
};

// A node whose backward is a closure written beside the op's forward.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;
class FunctionNode final : public Node {
 public:
  FunctionNode(std::string name, BackwardFn fn) : Node(std::move(name)), fn_(std::move(fn)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override { return fn_(grad_output); }
  void release() override { fn_ = nullptr; }

 private:
  BackwardFn fn_;
};

// Sink for a leaf: adds incoming gradients into the leaf's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf);
  std::vector<Tensor> apply(const Tensor& grad_output) override;
  void fire_hooks();

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

// ---- grad mode ----
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any input requires grad.
bool needs_grad(const std::vector<Tensor>& inputs);

// Attaches `backward` to `output` as its producer, with edges to the inputs that need grad.
// Call only when needs_grad(inputs) is true. `output` is marked requires_grad.
// `saved`: the tensors the backward closure reads (their versions are checked before it runs);
// by default the inputs. Ops whose backward reads none of them (add, views, copies) pass {}.
void record(Tensor& output, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward,
            const std::optional<std::vector<Tensor>>& saved = std::nullopt);

// The node that delivers gradients to `t` (its grad_fn, or its leaf accumulator); null when `t`
// does not require grad.
std::shared_ptr<Node> gradient_edge(const Tensor& t);

void run_backward(const Tensor& root, const Tensor& grad);

}  // namespace csgis::autograd
#pragma GCC visibility pop
