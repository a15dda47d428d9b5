#include "kernels/cpu/elementwise.h"

#include <cstdint>

namespace csgis::cpu {

namespace {
// Inner loop specialised on the op so the compiler vectorises it.
template <typename T, BinaryOp OP>
void run(const BroadcastLayout& l, const T* a, const T* b, T* out) {
  const int64_t n = l.numel();
  if (n == 0) return;
  const int last = l.ndim - 1;
  const int64_t inner = last >= 0 ? l.sizes[last] : 1;
  const int64_t sa = last >= 0 ? l.stride_a[last] : 0, sb = last >= 0 ? l.stride_b[last] : 0;
  const int64_t rows = n / inner;
#pragma omp parallel for if (n > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    int64_t oa, ob;
    l.offsets_of(r * inner, oa, ob);
    const T* pa = a + oa;
    const T* pb = b + ob;
    T* po = out + r * inner;
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < inner; ++i) po[i] = apply_binary(OP, pa[i], pb[i]);
    } else if (sa == 1 && sb == 0) {
      const T vb = *pb;
      for (int64_t i = 0; i < inner; ++i) po[i] = apply_binary(OP, pa[i], vb);
    } else if (sa == 0 && sb == 1) {
      const T va = *pa;
      for (int64_t i = 0; i < inner; ++i) po[i] = apply_binary(OP, va, pb[i]);
    } else {
      for (int64_t i = 0; i < inner; ++i) po[i] = apply_binary(OP, pa[i * sa], pb[i * sb]);
    }
  }
}
}  // namespace

template <typename T>
void binary(BinaryOp op, const BroadcastLayout& l, const T* a, const T* b, T* out) {
  switch (op) {
    case BinaryOp::Add: return run<T, BinaryOp::Add>(l, a, b, out);
    case BinaryOp::Sub: return run<T, BinaryOp::Sub>(l, a, b, out);
    case BinaryOp::Mul: return run<T, BinaryOp::Mul>(l, a, b, out);
    case BinaryOp::Div: return run<T, BinaryOp::Div>(l, a, b, out);
  }
}

template void binary<float>(BinaryOp, const BroadcastLayout&, const float*, const float*, float*);
template void binary<double>(BinaryOp, const BroadcastLayout&, const double*, const double*, double*);

}  // namespace csgis::cpu
