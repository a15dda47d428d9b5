#include "data/smoothers/sparse_laplacian.h"

#include <string>

#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseCore>

#include "engine/error.h"

namespace csgis::data::smoothers {

std::vector<std::vector<double>> solve_screened_laplacian(size_t n, const std::vector<double>& data_weight,
                                                          const std::vector<PixelLink>& links,
                                                          const std::vector<std::vector<double>>& b,
                                                          const std::vector<std::vector<double>>& guess,
                                                          const LaplacianSolveOptions& options) {
  CSGIS_CHECK(data_weight.empty() || data_weight.size() == n, options.who, ": ", data_weight.size(),
              " data weights for ", n, " pixels");
  CSGIS_CHECK(guess.empty() || guess.size() == b.size(), options.who, ": ", guess.size(), " initial guesses for ",
              b.size(), " right-hand sides");
  for (size_t c = 0; c < b.size(); ++c)
    CSGIS_CHECK(b[c].size() == n && (guess.empty() || guess[c].size() == n), options.who,
                ": right-hand side or guess of the wrong size");
  // Diagonal: the data weight plus the pixel's link weights; off-diagonals -w, both ways.
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(2 * links.size() + n);
  std::vector<double> diag = data_weight.empty() ? std::vector<double>(n, 1.0) : data_weight;
  for (const PixelLink& l : links) {
    t.emplace_back(l.i, l.j, -l.w);
    t.emplace_back(l.j, l.i, -l.w);
    diag[size_t(l.i)] += l.w;
    diag[size_t(l.j)] += l.w;
  }
  for (size_t i = 0; i < n; ++i) t.emplace_back(int(i), int(i), diag[i]);
  Eigen::SparseMatrix<double> A(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  A.setFromTriplets(t.begin(), t.end());

  const int channels = int(b.size());
  std::vector<std::vector<double>> x(b.size(), std::vector<double>(n));
  std::vector<int> failed_iterations(b.size(), -1);
  std::vector<double> failed_error(b.size(), 0.0);
  // One solver per channel: a solver object keeps per-solve state and is not shared across threads.
#pragma omp parallel for schedule(dynamic) if (options.threaded && channels > 1 && n > 4096)
  for (int c = 0; c < channels; ++c) {
    Eigen::ConjugateGradient<Eigen::SparseMatrix<double>, Eigen::Lower | Eigen::Upper> cg;
    cg.setTolerance(options.tolerance);
    cg.setMaxIterations(options.max_iterations);
    cg.compute(A);
    const Eigen::Map<const Eigen::VectorXd> rhs(b[size_t(c)].data(), Eigen::Index(n));
    Eigen::VectorXd sol;
    if (guess.empty()) {
      sol = cg.solve(rhs);
    } else {
      const Eigen::Map<const Eigen::VectorXd> start(guess[size_t(c)].data(), Eigen::Index(n));
      sol = cg.solveWithGuess(rhs, start);
    }
    if (cg.info() != Eigen::Success) {
      failed_iterations[size_t(c)] = int(cg.iterations());
      failed_error[size_t(c)] = cg.error();
    }
    std::copy(sol.data(), sol.data() + n, x[size_t(c)].begin());
  }
  for (size_t c = 0; c < b.size(); ++c)
    CSGIS_CHECK(failed_iterations[c] < 0, options.who, ": conjugate gradient did not converge (",
                failed_iterations[c], " iterations, error ", failed_error[c], ")");
  return x;
}

}  // namespace csgis::data::smoothers
