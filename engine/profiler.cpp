#include "engine/profiler.h"

namespace csgis {

void OpProfile::forward_done(const std::string& name) {
  const Clock::time_point now = Clock::now();
  Family& f = families_[name];
  f.forward_ms += std::chrono::duration<double, std::milli>(now - last_).count();
  f.forward_calls++;
  last_ = now;
}

void OpProfile::add_backward(const std::string& name, double ms) {
  Family& f = families_[name];
  f.backward_ms += ms;
  f.backward_calls++;
}

void OpProfile::add_other(const std::string& name, double ms) { others_[name] += ms; }

}  // namespace csgis
