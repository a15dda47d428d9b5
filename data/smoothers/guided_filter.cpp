#include "data/smoothers/guided_filter.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/error.h"

namespace csgis::data::smoothers {

std::string guide_mode_name(GuideMode mode) { return mode == GuideMode::Gray ? "gray" : "self"; }

void GuidedFilterParams::validate() const {
  CSGIS_CHECK(radius >= 1, "guided filter: radius must be >= 1, got ", radius);
  CSGIS_CHECK(eps > 0 && std::isfinite(eps), "guided filter: eps must be a positive number, got ", eps);
}

namespace {

// Box means over the clipped (2r+1)^2 window of K interleaved quantities per pixel, for the rows
// [y_first, y_last] of an H-row image: `fill(y, row)` writes row y's W*K values, `emit(y, means)`
// receives row y's W*K means. Vertical sums slide (add the row entering the window, subtract the one
// leaving it) in double from y_first on; horizontal ones are differences of a per-row prefix sum.
// So the cost per pixel does not depend on r, and the sums' rounding depends only on y_first.
template <int K>
struct SlidingBoxMeans {
  std::vector<double> col, row, prefix, means, inv_count;
  template <class Fill, class Emit>
  void run(int W, int H, int r, int y_first, int y_last, const Fill& fill, const Emit& emit) {
    const size_t row_len = size_t(W) * K;
    col.assign(row_len, 0.0);
    row.resize(row_len);
    prefix.resize(row_len + K);
    means.resize(row_len);
    inv_count.resize(size_t(W));
    for (int yy = std::max(0, y_first - r); yy <= std::min(H - 1, y_first + r); ++yy) {
      fill(yy, row.data());
      for (size_t i = 0; i < row_len; ++i) col[i] += row[i];
    }
    for (int y = y_first; y <= y_last; ++y) {
      if (y > y_first) {
        if (y + r < H) {
          fill(y + r, row.data());
          for (size_t i = 0; i < row_len; ++i) col[i] += row[i];
        }
        if (y - r - 1 >= 0) {
          fill(y - r - 1, row.data());
          for (size_t i = 0; i < row_len; ++i) col[i] -= row[i];
        }
      }
      // Running totals in registers: a vectorised prefix[i + K] = prefix[i] + col[i] would reload
      // values it has just stored (a store-forwarding stall per step).
      double run[K] = {};
      for (int k = 0; k < K; ++k) prefix[size_t(k)] = 0;
      for (int x = 0; x < W; ++x)
        for (int k = 0; k < K; ++k) prefix[size_t(x + 1) * K + k] = run[k] += col[size_t(x) * K + k];
      const int rows_in = std::min(H - 1, y + r) - std::max(0, y - r) + 1;
      for (int x = 0; x < W; ++x)
        inv_count[size_t(x)] = 1.0 / double((std::min(W - 1, x + r) - std::max(0, x - r) + 1) * rows_in);
      for (int x = 0; x < W; ++x) {
        const double* hi = &prefix[size_t(std::min(W - 1, x + r) + 1) * K];
        const double* lo = &prefix[size_t(std::max(0, x - r)) * K];
        double* m = &means[size_t(x) * K];
        for (int k = 0; k < K; ++k) m[k] = (hi[k] - lo[k]) * inv_count[size_t(x)];
      }
      emit(y, means.data());
    }
  }
};

// The filter on interleaved buffers: `guide` has G channels (G == C or 1), `src` C; `out` gets C.
// SELF: guide and src are the same buffer, so cov(I, p) = var(I) and half the means suffice.
// Work is split into bands of rows: each band computes the coefficients (a, b) of the rows its
// second box reaches (r more on each side) into a buffer of its own, then its output rows. The band
// height is fixed by r alone, never by the thread count, so every sum's rounding, hence every
// output bit, is the same whatever the number of threads.
template <int G, int C, bool SELF>
void guided_filter_interleaved(const float* guide, const float* src, float* out, int W, int H, int r, double eps) {
  // Stage 1 quantities per pixel: SELF [I_c, I_c^2] per channel; otherwise
  // [I_g.., I_g^2.., p_c.., I_g(c) p_c..].
  constexpr int K = SELF ? 2 * C : 2 * G + 2 * C, K2 = 2 * C;
  const int band_rows = std::max(32, 4 * r), bands = (H + band_rows - 1) / band_rows;
  const size_t ab_row = size_t(W) * K2;
  // One parallel region for a small image costs more than its whole filter.
#pragma omp parallel if (size_t(W) * size_t(H) >= (size_t(1) << 17))
  {
    SlidingBoxMeans<K> box1;
    SlidingBoxMeans<K2> box2;
    std::vector<double> ab;  // a_c, b_c per pixel, interleaved, rows [ya, yb] of the band
#pragma omp for schedule(dynamic)
    for (int band = 0; band < bands; ++band) {
      const int y0 = band * band_rows, y1 = std::min(H, y0 + band_rows) - 1;
      const int ya = std::max(0, y0 - r), yb = std::min(H - 1, y1 + r);
      ab.resize(size_t(yb - ya + 1) * ab_row);
      auto fill1 = [&](int y, double* q) {
        const float* gi = guide + size_t(y) * W * G;
        const float* pi = src + size_t(y) * W * C;
        for (int x = 0; x < W; ++x, q += K) {
          if (SELF) {
            for (int c = 0; c < C; ++c) {
              const double I = gi[x * C + c];
              q[2 * c] = I;
              q[2 * c + 1] = I * I;
            }
          } else {
            for (int g = 0; g < G; ++g) {
              const double I = gi[x * G + g];
              q[g] = I;
              q[G + g] = I * I;
            }
            for (int c = 0; c < C; ++c) {
              const double p = pi[x * C + c];
              q[2 * G + c] = p;
              q[2 * G + C + c] = double(gi[x * G + (G == 1 ? 0 : c)]) * p;
            }
          }
        }
      };
      auto emit1 = [&](int y, const double* m) {
        double* abr = &ab[size_t(y - ya) * ab_row];
        for (int x = 0; x < W; ++x, m += K, abr += K2)
          for (int c = 0; c < C; ++c) {
            const int g = G == 1 ? 0 : c;
            const double mI = SELF ? m[2 * c] : m[g], mII = SELF ? m[2 * c + 1] : m[G + g];
            const double mp = SELF ? mI : m[2 * G + c], mIp = SELF ? mII : m[2 * G + C + c];
            // Population variance; E[I^2] - E[I]^2 can dip a hair below zero in floating point.
            const double var = std::max(0.0, mII - mI * mI);
            const double a = (mIp - mI * mp) / (var + eps);
            abr[2 * c] = a;
            abr[2 * c + 1] = mp - a * mI;
          }
      };
      box1.run(W, H, r, ya, yb, fill1, emit1);
      auto fill2 = [&](int y, double* q) { std::copy_n(&ab[size_t(y - ya) * ab_row], ab_row, q); };
      auto emit2 = [&](int y, const double* m) {
        const float* gi = guide + size_t(y) * W * G;
        float* o = out + size_t(y) * W * C;
        for (int x = 0; x < W; ++x, m += K2)
          for (int c = 0; c < C; ++c)
            o[x * C + c] = float(m[2 * c] * double(gi[x * G + (G == 1 ? 0 : c)]) + m[2 * c + 1]);
      };
      box2.run(W, H, r, y0, y1, fill2, emit2);
    }
  }
}

}  // namespace

std::vector<double> box_mean(const std::vector<double>& in, int w, int h, int r) {
  CSGIS_CHECK(w > 0 && h > 0 && in.size() == size_t(w) * size_t(h) && r >= 0,
              "box_mean: bad arguments ", w, "x", h, " r ", r, " size ", in.size());
  // Integral image with a zero first row and column: S(x1+1, y1+1) - S(x0, y1+1) - ... sums any
  // rectangle in four reads, so the cost does not depend on r.
  const size_t W = size_t(w) + 1;
  std::vector<double> S(W * (size_t(h) + 1), 0.0);
  for (int y = 0; y < h; ++y) {
    double row = 0;
    for (int x = 0; x < w; ++x) {
      row += in[size_t(y) * w + x];
      S[(y + 1) * W + x + 1] = S[y * W + x + 1] + row;
    }
  }
  std::vector<double> out(in.size());
  // Threads only pay off on large images: a parallel region per box filter costs more than a
  // small image's whole filter, and far more on a loaded machine.
#pragma omp parallel for schedule(static) if (size_t(w) * size_t(h) >= (size_t(1) << 18))
  for (int y = 0; y < h; ++y) {
    const int y0 = std::max(0, y - r), y1 = std::min(h - 1, y + r);
    for (int x = 0; x < w; ++x) {
      const int x0 = std::max(0, x - r), x1 = std::min(w - 1, x + r);
      const double s = S[(y1 + 1) * W + x1 + 1] - S[y0 * W + x1 + 1] - S[(y1 + 1) * W + x0] + S[y0 * W + x0];
      out[size_t(y) * w + x] = s / double((x1 - x0 + 1) * (y1 - y0 + 1));
    }
  }
  return out;
}

std::vector<float> guided_filter_channel(const std::vector<float>& guide, const std::vector<float>& src,
                                         int w, int h, int radius, double eps) {
  const size_t n = size_t(w) * size_t(h);
  CSGIS_CHECK(w > 0 && h > 0 && radius >= 0, "guided_filter_channel: bad size ", w, "x", h, " or radius ", radius);
  CSGIS_CHECK(guide.size() == n && src.size() == n, "guided_filter_channel: expected ", n,
              " values per plane, got ", guide.size(), " and ", src.size());
  std::vector<float> q(n);
  guided_filter_interleaved<1, 1, false>(guide.data(), src.data(), q.data(), w, h, radius, eps);
  return q;
}

Image guided_filter(const Image& img, const GuidedFilterParams& params) {
  params.validate();
  CSGIS_CHECK(!img.empty() && (img.channels == 1 || img.channels == 3),
              "guided filter: expected a grey or RGB image, got ", img.width, "x", img.height, "x",
              img.channels);
  const int w = img.width, h = img.height, C = img.channels;
  Image out(w, h, C);
  if (params.guide == GuideMode::Gray) {
    const std::vector<float> gray = to_gray(img);
    auto run = C == 1 ? guided_filter_interleaved<1, 1, false> : guided_filter_interleaved<1, 3, false>;
    run(gray.data(), img.pixels.data(), out.pixels.data(), w, h, params.radius, params.eps);
  } else {
    auto run = C == 1 ? guided_filter_interleaved<1, 1, true> : guided_filter_interleaved<3, 3, true>;
    run(img.pixels.data(), img.pixels.data(), out.pixels.data(), w, h, params.radius, params.eps);
  }
  return out;
}

GfTuneResult tune_guided_filter(int64_t count, const GfPairLoader& load, const std::vector<int>& radii,
                                const std::vector<double>& eps_values, const GfScorer& score,
                                GuideMode guide, const std::function<void(int64_t)>& progress) {
  CSGIS_CHECK(!radii.empty() && !eps_values.empty(), "tune_guided_filter: empty parameter grid");
  CSGIS_CHECK(count > 0, "tune_guided_filter: no samples to tune on");
  GfTuneResult result;
  for (int r : radii)
    for (double e : eps_values) {
      GuidedFilterParams{r, e, guide}.validate();  // fail before any work
      result.grid.push_back({r, e, 0.0, 0.0});
    }
  // Sample-major: each pair is read from disk once and filtered with every setting.
  for (int64_t i = 0; i < count; ++i) {
    const std::pair<Image, Image> pair = load(i);
    for (GfScore& g : result.grid) {
      const std::pair<double, double> s = score(guided_filter(pair.first, {g.radius, g.eps, guide}), pair.second);
      g.psnr += s.first;
      g.ssim += s.second;
    }
    if (progress) progress(i + 1);
  }
  for (GfScore& g : result.grid) {
    g.psnr /= double(count);
    g.ssim /= double(count);
  }
  result.best = result.grid.front();
  for (const GfScore& g : result.grid)
    if (g.psnr > result.best.psnr) result.best = g;
  return result;
}

}  // namespace csgis::data::smoothers
