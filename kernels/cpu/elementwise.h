// Binary elementwise ops with broadcasting on host memory.
#pragma once
#include "kernels/common/binary_op.h"
#include "kernels/common/layout.h"

namespace csgis::cpu {

// out[i] = op(a[la(i)], b[lb(i)]), out contiguous of shape l.sizes
template <typename T>
void binary(BinaryOp op, const BroadcastLayout& l, const T* a, const T* b, T* out);

}  // namespace csgis::cpu
