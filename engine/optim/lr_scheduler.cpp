#include "engine/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace csgis::optim {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lr_(optimizer.lr()) {}

void LRScheduler::step() { set_last_epoch(last_epoch_ + 1); }

void LRScheduler::set_last_epoch(int64_t epoch) {
  CSGIS_CHECK(epoch >= 0, "lr scheduler: negative epoch ", epoch);
  last_epoch_ = epoch;
  optimizer_.set_lr(lr_at(epoch));
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  CSGIS_CHECK(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
  // lr_at is virtual: the base constructor cannot call it, so epoch 0 is applied here.
  set_last_epoch(0);
}

double StepLR::lr_at(int64_t epoch) const { return base_lr() * std::pow(gamma_, double(epoch / step_size_)); }

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  set_last_epoch(0);
}

double MultiStepLR::lr_at(int64_t epoch) const {
  // Milestones passed: those <= epoch (bisect_right).
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr() * std::pow(gamma_, double(passed));
}

}  // namespace csgis::optim
