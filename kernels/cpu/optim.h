// Fused optimizer updates on host memory: one pass over a parameter reads its gradient and state
// and writes the new parameter and state (no temporaries). Contiguous arrays of n elements; the
// arithmetic runs in T, like PyTorch's single-tensor implementations.
#pragma once
#include <cstdint>

namespace csgis::cpu {

// Adam (PyTorch semantics), per element with g = grad + weight_decay * param:
//   m = beta1 * m + (1 - beta1) * g,   v = beta2 * v + (1 - beta2) * g^2
//   param -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
// where the caller folds step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t).
template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n, double beta1, double beta2,
               double eps, double weight_decay, double step_size, double bias_correction2_sqrt);

// SGD with momentum (PyTorch semantics), per element with d = grad + weight_decay * param:
//   momentum != 0: buf = first_step ? d : momentum * buf + (1 - dampening) * d
//                  d = nesterov ? d + momentum * buf : buf
//   param -= lr * d
// momentum_buf may be null when momentum == 0.
template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first_step);

}  // namespace csgis::cpu
