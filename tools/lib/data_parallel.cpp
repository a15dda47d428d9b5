#include "tools/lib/data_parallel.h"

#include <cstring>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/nn/batchnorm_stats.h"

namespace csgis::dist {

void broadcast_from_rank0(Communicator& comm, const std::vector<Tensor>& tensors, const std::string& what) {
  if (comm.size() == 1) return;
  autograd::NoGradGuard no_grad;  // parameters are written in place, outside any graph
  // One broadcast of everything packed: a step may share hundreds of small BatchNorm buffers.
  std::vector<Tensor> host;
  size_t bytes = 0;
  for (const Tensor& t : tensors) {
    host.push_back(t.contiguous().cpu().clone());
    bytes += host.back().nbytes();
  }
  std::vector<char> packed(bytes);
  size_t at = 0;
  for (const Tensor& h : host) {
    std::memcpy(packed.data() + at, h.raw_data(), h.nbytes());
    at += h.nbytes();
  }
  comm.broadcast(packed.data(), bytes, 0, what);
  at = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::memcpy(host[i].raw_data(), packed.data() + at, host[i].nbytes());
    at += host[i].nbytes();
    Tensor(tensors[i]).copy_(host[i]);
  }
}

void sync_batchnorm(nn::Module& model, Communicator& comm, bool on) {
  Communicator* c = &comm;
  for (nn::BatchNorm2d* bn : nn::batchnorm_layers(model)) {
    if (!on || comm.size() == 1) {
      bn->sync_gather = {};
      continue;
    }
    bn->sync_gather = [c](const std::vector<double>& local) {
      return c->allgather(local, "synchronised BatchNorm statistics");
    };
  }
}

StartGate::~StartGate() {
  if (!done_) start_check(comm_, /*failed=*/true, "");  // this rank's setup threw
}

void StartGate::pass(const std::string& shared_text) {
  done_ = true;
  const std::string problem = start_check(comm_, /*failed=*/false, shared_text);
  CSGIS_CHECK(problem.empty(), problem);
}

// The logged loss terms averaged over the ranks (the loss of the global batch for per-sample means).
Terms mean_over_ranks(Communicator& comm, const Terms& values) {
  if (comm.size() == 1) return values;
  std::vector<float> v;
  for (auto& [name, x] : values) v.push_back(float(x / comm.size()));
  comm.wait(comm.start_allreduce_sum(v.data(), int64_t(v.size()), "the mean of the logged losses"));
  Terms out = values;
  for (size_t i = 0; i < out.size(); ++i) out[i].second = v[i];
  return out;
}

struct GradientAverager::State {
  struct Bucket {
    std::vector<size_t> params;
    std::vector<int64_t> offsets;  // of each parameter in flat
    // The gradients, then one flag per parameter (1/N from each rank that has its gradient): after
    // the sum, a parameter no rank had a gradient for keeps none, as in a single process.
    std::vector<float> flat;
    int64_t flags_at = 0;
    int ready = 0;
    bool started = false;
    int64_t handle = 0;
  };
  std::vector<Tensor> params;
  Communicator* comm = nullptr;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;  // parameter -> bucket
  std::vector<char> done;         // parameter's gradient is complete this step
  size_t next_start = 0;          // buckets [0, next_start) have started
  bool armed = false;
  int64_t step = 0;
  int started_early = 0;

  void start(size_t b) {
    Bucket& k = buckets[b];
    const float scale = 1.0f / float(comm->size());
    for (size_t i = 0; i < k.params.size(); ++i) {
      const Tensor& p = params[k.params[i]];
      float* dst = k.flat.data() + k.offsets[i];
      const Tensor g = p.grad();
      k.flat[size_t(k.flags_at) + i] = g.defined() ? scale : 0.f;
      if (!g.defined()) {
        std::memset(dst, 0, size_t(p.numel()) * sizeof(float));
        continue;
      }
      Tensor::from_blob(dst, p.shape(), Device::cpu()).copy_(g);
      for (int64_t j = 0; j < p.numel(); ++j) dst[j] *= scale;
    }
    k.handle = comm->start_allreduce_sum(k.flat.data(), int64_t(k.flat.size()),
                                         "gradient all-reduce of bucket " + std::to_string(b) + " of " +
                                             std::to_string(buckets.size()) + " (step " + std::to_string(step) + ")");
    k.started = true;
  }

  void on_ready(size_t param) {
    if (!armed || done[param]) return;
    done[param] = 1;
    Bucket& k = buckets[bucket_of[param]];
    ++k.ready;
    while (next_start < buckets.size() && buckets[next_start].ready == int(buckets[next_start].params.size())) {
      start(next_start++);
      ++started_early;
    }
    comm->progress();
  }
};

GradientAverager::GradientAverager(std::vector<Tensor> params, Communicator& comm, size_t bucket_bytes)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.comm = &comm;
  s.params = std::move(params);
  s.bucket_of.assign(s.params.size(), 0);
  s.done.assign(s.params.size(), 0);
  // Last parameter first: backward reaches the output layers first.
  State::Bucket current;
  size_t bytes = 0;
  for (size_t i = s.params.size(); i-- > 0;) {
    const Tensor& p = s.params[i];
    CSGIS_CHECK(p.dtype() == DType::F32, "data-parallel training averages float32 gradients; parameter ", i, " is ",
                p.str());
    const size_t nbytes = size_t(p.numel()) * sizeof(float);
    if (!current.params.empty() && bytes + nbytes > bucket_bytes) {
      s.buckets.push_back(std::move(current));
      current = State::Bucket();
      bytes = 0;
    }
    current.params.push_back(i);
    current.offsets.push_back(int64_t(bytes / sizeof(float)));
    bytes += nbytes;
  }
  if (!current.params.empty()) s.buckets.push_back(std::move(current));
  for (size_t b = 0; b < s.buckets.size(); ++b) {
    State::Bucket& k = s.buckets[b];
    int64_t n = 0;
    for (size_t i : k.params) {
      s.bucket_of[i] = b;
      n += s.params[i].numel();
    }
    k.flags_at = n;
    k.flat.assign(size_t(n) + k.params.size(), 0.f);
  }
  if (comm.size() == 1) return;  // nothing to exchange: no hooks
  std::weak_ptr<State> weak = state_;
  for (size_t i = 0; i < s.params.size(); ++i)
    s.params[i].register_grad_ready_hook([weak, i](Tensor&) {
      if (auto st = weak.lock()) st->on_ready(i);
    });
}

GradientAverager::~GradientAverager() = default;

void GradientAverager::begin_step(int64_t step) {
  State& s = *state_;
  s.step = step;
  s.armed = s.comm->size() > 1;
  s.next_start = 0;
  s.started_early = 0;
  std::fill(s.done.begin(), s.done.end(), 0);
  for (State::Bucket& k : s.buckets) {
    k.ready = 0;
    k.started = false;
  }
}

void GradientAverager::finish() {
  State& s = *state_;
  if (!s.armed) return;
  s.armed = false;
  while (s.next_start < s.buckets.size()) s.start(s.next_start++);
  for (State::Bucket& k : s.buckets) {
    s.comm->wait(k.handle);
    for (size_t i = 0; i < k.params.size(); ++i) {
      Tensor& p = s.params[k.params[i]];
      if (k.flat[size_t(k.flags_at) + i] == 0.f) continue;  // no rank has a gradient for it
      Tensor mean = Tensor::from_blob(k.flat.data() + k.offsets[i], p.shape(), Device::cpu());
      if (p.grad().defined()) p.grad().copy_(mean);
      else p.set_grad(mean.clone().to(p.device()));
    }
  }
}

std::vector<std::vector<size_t>> GradientAverager::buckets() const {
  std::vector<std::vector<size_t>> out;
  for (const State::Bucket& k : state_->buckets) out.push_back(k.params);
  return out;
}

int GradientAverager::started_during_backward() const { return state_->started_early; }

}  // namespace csgis::dist
