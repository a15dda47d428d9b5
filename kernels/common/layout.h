// Plain structs shared by CPU and CUDA kernels (host and device code): an N-d strided layout and
// the index arithmetic that maps a linear element number to a memory offset.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define CSGIS_HD __host__ __device__
#else
#define CSGIS_HD
#endif

namespace csgis {

constexpr int kMaxDims = 8;

// sizes/strides in elements; strides may be 0 (broadcast) or arbitrary (views).
struct StridedLayout {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  CSGIS_HD int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
  // Offset of the element with row-major linear number `linear`.
  CSGIS_HD int64_t offset_of(int64_t linear) const {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t i = linear % sizes[d];
      linear /= sizes[d];
      off += i * strides[d];
    }
    return off;
  }
};

// Output of shape `sizes` (contiguous) computed from two inputs read through their own strides.
struct BroadcastLayout {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t stride_a[kMaxDims] = {};
  int64_t stride_b[kMaxDims] = {};

  CSGIS_HD int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
  CSGIS_HD void offsets_of(int64_t linear, int64_t& oa, int64_t& ob) const {
    oa = 0;
    ob = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t i = linear % sizes[d];
      linear /= sizes[d];
      oa += i * stride_a[d];
      ob += i * stride_b[d];
    }
  }
};

}  // namespace csgis
