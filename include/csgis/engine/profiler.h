// Per-op-family timing of forward and backward passes (`csgis bench train-step --profile`).
//
// A host program owns an OpProfile and points its Context's `profile` at it; nothing is measured
// while that pointer is null (one branch per recorded op). The engine reports two kinds of events:
//   forward:  every op that records itself on the autograd tape (autograd::record) is charged the
//             time since the previous mark: the end of the previous recorded op, or mark(). So the
//             forward families add up to the whole span, and untaped work between two ops (a
//             contiguous() copy, a no-grad helper) counts towards the op that follows it.
//   backward: each node's backward rule plus the summation of the gradients it hands on, by the
//             node's name; AccumulateGrad is the copy into the leaves' .grad.
// On CUDA every event synchronises the context's stream first, so the times are the kernels' and
// the profiled step is slower than an unprofiled one.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

class OpProfile {
 public:
  struct Family {
    double forward_ms = 0, backward_ms = 0;
    int64_t forward_calls = 0, backward_calls = 0;
  };

  // Restarts the forward clock (call before a forward pass).
  void mark() { last_ = Clock::now(); }
  // A recorded op named `name` has just finished: charges it the time since the last mark.
  void forward_done(const std::string& name);
  void add_backward(const std::string& name, double ms);
  // Time outside the engine's ops that the caller wants in the table (for example "optimizer").
  void add_other(const std::string& name, double ms);

  const std::map<std::string, Family>& families() const { return families_; }
  const std::map<std::string, double>& others() const { return others_; }
  void clear() { families_.clear(); others_.clear(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_ = Clock::now();
  std::map<std::string, Family> families_;
  std::map<std::string, double> others_;
};

}  // namespace csgis
#pragma GCC visibility pop
