// Shape ops (engine/ops/shape.cpp): concatenation, stacking and 2-D padding. (Slicing is the
// Tensor::slice view.) Outputs are fresh contiguous tensors.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// How pad2d fills the border (as PyTorch's F.pad modes).
enum class PadMode : int {
  Constant = 0,  // the border holds a constant value
  Reflect = 1,   // mirror without repeating the edge: [a b c] pad 2 -> [c b | a b c | b a]
  Replicate = 2  // repeat the edge element: [a b c] pad 2 -> [a a | a b c | c c]
};

// Joins tensors along an existing dimension (negative counts from the end); every other size must
// match. Backward: the matching slice of the gradient for each input.
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
// Joins equally shaped tensors along a new dimension `dim` (in [-(ndim + 1), ndim]).
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);

// Pads the last two dimensions (W by left/right, H by top/bottom) of a tensor of >= 2 dims, in
// practice NCHW. Constant fills with `value`; Reflect mirrors without repeating the edge and needs
// each padding < that dimension's size; Replicate repeats the edge and needs a non-empty dim.
Tensor pad2d(const Tensor& x, int64_t left, int64_t right, int64_t top, int64_t bottom,
             PadMode mode = PadMode::Constant, double value = 0.0);

}  // namespace csgis
#pragma GCC visibility pop
