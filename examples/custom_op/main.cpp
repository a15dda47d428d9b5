// A new op from outside the engine: softplus(x) = log(1 + exp(x)), forward on the host, its
// backward (sigmoid(x) * dy) recorded on the autograd tape with autograd::record, then checked in
// float64 against central finite differences of a loss that uses it twice. Exit code 0 = agrees.
#include <csgis/csgis.h>

#include <cmath>
#include <cstdio>
#include <vector>

using csgis::Tensor;

// Works on any float64 CPU tensor; the backward closure keeps the (contiguous) input it needs and
// names it as saved, so an in-place change of x before backward is refused.
Tensor softplus(const Tensor& x_in) {
  const Tensor x = x_in.detach().contiguous();
  std::vector<double> v = x.to_vector<double>();
  for (double& e : v) e = e > 30 ? e : std::log1p(std::exp(e));
  Tensor y = Tensor::from_vector(v, x.shape());
  if (csgis::autograd::needs_grad({x_in})) {
    csgis::autograd::record(
        y, "Softplus", {x_in},
        [x](const Tensor& dy) -> std::vector<Tensor> {
          std::vector<double> g = dy.contiguous().to_vector<double>(), xv = x.to_vector<double>();
          for (size_t i = 0; i < g.size(); ++i) g[i] *= 1.0 / (1.0 + std::exp(-xv[i]));
          return {Tensor::from_vector(g, x.shape())};
        },
        std::vector<Tensor>{x});
  }
  return y;
}

double loss_of(const Tensor& x, const Tensor& w) { return csgis::sum(softplus(x) * w + softplus(x * 2.0)).item(); }

int main() {
  csgis::Generator gen(7);
  Tensor x = Tensor::randn({3, 5}, &gen, csgis::DType::F64).set_requires_grad(true);
  const Tensor w = Tensor::randn({3, 5}, &gen, csgis::DType::F64);
  csgis::sum(softplus(x) * w + softplus(x * 2.0)).backward();
  const std::vector<double> analytic = x.grad().to_vector<double>();

  std::vector<double> xv = x.detach().to_vector<double>();
  double worst = 0;
  const double h = 1e-6;
  csgis::autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < xv.size(); ++i) {
    std::vector<double> plus = xv, minus = xv;
    plus[i] += h;
    minus[i] -= h;
    const double numeric =
        (loss_of(Tensor::from_vector(plus, x.shape()), w) - loss_of(Tensor::from_vector(minus, x.shape()), w)) / (2 * h);
    worst = std::max(worst, std::fabs(numeric - analytic[i]) / std::max(1.0, std::fabs(numeric)));
  }
  std::printf("softplus: largest relative gradient error %.2e over %zu inputs\n", worst, xv.size());
  return worst < 1e-6 ? 0 : 1;
}
