// batchnorm ops (placeholder: filled by the batchnorm op family).
#pragma once
#include "engine/tensor.h"

namespace csgis {}  // namespace csgis
