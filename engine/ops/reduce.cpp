// Reductions: sum / mean over all or given dims, max over one dim. The reduced dims are permuted
// innermost and made contiguous, so the kernels only reduce rows.
#include <algorithm>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/reduce.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/reduce.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
struct RowPlan {
  Tensor rows;         // contiguous [outer, inner] view of the input
  Shape keep_shape;    // output shape with reduced dims kept as 1
  Shape out_shape;     // output shape honoring keepdim
  int64_t outer = 1, inner = 1;
};

RowPlan plan_rows(const Tensor& x, std::vector<int64_t> dims, bool keepdim, const char* op) {
  const int64_t n = x.dim();
  std::vector<bool> reduced(n, false);
  for (auto& d : dims) {
    if (d < 0) d += n;
    CSGIS_CHECK(d >= 0 && d < n, op, ": dimension out of range for shape ", shape_str(x.shape()));
    reduced[d] = true;
  }
  RowPlan p;
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < n; ++d)
    if (!reduced[d]) perm.push_back(d);
  for (int64_t d = 0; d < n; ++d)
    if (reduced[d]) perm.push_back(d);
  for (int64_t d = 0; d < n; ++d) {
    if (reduced[d]) {
      p.inner *= x.shape()[d];
      p.keep_shape.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.outer *= x.shape()[d];
      p.keep_shape.push_back(x.shape()[d]);
      p.out_shape.push_back(x.shape()[d]);
    }
  }
  autograd::NoGradGuard no_grad;  // the plumbing is not part of the graph: the op records itself
  p.rows = x.detach().permute(perm).contiguous();
  return p;
}

Tensor sum_rows_of(const RowPlan& p, const Tensor& x) {
  Tensor out = Tensor::empty(p.out_shape, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::sum_rows<T>(p.rows.data<T>(), out.data<T>(), p.outer, p.inner);
    });
  } else {
    check_gpu_dtype(x, "sum");
    CSGIS_GPU_CALL(x.device(), sum_rows, p.rows.data<float>(), out.data<float>(), p.outer, p.inner);
  }
  return out;
}
}  // namespace

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  RowPlan p = plan_rows(x, std::move(dims), keepdim, "sum");
  Tensor out = sum_rows_of(p, x);
  if (autograd::needs_grad({x})) {
    const Shape in = x.shape(), keep = p.keep_shape;
    autograd::record(out, "Sum", {x}, [in, keep](const Tensor& g) -> std::vector<Tensor> {
      return {expand(g.reshape(keep), in).contiguous()};
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor sum(const Tensor& x) {
  std::vector<int64_t> all(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) all[i] = i;
  return sum(x, all, false);
}

Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  int64_t count = 1;
  for (auto d : dims) count *= x.size(d);
  CSGIS_CHECK(count > 0, "mean over an empty dimension");
  return sum(x, std::move(dims), keepdim) * (1.0 / double(count));
}

Tensor mean(const Tensor& x) {
  CSGIS_CHECK(x.numel() > 0, "mean of an empty tensor");
  return sum(x) * (1.0 / double(x.numel()));
}

Tensor max(const Tensor& x, int64_t dim, bool keepdim, Tensor* indices) {
  CSGIS_CHECK(x.size(dim) > 0, "max over an empty dimension");
  RowPlan p = plan_rows(x, {dim}, keepdim, "max");
  Tensor out = Tensor::empty(p.out_shape, x.dtype(), x.device());
  Tensor idx = Tensor::empty(p.out_shape, DType::I64, x.device());
  if (x.device().is_cpu()) {
    dispatch_float(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::max_rows<T>(p.rows.data<T>(), out.data<T>(), idx.data<int64_t>(), p.outer, p.inner);
    });
  } else {
    check_gpu_dtype(x, "max");
    CSGIS_GPU_CALL(x.device(), max_rows, p.rows.data<float>(), out.data<float>(), idx.data<int64_t>(),
                   p.outer, p.inner);
  }
  if (indices) *indices = idx;
  if (autograd::needs_grad({x})) {
    // The gradient goes to the first maximum of each row through a one-hot mask built on the host
    // (max over a dimension is rare in the networks; pooling has its own kernels).
    const Shape in = x.shape(), keep = p.keep_shape;
    const int64_t d = dim < 0 ? dim + x.dim() : dim;
    autograd::record(out, "Max", {x}, [in, keep, idx, d](const Tensor& g) -> std::vector<Tensor> {
      Tensor arg = idx.to(Device::cpu());
      const int64_t* a = arg.data<int64_t>();
      int64_t outer = 1, inner = 1;
      for (int64_t i = 0; i < d; ++i) outer *= in[i];
      for (size_t i = size_t(d) + 1; i < in.size(); ++i) inner *= in[i];
      std::vector<double> mask(size_t(shape_numel(in)), 0.0);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i)
          mask[size_t((o * in[d] + a[o * inner + i]) * inner + i)] = 1.0;
      Tensor m = Tensor::from_vector(mask, in).to(g.dtype()).to(g.device());
      return {m * g.reshape(keep)};
    });
  }
  return out;
}

}  // namespace csgis
