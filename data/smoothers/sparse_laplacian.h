// The sparse system shared by the least-squares smoothers (RTV, WLS, SD filter):
//   (diag(data_weight) + L_w) x_c = b_c   for each channel c,
// L_w the weighted graph Laplacian of a set of pixel links, sum_e w_e (e_i - e_j)(e_i - e_j)^T.
// It is symmetric positive definite when every data weight is > 0 (or, with some zero, when each
// linked component keeps one), so it is solved by Eigen's conjugate gradient (Debian's
// libeigen3-dev) with its default Jacobi preconditioner, one channel per OpenMP thread.
// Links are added in the caller's order and the matrix assembled in that order, so a caller that
// keeps its loop order gets the same bits whatever the thread count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace csgis::data::smoothers {

struct PixelLink {
  int32_t i, j;  // pixel indices, i != j
  double w;      // > 0
};

struct LaplacianSolveOptions {
  double tolerance = 1e-6;  // relative residual |A x - b| / |b|
  int max_iterations = 5000;
  const char* who = "least-squares smoother";  // named in error messages
  bool threaded = true;  // channels on OpenMP threads; RTV keeps its solves on the calling thread
                         // (the VOC-smooth builder runs it on its own worker threads)
};

// x[c] solves the system for b[c]; guess[c] (same sizes, or empty) starts the iteration.
// data_weight: n entries, or empty for all ones. Throws naming `who` when CG does not converge.
std::vector<std::vector<double>> solve_screened_laplacian(std::size_t n, const std::vector<double>& data_weight,
                                                          const std::vector<PixelLink>& links,
                                                          const std::vector<std::vector<double>>& b,
                                                          const std::vector<std::vector<double>>& guess,
                                                          const LaplacianSolveOptions& options = {});

}  // namespace csgis::data::smoothers
