#include "engine/autograd.h"

#include <chrono>
#include <queue>
#include <unordered_map>

#include "engine/context.h"
#include "engine/error.h"
#include "engine/ops.h"
#include "engine/profiler.h"

namespace csgis::autograd {

namespace {
std::atomic<uint64_t> g_sequence{0};
thread_local bool tls_grad_enabled = true;
}  // namespace

Node::Node(std::string name) : name_(std::move(name)), sequence_(g_sequence.fetch_add(1)) {}

AccumulateGrad::AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf)
    : Node("AccumulateGrad"), leaf_(leaf) {}

std::vector<Tensor> AccumulateGrad::apply(const Tensor& g) {
  auto leaf = leaf_.lock();
  if (!leaf) return {};  // the parameter was destroyed: nothing to accumulate into
  if (!leaf->grad) {
    // Take ownership when nobody else refers to this gradient; otherwise copy so that later
    // in-place updates of .grad cannot change another tensor.
    const bool exclusive = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 &&
                           g.is_contiguous();
    leaf->grad = exclusive ? g.impl_ptr() : g.clone().impl_ptr();
  } else {
    leaf->grad = (Tensor(leaf->grad) + g).impl_ptr();
  }
  return {};
}

void AccumulateGrad::fire_hooks() {
  auto leaf = leaf_.lock();
  if (!leaf) return;
  Tensor t(leaf);
  for (auto& hook : leaf->grad_ready_hooks) hook(t);
}

bool grad_enabled() { return tls_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(tls_grad_enabled) { tls_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { tls_grad_enabled = previous_; }

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!tls_grad_enabled) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return impl->grad_fn;
  auto acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl->grad_accumulator = acc;
  }
  return acc;
}

void record(Tensor& output, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward,
            const std::optional<std::vector<Tensor>>& saved) {
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  node->next.reserve(inputs.size());
  for (const auto& in : inputs) {
    node->next.push_back(gradient_edge(in));
    node->input_shapes.push_back(in.defined() ? in.shape() : Shape{});
  }
  for (const Tensor& t : saved ? *saved : inputs)
    if (t.defined() && t.impl()->storage)
      node->saved_versions.push_back({t.impl()->storage, t.impl()->storage->version(), t.shape()});
  output.impl()->grad_fn = node;
  output.impl()->requires_grad = true;
  Context& ctx = current_context();
  if (ctx.profile) {
    if (output.device().is_cuda()) ctx.synchronize();
    ctx.profile->forward_done(name);
  }
}

void run_backward(const Tensor& root, const Tensor& grad_in) {
  CSGIS_CHECK(root.defined(), "backward() on an undefined tensor");
  CSGIS_CHECK(root.requires_grad(),
              "backward() on a tensor that does not require grad (no parameter took part in it)");
  Tensor grad = grad_in;
  if (!grad.defined()) {
    CSGIS_CHECK(root.numel() == 1, "backward() without a gradient argument needs a one-element ",
                "tensor, got shape ", shape_str(root.shape()), "; pass the gradient explicitly");
    grad = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  CSGIS_CHECK(grad.shape() == root.shape(), "backward(): gradient shape ", shape_str(grad.shape()),
              " does not match tensor shape ", shape_str(root.shape()));
  std::shared_ptr<Node> start = gradient_edge(root);
  CSGIS_CHECK(!start->released(), "backward() called twice on the same graph (node ", start->name(),
              "): the graph is freed by the first backward; run the forward pass again");

  NoGradGuard no_grad;  // backward rules are not themselves recorded

  // Count how many consumers will deliver a gradient to each reachable node.
  std::unordered_map<Node*, int> pending;
  std::vector<Node*> stack{start.get()};
  pending[start.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    CSGIS_CHECK(!n->released(), "backward() reached node ", n->name(),
                " whose graph was already freed by an earlier backward");
    for (auto& nx : n->next) {
      if (!nx) continue;
      auto it = pending.find(nx.get());
      if (it == pending.end()) {
        pending[nx.get()] = 1;
        stack.push_back(nx.get());
      } else {
        it->second++;
      }
    }
  }

  // Ready nodes run latest-created first: that is the reverse of the forward tape.
  auto later_first = [](const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) {
    return a->sequence() < b->sequence();
  };
  std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, decltype(later_first)>
      ready(later_first);
  std::unordered_map<Node*, Tensor> grads;
  grads[start.get()] = grad;
  ready.push(start);

  Context& ctx = current_context();
  const bool sync_for_profile = ctx.profile && grad.device().is_cuda();
  while (!ready.empty()) {
    std::shared_ptr<Node> node = ready.top();
    ready.pop();
    const auto t_node = std::chrono::steady_clock::now();
    for (const Node::SavedVersion& sv : node->saved_versions)
      if (auto st = sv.storage.lock())
        CSGIS_CHECK(st->version() == sv.version, "backward of ", node->name(), ": a tensor it needs (shape ",
                    shape_str(sv.shape), ") was modified in place after the forward pass (version ", sv.version,
                    " -> ", st->version(), "; an optimizer step, copy_ or fill_ between forward and backward?); ",
                    "its gradient would be wrong: run the forward pass again after modifying it");
    Tensor g = std::move(grads[node.get()]);
    grads.erase(node.get());
    std::vector<Tensor> input_grads = node->apply(g);
    if (auto* acc = dynamic_cast<AccumulateGrad*>(node.get())) acc->fire_hooks();
    CSGIS_CHECK(input_grads.size() == node->next.size() || node->next.empty(), "backward of ",
                node->name(), " returned ", input_grads.size(), " gradients for ", node->next.size(),
                " inputs");
    for (size_t i = 0; i < node->next.size(); ++i) {
      const auto& nx = node->next[i];
      if (!nx) continue;
      Tensor& gi = input_grads[i];
      if (gi.defined()) {
        CSGIS_CHECK(gi.shape() == node->input_shapes[i], "backward of ", node->name(),
                    ": gradient for input ", i, " has shape ", shape_str(gi.shape()), ", expected ",
                    shape_str(node->input_shapes[i]));
        auto it = grads.find(nx.get());
        if (it == grads.end() || !it->second.defined())
          grads[nx.get()] = gi;
        else
          it->second = it->second + gi;
      }
      if (--pending[nx.get()] == 0) {
        if (!grads[nx.get()].defined()) {
          // No gradient flowed (e.g. an unused branch): still let the node run with zeros so
          // leaves see a complete pass and their hooks fire.
          grads[nx.get()] = Tensor::zeros(node->input_shapes[i], g.dtype(), g.device());
        }
        ready.push(nx);
      }
    }
    if (ctx.profile) {
      if (sync_for_profile) ctx.synchronize();
      ctx.profile->add_backward(
          node->name(), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_node).count());
    }
    // Free the graph as we go: saved tensors and edges are no longer needed.
    if (!dynamic_cast<AccumulateGrad*>(node.get())) {
      node->release();
      node->released_ = true;
      node->next.clear();
    }
  }
}

}  // namespace csgis::autograd
