// conv2d ops (placeholder: filled by the conv2d op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
