#include "kernels/cpu/batchnorm.h"

#include <cmath>

namespace csgis::cpu {

namespace {
// Parallelise only when the tensor is big enough to pay for waking the thread team.
constexpr int64_t kParallelWork = 1 << 15;
}  // namespace

// Per-channel sums use kLanes independent double accumulators, combined by a fixed tree at the end.
// A single running sum is one dependency chain (an add's latency per element: BatchNorm was 11 %
// of a training step); with the lanes written out the compiler vectorises the inner loop without
// reassociating anything, so the order of the additions, and the bits, are the same for every
// vector width. Each lane holds 1/kLanes of a channel, so the rounding is no worse than before.
namespace {
constexpr int kLanes = 16;

struct LaneSums {
  double lane[kLanes] = {};
  double total() const {
    double s8[8];
    for (int l = 0; l < 8; ++l) s8[l] = lane[l] + lane[l + 8];
    return ((s8[0] + s8[4]) + (s8[2] + s8[6])) + ((s8[1] + s8[5]) + (s8[3] + s8[7]));
  }
};

// body(i % kLanes, i) for i in [0, n), in order: full blocks of kLanes, then the tail. The body adds
// its terms to lane l of its sums, so one pass over the data can feed several sums.
template <typename Body>
inline void for_lanes(int64_t n, Body body) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) body(l, i + l);
  for (int l = 0; i < n; ++i, ++l) body(l, i);
}
}  // namespace

template <typename T>
void batchnorm_stats(const T* x, int64_t N, int64_t C, int64_t S, double eps, double momentum, T* mean,
                     T* invstd, T* running_mean, T* running_var) {
  const int64_t M = N * S;
#pragma omp parallel for if (N * C * S > kParallelWork)
  for (int64_t c = 0; c < C; ++c) {
    // Two passes (mean, then squared deviations): no cancellation for large means, unlike
    // E[x^2] - E[x]^2, and the channel is hot in cache for the second pass on small inputs.
    LaneSums s;
    for (int64_t n = 0; n < N; ++n) {
      const T* p = x + (n * C + c) * S;
      for_lanes(S, [&](int l, int64_t i) { s.lane[l] += double(p[i]); });
    }
    const double mu = s.total() / double(M);
    LaneSums sq;
    for (int64_t n = 0; n < N; ++n) {
      const T* p = x + (n * C + c) * S;
      for_lanes(S, [&](int l, int64_t i) {
        const double d = double(p[i]) - mu;
        sq.lane[l] += d * d;
      });
    }
    const double q = sq.total();
    const double var = q / double(M);
    mean[c] = T(mu);
    invstd[c] = T(1.0 / std::sqrt(var + eps));
    if (running_mean) running_mean[c] = T((1.0 - momentum) * double(running_mean[c]) + momentum * mu);
    if (running_var) {
      // Running variance is the unbiased estimate (PyTorch); M > 1 is checked by the op.
      const double unbiased = M > 1 ? q / double(M - 1) : var;
      running_var[c] = T((1.0 - momentum) * double(running_var[c]) + momentum * unbiased);
    }
  }
}

template <typename T>
void batchnorm_eval_stats(const T* running_mean, const T* running_var, int64_t C, double eps, T* mean,
                          T* invstd) {
  for (int64_t c = 0; c < C; ++c) {
    mean[c] = running_mean[c];
    invstd[c] = T(1.0 / std::sqrt(double(running_var[c]) + eps));
  }
}

template <typename T>
void batchnorm_apply(const T* x, const T* mean, const T* invstd, const T* weight, const T* bias, T* y,
                     int64_t N, int64_t C, int64_t S) {
#pragma omp parallel for if (N * C * S > kParallelWork)
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const int64_t c = nc % C;
    // Fold the affine transform into one scale and shift per channel.
    const T scale = invstd[c] * (weight ? weight[c] : T(1));
    const T shift = (bias ? bias[c] : T(0)) - mean[c] * scale;
    const T* p = x + nc * S;
    T* q = y + nc * S;
    for (int64_t i = 0; i < S; ++i) q[i] = p[i] * scale + shift;
  }
}

template <typename T>
void batchnorm_backward_reduce(const T* dy, const T* x, const T* mean, const T* invstd, T* sum_dy,
                               T* sum_dy_xhat, int64_t N, int64_t C, int64_t S) {
#pragma omp parallel for if (N * C * S > kParallelWork)
  for (int64_t c = 0; c < C; ++c) {
    const double mu = double(mean[c]);
    LaneSums sd, sdx;
    for (int64_t n = 0; n < N; ++n) {
      const T* g = dy + (n * C + c) * S;
      const T* p = x + (n * C + c) * S;
      for_lanes(S, [&](int l, int64_t i) {
        sd.lane[l] += double(g[i]);
        sdx.lane[l] += double(g[i]) * (double(p[i]) - mu);
      });
    }
    sum_dy[c] = T(sd.total());
    // invstd is applied once per channel instead of once per element.
    sum_dy_xhat[c] = T(sdx.total() * double(invstd[c]));
  }
}

template <typename T>
void batchnorm_backward_input(const T* dy, const T* x, const T* mean, const T* invstd, const T* weight,
                              const T* sum_dy, const T* sum_dy_xhat, T* dx, int64_t N, int64_t C,
                              int64_t S, bool training) {
  const double M = double(N * S);
#pragma omp parallel for if (N * C * S > kParallelWork)
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const int64_t c = nc % C;
    const T k = invstd[c] * (weight ? weight[c] : T(1));
    const T* g = dy + nc * S;
    T* out = dx + nc * S;
    if (!training) {
      for (int64_t i = 0; i < S; ++i) out[i] = g[i] * k;
      continue;
    }
    // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)), with xhat = (x - mean) * invstd.
    const T mean_dy = T(double(sum_dy[c]) / M);
    const T proj = T(double(sum_dy_xhat[c]) / M) * invstd[c];  // multiplies (x - mean)
    const T mu = mean[c];
    const T* p = x + nc * S;
    for (int64_t i = 0; i < S; ++i) out[i] = k * (g[i] - mean_dy - (p[i] - mu) * proj);
  }
}

#define CSGIS_BN_INSTANTIATE(T)                                                                       \
  template void batchnorm_stats<T>(const T*, int64_t, int64_t, int64_t, double, double, T*, T*, T*, T*); \
  template void batchnorm_eval_stats<T>(const T*, const T*, int64_t, double, T*, T*);                 \
  template void batchnorm_apply<T>(const T*, const T*, const T*, const T*, const T*, T*, int64_t,     \
                                   int64_t, int64_t);                                                 \
  template void batchnorm_backward_reduce<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t, \
                                             int64_t, int64_t);                                       \
  template void batchnorm_backward_input<T>(const T*, const T*, const T*, const T*, const T*,         \
                                            const T*, const T*, T*, int64_t, int64_t, int64_t, bool);
CSGIS_BN_INSTANTIATE(float)
CSGIS_BN_INSTANTIATE(double)
#undef CSGIS_BN_INSTANTIATE

}  // namespace csgis::cpu
