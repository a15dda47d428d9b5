// matmul / bmm: validation, stride analysis (which views gemm can read in place), dispatch to
// OpenBLAS / cuBLAS / the tiled kernel, and the backward rule (itself a pair of matmuls).
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/matmul.h"
#if CSGIS_HAS_CUDA
#include "kernels/cuda/matmul_cublas.h"
#endif
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/matmul.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {

// How gemm reads one operand: `data` holds the elements (the input itself or a contiguous copy),
// stored row-major with leading dimension `ld`; `trans` is the gemm flag (the caller's flag,
// flipped when the input is a transposed view); `batch_stride` is 0 for 2-D inputs.
struct Operand {
  Tensor data;
  bool trans = false;
  int64_t ld = 1, batch_stride = 0;
};

Operand as_operand(const Tensor& t, bool trans) {
  const int64_t nd = t.dim();
  const int64_t r = t.size(-2), c = t.size(-1);
  const int64_t sr = t.strides()[size_t(nd - 2)], sc = t.strides()[size_t(nd - 1)];
  Operand o;
  o.data = t;
  o.trans = trans;
  if ((c == 1 || sc == 1) && (r == 1 || sr >= std::max<int64_t>(c, 1))) {
    o.ld = r == 1 ? std::max<int64_t>(c, 1) : sr;  // rows of a (possibly wider) row-major matrix
  } else if ((r == 1 || sr == 1) && (c == 1 || sc >= std::max<int64_t>(r, 1))) {
    o.ld = c == 1 ? std::max<int64_t>(r, 1) : sc;  // the transpose of a row-major [c, r] matrix
    o.trans = !trans;
  } else {
    autograd::NoGradGuard no_grad;  // a copy for the kernel only: the op records itself
    o.data = t.detach().contiguous();
    o.ld = std::max<int64_t>(c, 1);
  }
  if (nd == 3 && t.size(0) > 1) o.batch_stride = o.data.strides()[0];
  return o;
}

void run_gemm(int64_t batch, int64_t M, int64_t N, int64_t K, const Operand& a, const Operand& b, Tensor& out) {
  const Device dev = out.device();
  const int64_t ldc = N, stride_c = M * N;
  // BLAS, cuBLAS and the tiled kernel all index one matrix with 32-bit ints.
  for (int64_t v : {M, N, K, a.ld, b.ld})
    CSGIS_CHECK(v <= INT32_MAX, "matmul: size ", v, " exceeds the 32-bit limit of the gemm kernels");
  if (dev.is_cpu()) {
    dispatch_float(out.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::gemm_batched<T>(a.trans, b.trans, batch, M, N, K, a.data.data<T>(), a.ld, a.batch_stride,
                           b.data.data<T>(), b.ld, b.batch_stride, out.data<T>(), ldc, stride_c);
    });
    return;
  }
  check_gpu_dtype(out, "matmul");
#if CSGIS_HAS_CUDA
  if (dev.is_cuda() && current_context().use_cublas) {
    cuda::gemm_batched_cublas(current_context().cublas_handle(), a.trans, b.trans, batch, M, N, K,
                              a.data.data<float>(), a.ld, a.batch_stride, b.data.data<float>(), b.ld,
                              b.batch_stride, out.data<float>(), ldc, stride_c, current_stream(dev));
    return;
  }
#endif
  CSGIS_GPU_CALL(dev, gemm_batched, a.trans, b.trans, batch, M, N, K, a.data.data<float>(), a.ld,
                 a.batch_stride, b.data.data<float>(), b.ld, b.batch_stride, out.data<float>(), ldc,
                 stride_c);
}

// The shared forward of matmul (batched = false, 2-D) and bmm (batched = true, 3-D).
Tensor gemm_op(const Tensor& a, const Tensor& b, bool ta, bool tb, bool batched) {
  const char* op = batched ? "bmm" : "matmul";
  const int64_t nd = batched ? 3 : 2;
  CSGIS_CHECK(a.defined() && b.defined(), op, ": undefined input");
  CSGIS_CHECK(a.dim() == nd && b.dim() == nd, op, ": expects ", nd, "-d tensors, got ", shape_str(a.shape()),
              " and ", shape_str(b.shape()), batched ? "" : " (use bmm for batches of matrices)");
  check_same_device(a, b, op);
  check_same_dtype(a, b, op);
  const int64_t M = ta ? a.size(-1) : a.size(-2), Ka = ta ? a.size(-2) : a.size(-1);
  const int64_t Kb = tb ? b.size(-1) : b.size(-2), N = tb ? b.size(-2) : b.size(-1);
  CSGIS_CHECK(Ka == Kb, op, ": inner dimensions differ: a ", shape_str(a.shape()), ta ? " (transposed)" : "",
              " has K = ", Ka, ", b ", shape_str(b.shape()), tb ? " (transposed)" : "", " has K = ", Kb);
  const int64_t batch = batched ? a.size(0) : 1;
  if (batched)
    CSGIS_CHECK(b.size(0) == batch, "bmm: batch sizes differ: a ", shape_str(a.shape()), " and b ",
                shape_str(b.shape()));
  Shape out_shape = batched ? Shape{batch, M, N} : Shape{M, N};
  Tensor out;
  if (Ka == 0) {
    out = Tensor::zeros(out_shape, a.dtype(), a.device());  // an empty sum
  } else {
    out = Tensor::empty(out_shape, a.dtype(), a.device());
    if (batch > 0 && M > 0 && N > 0) run_gemm(batch, M, N, Ka, as_operand(a, ta), as_operand(b, tb), out);
  }
  if (autograd::needs_grad({a, b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    auto mm = batched ? bmm : static_cast<Tensor (*)(const Tensor&, const Tensor&, bool, bool)>(matmul);
    autograd::record(out, batched ? "Bmm" : "Matmul", {a, b},
                     [a, b, ta, tb, need_a, need_b, mm](const Tensor& g) -> std::vector<Tensor> {
                       // C = op(A) op(B):  d op(A) = G op(B)^T,  d op(B) = op(A)^T G; when an operand
                       // was transposed, its gradient is the transpose of that, written as a product
                       // in the other order so that no explicit transpose is materialised.
                       Tensor ga, gb;
                       if (need_a) ga = ta ? mm(b, g, tb, true) : mm(g, b, false, !tb);
                       if (need_b) gb = tb ? mm(g, a, true, ta) : mm(a, g, !ta, false);
                       return {ga, gb};
                     });
  }
  return out;
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  return gemm_op(a, b, trans_a, trans_b, false);
}

Tensor bmm(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  return gemm_op(a, b, trans_a, trans_b, true);
}


}  // namespace csgis
