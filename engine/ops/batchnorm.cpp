// Batch normalisation: forward statistics + normalisation, and a backward through the batch
// statistics, all with dedicated per-channel kernels (kernels/{cpu,cuda}/batchnorm).
#include "engine/ops/batchnorm.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "kernels/common/batchnorm_partials.h"
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
    Tensor workspace = Tensor::empty({batchnorm_workspace_floats(d.N, d.C, d.S)}, DType::F32, dev);
    CSGIS_GPU_CALL(dev, batchnorm_stats, xc.data<float>(), d.N, d.C, d.S, eps, momentum, mean.data<float>(),
                   invstd.data<float>(), ptr<float>(running_mean), ptr<float>(running_var), workspace.data<float>());
  } else {
    CSGIS_GPU_CALL(dev, batchnorm_eval_stats, running_mean.data<float>(), running_var.data<float>(), d.C, eps,
                   mean.data<float>(), invstd.data<float>());
  }
}

// The backward rule: gradients of x, weight and bias from dy. `use_batch` selects the full
// formula through the batch statistics; otherwise the normalisation is a fixed per-channel affine.
// `global_sums` (synchronised BatchNorm) turns this rank's sums into the ones dx needs.
using GlobalSums = std::function<void(const Tensor& sum_dy, const Tensor& sum_dy_xhat, Tensor& g_dy, Tensor& g_dy_xhat)>;

std::vector<Tensor> bn_backward(const Tensor& g, const Tensor& xc, const Tensor& w, const Tensor& mean,
                                const Tensor& invstd, const BnDims& d, bool use_batch, bool need_x,
                                bool need_w, bool need_b, const GlobalSums& global_sums = {}) {
  const Device dev = xc.device();
  const DType dt = xc.dtype();
  Tensor dy = g.contiguous();
  CSGIS_CHECK(dy.dtype() == dt && dy.device() == dev, kOp, ": gradient ", dy.str(), " for input ", xc.str());
  Tensor sum_dy, sum_dy_xhat, dx;
  // The per-channel sums feed dweight, dbias and (training only) dx.
  if (need_w || need_b || (need_x && use_batch) || global_sums) {
    sum_dy = Tensor::empty({d.C}, dt, dev);
    sum_dy_xhat = Tensor::empty({d.C}, dt, dev);
    if (dev.is_cpu()) {
      dispatch_float(dt, [&](auto zero) {
        using T = decltype(zero);
        cpu::batchnorm_backward_reduce<T>(dy.data<T>(), xc.data<T>(), mean.data<T>(), invstd.data<T>(),
                                          sum_dy.data<T>(), sum_dy_xhat.data<T>(), d.N, d.C, d.S);
      });
    } else {
      Tensor workspace = Tensor::empty({batchnorm_workspace_floats(d.N, d.C, d.S)}, DType::F32, dev);
      CSGIS_GPU_CALL(dev, batchnorm_backward_reduce, dy.data<float>(), xc.data<float>(), mean.data<float>(),
                     invstd.data<float>(), sum_dy.data<float>(), sum_dy_xhat.data<float>(), d.N, d.C, d.S,
                     workspace.data<float>());
    }
  }
  Tensor dx_sum_dy = sum_dy, dx_sum_dy_xhat = sum_dy_xhat;
  if (global_sums) global_sums(sum_dy, sum_dy_xhat, dx_sum_dy, dx_sum_dy_xhat);
  if (need_x) {
    dx = Tensor::empty(xc.shape(), dt, dev);
    if (dev.is_cpu()) {
      dispatch_float(dt, [&](auto zero) {
        using T = decltype(zero);
        cpu::batchnorm_backward_input<T>(dy.data<T>(), xc.data<T>(), mean.data<T>(), invstd.data<T>(), ptr<T>(w),
                                         ptr<T>(dx_sum_dy), ptr<T>(dx_sum_dy_xhat), dx.data<T>(), d.N, d.C, d.S,
                                         use_batch);
      });
    } else {
      CSGIS_GPU_CALL(dev, batchnorm_backward_input, dy.data<float>(), xc.data<float>(), mean.data<float>(),
                     invstd.data<float>(), ptr<float>(w), ptr<float>(dx_sum_dy), ptr<float>(dx_sum_dy_xhat),
                     dx.data<float>(), d.N, d.C, d.S, use_batch);
    }
  }
  // dweight = sum dy * xhat, dbias = sum dy: exactly the two reductions.
  return {dx, need_w ? sum_dy_xhat : Tensor(), need_b ? sum_dy : Tensor()};
}

BnDims check_inputs(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                    const Tensor& running_var, double eps) {
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
  return d;
}

Tensor apply(const Tensor& xc, const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b,
             const BnDims& d) {
  const Device dev = xc.device();
  Tensor y = Tensor::empty(xc.shape(), xc.dtype(), dev);
  if (d.N * d.C * d.S == 0) return y;
  if (dev.is_cpu()) {
    dispatch_float(xc.dtype(), [&](auto zero) {
      using T = decltype(zero);
      cpu::batchnorm_apply<T>(xc.data<T>(), mean.data<T>(), invstd.data<T>(), ptr<T>(w), ptr<T>(b), y.data<T>(),
                              d.N, d.C, d.S);
    });
  } else {
    CSGIS_GPU_CALL(dev, batchnorm_apply, xc.data<float>(), mean.data<float>(), invstd.data<float>(), ptr<float>(w),
                   ptr<float>(b), y.data<float>(), d.N, d.C, d.S);
  }
  return y;
}

// A [C] tensor of x's dtype and device from host doubles.
Tensor channel_tensor(const std::vector<double>& v, const Tensor& like) {
  Tensor t = Tensor::from_vector(v, {int64_t(v.size())});
  return t.to(like.dtype()).to(like.device());
}

std::vector<double> host_doubles(const Tensor& t) {
  const Tensor h = t.cpu().to(DType::F64);
  return h.to_vector<double>();
}
}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps) {
  const BnDims d = check_inputs(x, weight, bias, running_mean, running_var, eps);
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

  Tensor y = apply(xc, mean, invstd, w, b, d);

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

Tensor sync_batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                         Tensor& running_var, const BatchNormAllGather& gather, double momentum, double eps) {
  CSGIS_CHECK(gather, kOp, ": synchronised BatchNorm without a gather function");
  const BnDims d = check_inputs(x, weight, bias, running_mean, running_var, eps);
  const Device dev = x.device();
  if (!dev.is_cpu()) check_gpu_dtype(x, kOp);
  Tensor xc = x.detach().contiguous();
  Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();

  // This rank's mean and biased variance (the statistics kernel with eps 0 and no running update:
  // var = 1 / invstd^2, exactly 0 for a constant channel where invstd is infinite).
  Tensor no_running, local_mean, local_invstd;
  compute_stats(xc, d, /*use_batch=*/true, no_running, no_running, 0.0, 0.0, local_mean, local_invstd);
  const int64_t C = d.C, local_count = d.N * d.S;
  std::vector<double> pack{double(local_count)};
  const std::vector<double> m = host_doubles(local_mean), is = host_doubles(local_invstd);
  pack.insert(pack.end(), m.begin(), m.end());
  for (double v : is) pack.push_back(1.0 / (v * v));
  const std::vector<double> all = gather(pack);
  const size_t stride = size_t(1 + 2 * C);
  CSGIS_CHECK(!all.empty() && all.size() % stride == 0, kOp, ": the gather returned ", all.size(),
              " values, not a multiple of ", stride, " (ranks disagree on the channel count)");
  const size_t ranks = all.size() / stride;

  // Chan's combination of per-rank (count, mean, M2) in rank order: the same sums on every rank.
  double count = 0;
  for (size_t r = 0; r < ranks; ++r) count += all[r * stride];
  CSGIS_CHECK(count > 1, kOp, ": expected more than 1 value per channel over all ranks when training");
  std::vector<double> mean(size_t(C), 0.0), var(size_t(C), 0.0), invstd(size_t(C), 0.0);
  for (size_t r = 0; r < ranks; ++r)
    for (int64_t c = 0; c < C; ++c) mean[size_t(c)] += all[r * stride] * all[r * stride + 1 + size_t(c)] / count;
  for (size_t r = 0; r < ranks; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const double n = all[r * stride], dm = all[r * stride + 1 + size_t(c)] - mean[size_t(c)];
      var[size_t(c)] += n * (all[r * stride + 1 + size_t(C + c)] + dm * dm) / count;
    }
  for (int64_t c = 0; c < C; ++c) invstd[size_t(c)] = 1.0 / std::sqrt(var[size_t(c)] + eps);
  if (running_mean.defined()) {
    std::vector<double> rm = host_doubles(running_mean), rv = host_doubles(running_var);
    for (int64_t c = 0; c < C; ++c) {
      rm[size_t(c)] = (1 - momentum) * rm[size_t(c)] + momentum * mean[size_t(c)];
      rv[size_t(c)] = (1 - momentum) * rv[size_t(c)] + momentum * var[size_t(c)] * count / (count - 1);
    }
    Tensor(running_mean).copy_(channel_tensor(rm, running_mean));
    Tensor(running_var).copy_(channel_tensor(rv, running_var));
  }
  const Tensor mean_t = channel_tensor(mean, xc), invstd_t = channel_tensor(invstd, xc);
  Tensor y = apply(xc, mean_t, invstd_t, w, b, d);

  if (autograd::needs_grad({x, weight, bias})) {
    const bool need_x = x.requires_grad();
    const bool need_w = weight.defined() && weight.requires_grad();
    const bool need_b = bias.defined() && bias.requires_grad();
    // dx needs the sums over every rank; the kernel divides them by this rank's count, so they are
    // handed to it scaled by local_count / count.
    GlobalSums global = [gather, C, local_count, count](const Tensor& sum_dy, const Tensor& sum_dy_xhat,
                                                         Tensor& g_dy, Tensor& g_dy_xhat) {
      std::vector<double> mine = host_doubles(sum_dy), other = host_doubles(sum_dy_xhat);
      mine.insert(mine.end(), other.begin(), other.end());
      const std::vector<double> every = gather(mine);
      CSGIS_CHECK(every.size() % size_t(2 * C) == 0, kOp, ": the backward gather returned ", every.size(),
                  " values for ", C, " channels");
      std::vector<double> total(size_t(2 * C), 0.0);
      for (size_t r = 0; r < every.size() / size_t(2 * C); ++r)
        for (size_t i = 0; i < total.size(); ++i) total[i] += every[r * size_t(2 * C) + i];
      const double scale = double(local_count) / count;
      for (double& v : total) v *= scale;
      g_dy = channel_tensor(std::vector<double>(total.begin(), total.begin() + C), sum_dy);
      g_dy_xhat = channel_tensor(std::vector<double>(total.begin() + C, total.end()), sum_dy);
    };
    autograd::record(y, "SyncBatchNorm2d", {x, weight, bias},
                     [xc, w, mean_t, invstd_t, d, need_x, need_w, need_b, global](const Tensor& g) {
                       return bn_backward(g, xc, w, mean_t, invstd_t, d, true, need_x, need_w, need_b, global);
                     });
  }
  return y;
}

}  // namespace csgis
