#include "kernels/cpu/optim.h"

#include <cmath>

namespace csgis::cpu {

namespace {
constexpr int64_t kParallelWork = 1 << 15;
}  // namespace

template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n, double beta1, double beta2,
               double eps, double weight_decay, double step_size, double bias_correction2_sqrt) {
  const T b1 = T(beta1), b2 = T(beta2), e = T(eps), wd = T(weight_decay), lr_t = T(step_size);
  const T bc2 = T(bias_correction2_sqrt);
#pragma omp parallel for if (n > kParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    const T g = wd != T(0) ? grad[i] + wd * param[i] : grad[i];
    const T m = b1 * exp_avg[i] + (T(1) - b1) * g;
    const T v = b2 * exp_avg_sq[i] + (T(1) - b2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] -= lr_t * m / (std::sqrt(v) / bc2 + e);
  }
}

template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first_step) {
  const T mu = T(momentum), damp = T(1) - T(dampening), wd = T(weight_decay), step = T(lr);
#pragma omp parallel for if (n > kParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    T d = wd != T(0) ? grad[i] + wd * param[i] : grad[i];
    if (mu != T(0)) {
      // PyTorch starts the buffer at the first (decayed) gradient, undampened.
      const T buf = first_step ? d : mu * momentum_buf[i] + damp * d;
      momentum_buf[i] = buf;
      d = nesterov ? d + mu * buf : buf;
    }
    param[i] -= step * d;
  }
}

template void adam_step<float>(float*, const float*, float*, float*, int64_t, double, double, double, double,
                               double, double);
template void adam_step<double>(double*, const double*, double*, double*, int64_t, double, double, double,
                                double, double, double);
template void sgd_step<float>(float*, const float*, float*, int64_t, double, double, double, double, bool, bool);
template void sgd_step<double>(double*, const double*, double*, int64_t, double, double, double, double, bool,
                               bool);

}  // namespace csgis::cpu
