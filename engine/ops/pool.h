// pool ops (placeholder: filled by the pool op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
