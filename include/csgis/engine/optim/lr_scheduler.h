// Epoch-based learning-rate schedules (torch.optim.lr_scheduler): call step() once per epoch,
// after the epoch's optimizer steps. Construction counts as epoch 0 and sets its lr, as PyTorch's
// initial step does. The lr is the closed form base_lr * factor(epoch), so a scheduler restored
// with set_last_epoch() lands on the same value as one that stepped there.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/optim/optimizer.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;

  void step();                          // epoch += 1, then sets the optimizer's lr
  int64_t last_epoch() const { return last_epoch_; }
  void set_last_epoch(int64_t epoch);   // for resuming: sets the lr of that epoch
  double base_lr() const { return base_lr_; }
  double last_lr() const { return optimizer_.lr(); }

 protected:
  virtual double lr_at(int64_t epoch) const = 0;

 private:
  Optimizer& optimizer_;
  double base_lr_;
  int64_t last_epoch_ = 0;
};

// lr = base_lr * gamma^(epoch / step_size)   (integer division)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(int64_t epoch) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr = base_lr * gamma^(number of milestones <= epoch); a repeated milestone counts twice.
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(int64_t epoch) const override;

 private:
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

}  // namespace csgis::optim
#pragma GCC visibility pop
