// The static/dynamic (SD) filter (Ham, Cho and Ponce, "Robust guided image filtering using nonconvex
// potentials", TPAMI 2018), self-guided, a classical baseline (`sdf`). Follows the authors' released
// sdfilter.m and its scale-space demo (runSDF_scale_space.m: 8-neighbour lattice, mu 50, nu 400,
// 10 steps, constant u^0, lambda 3e1, 4e3 or 3e5). It minimises
//   E(u) = sum_i |u_i - f_i|^2 + lambda sum_{(i,j) in N8} phi(i,j) s Psi(|u_i - u_j|^2 / s),
//   phi(i,j) = exp(-mu |g_i - g_j|^2 / s) + 1e-5             (static guidance, g = f),
//   Psi(t)   = (1 - exp(-nu t)) / nu + 1e-5 t                  (Welsch: dynamic guidance),
// |.|^2 the squared Euclidean distance over channels and s the largest |f_i - f_j|^2 over the
// links (1 for a constant image): the toolbox normalises link distances to [0,1] (makeweightsL2),
// so mu and nu do not depend on the data range and the authors' values apply to [0,1] images as
// they are. Each +1e-5 is makeweightsL2's weight floor. Majorize-minimize: Psi is concave in t, so
//   u^{k+1} = argmin sum |u - f|^2 + lambda sum phi(i,j) psi_k(i,j) |u_i - u_j|^2,
//   psi_k(i,j) = exp(-nu |u^k_i - u^k_j|^2 / s) + 1e-5,
// i.e. (I + lambda L_{phi psi_k}) u = f per channel (data/smoothers/sparse_laplacian.h, CG to a
// relative residual 1e-6), and E(u^{k+1}) <= E(u^k). u^0 is constant (the demo's ones(m,n,c)), so
// step 1 is the static WLS. Diagonal links weigh as much as the axial ones (the lattice has no
// geometric term); no link crosses the image border.
// Where we differ from sdfilter.m: (1) colour distances are taken in RGB, where the authors convert
// both guides to CIELAB; (2) s is fixed from f, where makeweightsL2 renormalises every step by the
// current u^k's largest (and smallest) link distance, which changes the energy between steps; (3)
// normalisation divides by the largest distance without subtracting the smallest (0 on any image
// with two equal neighbours). With (2) the iteration is a true MM on the fixed E above.
// Default lambda: 30, the demo's finest scale; the "lambda 3" gives a barely visible smoothing.
#pragma once
#include <vector>

#include "data/image.h"

namespace csgis::data::smoothers {

struct SdFilterParams {
  double lambda = 30.0;   // regularisation weight; > 0
  double mu = 50.0;       // static guidance bandwidth (on normalised squared distances); >= 0
  double nu = 400.0;      // dynamic guidance bandwidth; > 0
  int steps = 10;         // MM steps; >= 1
  void validate() const;  // throws csgis::Error naming the bad field
};

// The 8-neighbour links of a W x H image, each once, in the order the filter assembles them: for
// each pixel (row-major), its right, down, down-right and down-left neighbours where they exist.
struct SdLink {
  int i, j;
};
std::vector<SdLink> sd_filter_links(int W, int H);

// Grey or RGB image in [0,1] -> same shape (not clipped).
Image sd_filter(const Image& img, const SdFilterParams& params = {});

}  // namespace csgis::data::smoothers
