// Strided copies and fills on host memory (CPU and SIMT tensors).
#pragma once
#include <cstdint>

#include "kernels/common/layout.h"

namespace csgis::cpu {

// dst[dst_layout(i)] = src[src_layout(i)] for every i; element types may differ (conversion).
template <typename S, typename D>
void strided_copy(const S* src, const StridedLayout& src_layout, D* dst, const StridedLayout& dst_layout);

template <typename T> void fill(T* dst, int64_t n, T value);

}  // namespace csgis::cpu
