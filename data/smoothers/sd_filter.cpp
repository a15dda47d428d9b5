#include "data/smoothers/sd_filter.h"

#include <algorithm>
#include <cmath>

#include "data/smoothers/sparse_laplacian.h"
#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {

constexpr double kWeightFloor = 1e-5;  // makeweightsL2's EPSILON

// |v_i - v_j|^2 over channels, for every link; v is HWC with C channels.
std::vector<double> link_distances(const std::vector<double>& v, int C, const std::vector<SdLink>& links) {
  std::vector<double> d(links.size());
  const int64_t n = int64_t(links.size());
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t e = 0; e < n; ++e) {
    double s = 0;
    for (int c = 0; c < C; ++c) {
      const double diff = v[size_t(links[size_t(e)].i) * C + c] - v[size_t(links[size_t(e)].j) * C + c];
      s += diff * diff;
    }
    d[size_t(e)] = s;
  }
  return d;
}

}  // namespace

void SdFilterParams::validate() const {
  CSGIS_CHECK(lambda > 0 && std::isfinite(lambda), "SD filter: lambda must be > 0, got ", lambda);
  CSGIS_CHECK(mu >= 0 && std::isfinite(mu), "SD filter: mu must be >= 0, got ", mu);
  CSGIS_CHECK(nu > 0 && std::isfinite(nu), "SD filter: nu must be > 0, got ", nu);
  CSGIS_CHECK(steps >= 1, "SD filter: steps must be >= 1, got ", steps);
}

std::vector<SdLink> sd_filter_links(int W, int H) {
  std::vector<SdLink> links;
  links.reserve(size_t(W) * H * 4);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int i = y * W + x;
      if (x + 1 < W) links.push_back({i, i + 1});
      if (y + 1 < H) links.push_back({i, i + W});
      if (x + 1 < W && y + 1 < H) links.push_back({i, i + W + 1});
      if (x > 0 && y + 1 < H) links.push_back({i, i + W - 1});
    }
  return links;
}

Image sd_filter(const Image& img, const SdFilterParams& p) {
  p.validate();
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "SD filter: 1 or 3 channels expected, got ", img.channels);
  const int W = img.width, H = img.height, C = img.channels;
  CSGIS_CHECK(W >= 1 && H >= 1 && img.pixels.size() == size_t(W) * H * C, "SD filter: empty or inconsistent image ",
              W, "x", H);
  const size_t N = size_t(W) * H;
  const std::vector<double> f(img.pixels.begin(), img.pixels.end());
  const std::vector<SdLink> links = sd_filter_links(W, H);

  // Static weights from the guide g = f, with the normalisation s shared by the dynamic ones.
  const std::vector<double> dg = link_distances(f, C, links);
  double s = 0;
  for (double d : dg) s = std::max(s, d);
  if (s <= 0) s = 1;
  std::vector<double> static_w(links.size());
  for (size_t e = 0; e < links.size(); ++e) static_w[e] = std::exp(-p.mu * dg[e] / s) + kWeightFloor;

  std::vector<std::vector<double>> rhs(static_cast<size_t>(C), std::vector<double>(N)), u;
  for (int c = 0; c < C; ++c)
    for (size_t i = 0; i < N; ++i) rhs[size_t(c)][i] = f[i * C + c];
  std::vector<double> uk(N * C, 1.0);  // u^0 = constant: dynamic weights all 1 + 1e-5
  std::vector<PixelLink> system(links.size());
  LaplacianSolveOptions solve;
  solve.who = "SD filter";
  for (int step = 0; step < p.steps; ++step) {
    const std::vector<double> du = link_distances(uk, C, links);
    for (size_t e = 0; e < links.size(); ++e)
      system[e] = {links[e].i, links[e].j,
                   p.lambda * static_w[e] * (std::exp(-p.nu * du[e] / s) + kWeightFloor)};
    // Warm start: f for the first step (u^0 is far from the solution), then the previous iterate.
    u = solve_screened_laplacian(N, {}, system, rhs, step == 0 ? rhs : u, solve);
    for (int c = 0; c < C; ++c)
      for (size_t i = 0; i < N; ++i) uk[i * C + c] = u[size_t(c)][i];
  }
  Image out(W, H, C);
  for (size_t i = 0; i < N * C; ++i) out.pixels[i] = float(uk[i]);
  return out;
}

}  // namespace csgis::data::smoothers
