// Matrix products: matmul (2-D) and bmm (3-D, batched), with optional transposes of either
// operand. CPU runs OpenBLAS, CUDA runs cuBLAS (or the hand-written tiled kernel, see below), the
// SIMT device runs the tiled kernel of kernels/cuda/matmul.cu.
//
// Non-contiguous inputs whose last two dims are a transposed contiguous matrix (e.g.
// x.transpose(0, 1)) or a row-strided one (a slice of columns) are handed to gemm as they are, with
// a transpose flag / leading dimension, instead of being copied; anything else is copied first.
#pragma once
#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// op(a) @ op(b) where op(x) = x^T when its flag is set: op(a) is [M,K], op(b) is [K,N] -> [M,N].
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// Batched: a [B,M,K] (or [B,K,M] with trans_a), b [B,K,N] (or [B,N,K] with trans_b) -> [B,M,N];
// the transposes apply to the last two dims of every batch entry.
Tensor bmm(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// On CUDA tensors the current Context's `use_cublas` (default true) picks cuBLAS over the tiled
// SGEMM kernel (for comparison and benchmarks). The SIMT device always uses the tiled kernel and
// the CPU always uses OpenBLAS.

}  // namespace csgis
#pragma GCC visibility pop
