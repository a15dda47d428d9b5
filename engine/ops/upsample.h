// upsample ops (placeholder: filled by the upsample op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
