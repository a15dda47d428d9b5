// shape ops (placeholder: filled by the shape op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
