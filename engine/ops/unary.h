// unary ops (placeholder: filled by the unary op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
