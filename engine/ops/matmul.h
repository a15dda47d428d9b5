// matmul ops (placeholder: filled by the matmul op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
