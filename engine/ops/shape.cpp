// Shape ops. concat copies each input into a slice view of the output with the strided copy
// (which every device has), so it needs no kernel of its own; pad2d has dedicated kernels.
#include <string>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/shape.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/shape.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
const char* mode_name(PadMode m) {
  switch (m) {
    case PadMode::Constant: return "constant";
    case PadMode::Reflect: return "reflect";
    case PadMode::Replicate: return "replicate";
  }
  return nullptr;
}

// The public PadMode and the kernels' PadKind (kernels include nothing of the engine) share values.
static_assert(int(PadMode::Constant) == int(PadKind::Constant) && int(PadMode::Reflect) == int(PadKind::Reflect) &&
              int(PadMode::Replicate) == int(PadKind::Replicate), "PadMode and PadKind must agree");
}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  CSGIS_CHECK(!xs.empty(), "concat: no tensors given");
  for (size_t k = 0; k < xs.size(); ++k) CSGIS_CHECK(xs[k].defined(), "concat: tensor ", k, " is undefined");
  const Tensor& x0 = xs[0];
  const int64_t n = x0.dim();
  CSGIS_CHECK(n > 0, "concat: zero-dimensional tensors cannot be concatenated");
  const int64_t d = dim < 0 ? dim + n : dim;
  CSGIS_CHECK(d >= 0 && d < n, "concat: dimension ", dim, " out of range for ", n, "-d tensors");
  Shape out_shape = x0.shape();
  out_shape[d] = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = xs[k];
    check_same_device(x0, x, "concat");
    check_same_dtype(x0, x, "concat");
    bool ok = x.dim() == n;
    for (int64_t i = 0; ok && i < n; ++i) ok = i == d || x.shape()[i] == x0.shape()[i];
    CSGIS_CHECK(ok, "concat along dim ", d, ": tensor ", k, " has shape ", shape_str(x.shape()),
                ", tensor 0 has shape ", shape_str(x0.shape()), " (all sizes but dim ", d, " must match)");
    out_shape[d] += x.shape()[d];
  }
  Tensor out = Tensor::empty(out_shape, x0.dtype(), x0.device());
  std::vector<int64_t> starts;
  {
    autograd::NoGradGuard no_grad;  // the copies are plumbing: the op records itself below
    int64_t off = 0;
    for (const Tensor& x : xs) {
      starts.push_back(off);
      out.slice(d, off, off + x.shape()[d]).copy_(x);
      off += x.shape()[d];
    }
  }
  if (autograd::needs_grad(xs)) {
    std::vector<int64_t> lengths;
    std::vector<bool> need;
    for (const Tensor& x : xs) {
      lengths.push_back(x.shape()[d]);
      need.push_back(x.requires_grad());
    }
    autograd::record(out, "Concat", xs, [d, starts, lengths, need](const Tensor& g) -> std::vector<Tensor> {
      std::vector<Tensor> grads(starts.size());
      for (size_t k = 0; k < starts.size(); ++k)
        if (need[k]) grads[k] = g.slice(d, starts[k], starts[k] + lengths[k]).contiguous();
      return grads;
    }, std::vector<Tensor>{});
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  CSGIS_CHECK(!xs.empty(), "stack: no tensors given");
  const int64_t n = xs[0].dim();
  const int64_t d = dim < 0 ? dim + n + 1 : dim;
  CSGIS_CHECK(d >= 0 && d <= n, "stack: dimension ", dim, " out of range for ", n, "-d tensors");
  std::vector<Tensor> parts;
  for (size_t k = 0; k < xs.size(); ++k) {
    CSGIS_CHECK(xs[k].defined() && xs[k].shape() == xs[0].shape(), "stack: tensor ", k, " has shape ",
                xs[k].defined() ? shape_str(xs[k].shape()) : std::string("(undefined)"), ", tensor 0 has shape ",
                shape_str(xs[0].shape()), " (all must be equal)");
    parts.push_back(xs[k].unsqueeze(d));  // a differentiable view: concat's backward flows through it
  }
  return concat(parts, d);
}

Tensor pad2d(const Tensor& x, int64_t left, int64_t right, int64_t top, int64_t bottom, PadMode mode,
             double value) {
  CSGIS_CHECK(x.defined(), "pad2d: undefined input tensor");
  CSGIS_CHECK(x.dim() >= 2, "pad2d pads the last two dims of an (N, C, H, W) tensor, got shape ",
              shape_str(x.shape()));
  CSGIS_CHECK(mode_name(mode) != nullptr, "pad2d: mode ", int(mode), " is not a PadMode (constant 0, reflect 1, replicate 2)");
  CSGIS_CHECK(left >= 0 && right >= 0 && top >= 0 && bottom >= 0, "pad2d: negative padding (left ", left,
              ", right ", right, ", top ", top, ", bottom ", bottom, ")");
  const int64_t h = x.size(-2), w = x.size(-1);
  int64_t planes = 1;  // product of the leading dims (not numel / (h * w): h or w may be 0)
  for (int64_t i = 0; i + 2 < x.dim(); ++i) planes *= x.shape()[i];
  if (mode == PadMode::Reflect)
    CSGIS_CHECK(left < w && right < w && top < h && bottom < h, "pad2d reflect: padding (left ", left,
                ", right ", right, ", top ", top, ", bottom ", bottom,
                ") must be smaller than the input's H x W = ", h, " x ", w);
  if (mode != PadMode::Constant && (left || right || top || bottom))
    CSGIS_CHECK(h > 0 && w > 0, "pad2d ", mode_name(mode), ": cannot pad an empty H x W = ", h, " x ", w);
  const Pad2dSpec spec{left, right, top, bottom, static_cast<PadKind>(mode)};
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 2] = h + top + bottom;
  out_shape[out_shape.size() - 1] = w + left + right;

  const Tensor xc = x.detach().contiguous();  // detached: this op records itself
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  if (out.numel() > 0) {
    if (x.device().is_cpu()) {
      dispatch_float(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::pad2d_forward<T>(xc.data<T>(), out.data<T>(), planes, h, w, spec, T(value));
      });
    } else {
      check_gpu_dtype(x, "pad2d");
      CSGIS_GPU_CALL(x.device(), pad2d_forward, xc.data<float>(), out.data<float>(), planes, h, w, spec,
                     float(value));
    }
  }
  if (autograd::needs_grad({x})) {
    const Shape in_shape = x.shape();
    autograd::record(out, "Pad2d", {x}, [in_shape, planes, h, w, spec](const Tensor& g) -> std::vector<Tensor> {
      Tensor dy = g.contiguous();
      Tensor dx = Tensor::empty(in_shape, dy.dtype(), dy.device());
      if (dx.numel() == 0) return {dx};
      if (dy.device().is_cpu()) {
        dispatch_float(dy.dtype(), [&](auto zero) {
          using T = decltype(zero);
          cpu::pad2d_backward<T>(dy.data<T>(), dx.data<T>(), planes, h, w, spec);
        });
      } else {
        check_gpu_dtype(dy, "pad2d backward");
        CSGIS_GPU_CALL(dy.device(), pad2d_backward, dy.data<float>(), dx.data<float>(), planes, h, w, spec);
      }
      return {dx};
    }, std::vector<Tensor>{});
  }
  return out;
}

}  // namespace csgis
