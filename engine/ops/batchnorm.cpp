// Batch normalisation: forward statistics + normalisation, and a backward through the batch
// statistics, all with dedicated per-channel kernels (kernels/{cpu,cuda}/batchnorm).
#include "engine/ops/batchnorm.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/cpu/batchnorm.h"
#define CSGIS_GPU_LAUNCHERS "kernels/cuda/batchnorm.h"
#include "kernels/gpu.h"

namespace csgis {

namespace {
constexpr const char* kOp = "batch_norm2d";

// x read as [N, C, S]: S is the product of every dimension after the channel one.
struct BnDims {
  int64_t N = 0, C = 0, S = 1;
};

template <typename T> T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

void check_channel_tensor(const Tensor& t, const Tensor& x, int64_t C, const char* what) {
  if (!t.defined()) return;
  CSGIS_CHECK(t.dim() == 1 && t.size(0) == C, kOp, ": ", what, " must have shape [", C, "] for input ",
              shape_str(x.shape()), ", got ", shape_str(t.shape()));
  check_same_device(t, x, kOp);
  check_same_dtype(t, x, kOp);
}

// Batch statistics (training) or running-stat statistics (eval) as fresh [C] tensors.
void compute_stats(const Tensor& xc, const BnDims& d, bool use_batch, Tensor& running_mean,
                   Tensor& running_var, double momentum, double eps, Tensor& mean, Tensor& invstd) {
  const Device dev = xc.device();
  mean = Tensor::empty({d.C}, xc.dtype(), dev);
  invstd = Tensor::empty({d.C}, xc.dtype(), dev);
  if (dev.is_cpu()) {
    dispatch_float(xc.dtype(), [&](auto zero) {
      using T = decltype(zero);
      if (use_batch)
        cpu::batchnorm_stats<T>(xc.data<T>(), d.N, d.C, d.S, eps, momentum, mean.data<T>(), invstd.data<T>(),
                                ptr<T>(running_mean), ptr<T>(running_var));
      else
        cpu::batchnorm_eval_stats<T>(running_mean.data<T>(), running_var.data<T>(), d.C, eps, mean.data<T>(),
                                     invstd.data<T>());
    });
  } else if (use_batch) {
    CSGIS_GPU_CALL(dev, batchnorm_stats, xc.data<float>(), d.N, d.C, d.S, eps, momentum, mean.data<float>(),
                   invstd.data<float>(), ptr<float>(running_mean), ptr<float>(running_var));
  } else {
    CSGIS_GPU_CALL(dev, batchnorm_eval_stats, running_mean.data<float>(), running_var.data<float>(), d.C, eps,
                   mean.data<float>(), invstd.data<float>());
  }
}

// The backward rule: gradients of x, weight and bias from dy. `use_batch` selects the full
// formula through the batch statistics; otherwise the normalisation is a fixed per-channel affine.
std::vector<Tensor> bn_backward(const Tensor& g, const Tensor& xc, const Tensor& w, const Tensor& mean,
                                const Tensor& invstd, const BnDims& d, bool use_batch, bool need_x,
                                bool need_w, bool need_b) {
  const Device dev = xc.device();
  const DType dt = xc.dtype();
  Tensor dy = g.contiguous();
  CSGIS_CHECK(dy.dtype() == dt && dy.device() == dev, kOp, ": gradient ", dy.str(), " for input ", xc.str());
  Tensor sum_dy, sum_dy_xhat, dx;
  // The per-channel sums feed dweight, dbias and (training only) dx.
  if (need_w || need_b || (need_x && use_batch)) {
    sum_dy = Tensor::empty({d.C}, dt, dev);
    sum_dy_xhat = Tensor::empty({d.C}, dt, dev);
    if (dev.is_cpu()) {
      dispatch_float(dt, [&](auto zero) {
        using T = decltype(zero);
        cpu::batchnorm_backward_reduce<T>(dy.data<T>(), xc.data<T>(), mean.data<T>(), invstd.data<T>(),
                                          sum_dy.data<T>(), sum_dy_xhat.data<T>(), d.N, d.C, d.S);
      });
    } else {
      CSGIS_GPU_CALL(dev, batchnorm_backward_reduce, dy.data<float>(), xc.data<float>(), mean.data<float>(),
                     invstd.data<float>(), sum_dy.data<float>(), sum_dy_xhat.data<float>(), d.N, d.C, d.S);
    }
  }
  if (need_x) {
    dx = Tensor::empty(xc.shape(), dt, dev);
    if (dev.is_cpu()) {
      dispatch_float(dt, [&](auto zero) {
        using T = decltype(zero);
        cpu::batchnorm_backward_input<T>(dy.data<T>(), xc.data<T>(), mean.data<T>(), invstd.data<T>(), ptr<T>(w),
                                         ptr<T>(sum_dy), ptr<T>(sum_dy_xhat), dx.data<T>(), d.N, d.C, d.S,
                                         use_batch);
      });
    } else {
      CSGIS_GPU_CALL(dev, batchnorm_backward_input, dy.data<float>(), xc.data<float>(), mean.data<float>(),
                     invstd.data<float>(), ptr<float>(w), ptr<float>(sum_dy), ptr<float>(sum_dy_xhat),
                     dx.data<float>(), d.N, d.C, d.S, use_batch);
    }
  }
  // dweight = sum dy * xhat, dbias = sum dy: exactly the two reductions.
  return {dx, need_w ? sum_dy_xhat : Tensor(), need_b ? sum_dy : Tensor()};
}
}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps) {
  CSGIS_CHECK(x.defined(), kOp, ": undefined input");
  CSGIS_CHECK(x.dim() >= 2, kOp, ": expected an input of shape [N, C, ...], got ", shape_str(x.shape()));
  BnDims d;
  d.N = x.size(0);
  d.C = x.size(1);
  for (int64_t i = 2; i < x.dim(); ++i) d.S *= x.size(i);
  check_channel_tensor(weight, x, d.C, "weight");
  check_channel_tensor(bias, x, d.C, "bias");
  check_channel_tensor(running_mean, x, d.C, "running_mean");
  check_channel_tensor(running_var, x, d.C, "running_var");
  CSGIS_CHECK(running_mean.defined() == running_var.defined(), kOp,
              ": running_mean and running_var must both be given or both be undefined");
  if (running_mean.defined()) {
    // Updated in place through raw pointers: they must be plain contiguous buffers.
    CSGIS_CHECK(running_mean.is_contiguous() && running_var.is_contiguous(), kOp,
                ": running statistics must be contiguous");
    CSGIS_CHECK(!running_mean.requires_grad() && !running_var.requires_grad(), kOp,
                ": running statistics must not require grad");
  }
  CSGIS_CHECK(eps >= 0.0, kOp, ": eps must be non-negative, got ", eps);
  const bool use_batch = training || !running_mean.defined();
  if (use_batch)
    CSGIS_CHECK(d.N * d.S > 1, kOp, ": expected more than 1 value per channel when training, got input of shape ",
                shape_str(x.shape()));
  const Device dev = x.device();
  if (!dev.is_cpu()) check_gpu_dtype(x, kOp);

  // Detached contiguous views: contiguous() would otherwise record a Clone into the graph.
  Tensor xc = x.detach().contiguous();
  Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  // Training updates the running statistics (when defined); eval reads them. Eval without
  // running statistics normalises with the batch ones and has nothing to update.
  Tensor mean, invstd;
  compute_stats(xc, d, use_batch, running_mean, running_var, momentum, eps, mean, invstd);

  Tensor y = Tensor::empty(x.shape(), x.dtype(), dev);
  if (d.N * d.C * d.S > 0) {
    if (dev.is_cpu()) {
      dispatch_float(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        cpu::batchnorm_apply<T>(xc.data<T>(), mean.data<T>(), invstd.data<T>(), ptr<T>(w), ptr<T>(b), y.data<T>(),
                                d.N, d.C, d.S);
      });
    } else {
      CSGIS_GPU_CALL(dev, batchnorm_apply, xc.data<float>(), mean.data<float>(), invstd.data<float>(),
                     ptr<float>(w), ptr<float>(b), y.data<float>(), d.N, d.C, d.S);
    }
  }

  if (autograd::needs_grad({x, weight, bias})) {
    const bool need_x = x.requires_grad();
    const bool need_w = weight.defined() && weight.requires_grad();
    const bool need_b = bias.defined() && bias.requires_grad();
    autograd::record(y, "BatchNorm2d", {x, weight, bias},
                     [xc, w, mean, invstd, d, use_batch, need_x, need_w, need_b](const Tensor& g) {
                       return bn_backward(g, xc, w, mean, invstd, d, use_batch, need_x, need_w, need_b);
                     });
  }
  return y;
}

}  // namespace csgis
