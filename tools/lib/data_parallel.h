// Data-parallel training on top of a Communicator (tools/lib/distributed.h), as PyTorch's
// DistributedDataParallel does it: identical start, gradients averaged in buckets while backward
// still runs, optional synchronised BatchNorm.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/nn/module.h"
#include "engine/tensor.h"
#include "tools/lib/distributed.h"

namespace csgis::dist {

// Every tensor (parameters and buffers, any device) made equal to rank 0's.
void broadcast_from_rank0(Communicator& comm, const std::vector<Tensor>& tensors, const std::string& what);

// Synchronised BatchNorm on every BatchNorm2d of `model` through comm (on = true), or back to
// per-rank statistics (on = false).
void sync_batchnorm(nn::Module& model, Communicator& comm, bool on);

// Every rank passes the start of a run together or none does (start_check): a rank whose
// setup threw takes part in the check on its way out (the destructor), and the others stop with an
// error naming it instead of waiting for it in the first collective. pass(text) is called by a rank
// whose setup succeeded; it also compares the ranks' effective configs.
class StartGate {
 public:
  explicit StartGate(Communicator& comm) : comm_(comm) {}
  ~StartGate();
  StartGate(const StartGate&) = delete;
  StartGate& operator=(const StartGate&) = delete;
  void pass(const std::string& shared_text);

 private:
  Communicator& comm_;
  bool done_ = false;
};

// Named values (logged loss terms) averaged over the ranks: one all-reduce.
using Terms = std::vector<std::pair<std::string, double>>;
Terms mean_over_ranks(Communicator& comm, const Terms& values);

// Averages the gradients of `params` over the ranks after each backward.
//
// The parameters are packed, last first (the order backward produces their gradients), into
// buckets of at most bucket_bytes (a parameter larger than that has a bucket of its own). Each
// parameter's grad-ready hook marks it done; when every parameter of a bucket is done, the bucket
// is copied into its flat buffer, divided by the world size and its sum all-reduce starts, while
// backward goes on with the earlier layers. Buckets start in index order on every rank (a bucket
// that completes early waits for the ones before it), which MPI requires of collectives. finish()
// starts what is left (a parameter that got no gradient on a rank counts as zeros there), waits, and
// writes the averages into the .grad of every parameter that some rank had a gradient for.
// A parameter that gets no gradient holds back its bucket and the later ones until finish(): the
// overlap needs every parameter in the loss (as DDP without find_unused_parameters).
class GradientAverager {
 public:
  GradientAverager(std::vector<Tensor> params, Communicator& comm, size_t bucket_bytes);
  ~GradientAverager();
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;

  void begin_step(int64_t step);  // before backward: arms the hooks
  void finish();                  // after backward: every .grad holds the mean over the ranks

  // The buckets as indices into params (bucket 0 first), for tests and the log.
  std::vector<std::vector<size_t>> buckets() const;
  // How many buckets had started before finish() in the last step (overlap with backward).
  int started_during_backward() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace csgis::dist
