// softmax ops (placeholder: filled by the softmax op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
