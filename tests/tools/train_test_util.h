// What the trainer tests share: the smallest trainable configuration.
#pragma once
#include "tools/lib/train_config.h"

namespace csgis::tools {

// A model of 6 channels and one block per stage on 24 px patches of 32 px samples, batches of 2,
// two validation images, 4 steps logged each, validated and checkpointed every 2.
inline TrainConfig tiny_train_config() {
  TrainConfig c;
  c.model.dim = 6;
  c.model.feature_blocks = 1;
  c.model.smooth_blocks = 1;
  c.model.enhance_blocks = 1;
  c.patch = 24;
  c.sample_size = 32;
  c.batch = 2;
  c.workers = 1;
  c.val_count = 2;
  c.val_size = 32;
  c.steps = 4;
  c.log_interval = 1;
  c.val_interval = 2;
  c.checkpoint_interval = 2;
  return c;
}

}  // namespace csgis::tools
