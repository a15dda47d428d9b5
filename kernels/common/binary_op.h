// The binary elementwise operations, shared by the CPU and CUDA kernels.
#pragma once
#include "kernels/common/layout.h"

namespace csgis {

enum class BinaryOp : int { Add = 0, Sub = 1, Mul = 2, Div = 3 };

template <typename T>
CSGIS_HD inline T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return a;
}

}  // namespace csgis
