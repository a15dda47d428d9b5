#include "data/smoothers/bilateral_simd.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define CSGIS_BILATERAL_AVX2 1
#endif

#include "engine/error.h"

namespace csgis::data::smoothers {

namespace {

constexpr int kLanes = 8;           // pixels per step (one AVX2 register of floats)
constexpr float kClipGuide = 1e4f;  // the guide outside the image under Clip: weight exp(-huge) = 0

// OpenCV's BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), repeated for windows wider than the image.
int reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// An image's channels as planes of `stride` x (H + 2 ry) floats: column i holds x = i - rx, row j
// y = j - ry, the border applied; the columns cover the rounded-up row (whole vectors of pixels).
struct PaddedPlanes {
  int stride = 0;
  size_t plane_size = 0;
  std::vector<float> data;
  const float* plane(int c) const { return data.data() + size_t(c) * plane_size; }
};

PaddedPlanes pad_planes(const Image& img, int rx, int ry, int row_len, BilateralBorder border, float outside) {
  const int W = img.width, H = img.height, C = img.channels;
  PaddedPlanes p;
  p.stride = row_len + 2 * rx;
  const int rows = H + 2 * ry;
  p.plane_size = size_t(p.stride) * rows;
  p.data.resize(p.plane_size * C);
  std::vector<int> xs(size_t(p.stride));
  for (int i = 0; i < p.stride; ++i) xs[size_t(i)] = i - rx;
  for (int j = 0; j < rows; ++j) {
    const int y = j - ry;
    const bool row_inside = y >= 0 && y < H;
    const int sy = reflect101(y, H);
    for (int i = 0; i < p.stride; ++i) {
      const int x = xs[size_t(i)];
      const bool inside = row_inside && x >= 0 && x < W;
      const float* px = &img.pixels[(size_t(sy) * W + reflect101(x, W)) * C];
      for (int c = 0; c < C; ++c)
        p.data[size_t(c) * p.plane_size + size_t(j) * p.stride + i] =
            border == BilateralBorder::Clip && !inside ? outside : px[c];
    }
  }
  return p;
}

struct TapRow {
  size_t begin, end;  // range in the tap arrays, one dy
};

#ifdef CSGIS_BILATERAL_AVX2
// e^x for x <= 0, 8 lanes: x = n ln2 + f with |f| <= ln2 / 2 (ln2 split in two so n ln2 is exact
// enough), e^f by its Taylor polynomial to degree 7 (truncation < 6e-9), times 2^n built in the
// exponent bits. Below -87 (where 2^n would leave the normal range) the result is 0.
inline __m256 exp_nonpositive(__m256 x) {
  const __m256 lowest = _mm256_set1_ps(-87.f);
  const __m256 keep = _mm256_cmp_ps(x, lowest, _CMP_GE_OQ);
  x = _mm256_max_ps(x, lowest);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 f = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  f = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), f);
  __m256 e = _mm256_set1_ps(1.f / 5040);
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(1.f / 720));
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(1.f / 120));
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(1.f / 24));
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(1.f / 6));
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(0.5f));
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(1.f));
  e = _mm256_fmadd_ps(e, f, _mm256_set1_ps(1.f));
  const __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_and_ps(_mm256_mul_ps(e, _mm256_castsi256_ps(two_n)), keep);
}

inline void add_to_double(__m256d acc[2], __m256 v) {
  acc[0] = _mm256_add_pd(acc[0], _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  acc[1] = _mm256_add_pd(acc[1], _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline __m256 ratio_to_float(const __m256d num[2], const __m256d den[2]) {
  const __m128 lo = _mm256_cvtpd_ps(_mm256_div_pd(num[0], den[0]));
  const __m128 hi = _mm256_cvtpd_ps(_mm256_div_pd(num[1], den[1]));
  return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

// Output pixels x0 .. x0 + 7 of the row whose padded-plane offset is `base`.
template <int C, int G, bool SAME, RangeDistance D>
void filter_vector(const PaddedPlanes& sp, const PaddedPlanes& gp, size_t base, const std::vector<TapRow>& rows,
                   const std::vector<ptrdiff_t>& offsets, const std::vector<float>& neg_spatial, float k,
                   float out[C][kLanes]) {
  __m256 centre[G];
  for (int g = 0; g < G; ++g) centre[g] = _mm256_loadu_ps(gp.plane(g) + base);
  const __m256 neg_k = _mm256_set1_ps(-k);
  const __m256 sign = _mm256_set1_ps(-0.f);
  __m256d num[C][2], den[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
  for (int c = 0; c < C; ++c) num[c][0] = num[c][1] = _mm256_setzero_pd();
  for (const TapRow& row : rows) {
    __m256 acc[C], wsum = _mm256_setzero_ps();
    for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
    for (size_t t = row.begin; t < row.end; ++t) {
      const size_t at = size_t(ptrdiff_t(base) + offsets[t]);
      __m256 q[G], dist = _mm256_setzero_ps();
      for (int g = 0; g < G; ++g) {
        q[g] = _mm256_loadu_ps(gp.plane(g) + at);
        const __m256 diff = _mm256_sub_ps(q[g], centre[g]);
        dist = D == RangeDistance::L1Squared ? _mm256_add_ps(dist, _mm256_andnot_ps(sign, diff))
                                             : _mm256_fmadd_ps(diff, diff, dist);
      }
      if (D == RangeDistance::L1Squared) dist = _mm256_mul_ps(dist, dist);
      const __m256 w = exp_nonpositive(_mm256_fmadd_ps(dist, neg_k, _mm256_set1_ps(neg_spatial[t])));
      for (int c = 0; c < C; ++c)
        acc[c] = _mm256_fmadd_ps(w, SAME ? q[c] : _mm256_loadu_ps(sp.plane(c) + at), acc[c]);
      wsum = _mm256_add_ps(wsum, w);
    }
    for (int c = 0; c < C; ++c) add_to_double(num[c], acc[c]);
    add_to_double(den, wsum);
  }
  for (int c = 0; c < C; ++c) _mm256_storeu_ps(out[c], ratio_to_float(num[c], den));
}
#else
template <int C, int G, bool SAME, RangeDistance D>
void filter_vector(const PaddedPlanes& sp, const PaddedPlanes& gp, size_t base, const std::vector<TapRow>& rows,
                   const std::vector<ptrdiff_t>& offsets, const std::vector<float>& neg_spatial, float k,
                   float out[C][kLanes]) {
  for (int lane = 0; lane < kLanes; ++lane) {
    const size_t b = base + size_t(lane);
    double num[C] = {}, den = 0;
    for (const TapRow& row : rows) {
      float acc[C] = {}, wsum = 0;
      for (size_t t = row.begin; t < row.end; ++t) {
        const size_t at = size_t(ptrdiff_t(b) + offsets[t]);
        float dist = 0;
        for (int g = 0; g < G; ++g) {
          const float diff = gp.plane(g)[at] - gp.plane(g)[b];
          dist += D == RangeDistance::L1Squared ? std::fabs(diff) : diff * diff;
        }
        if (D == RangeDistance::L1Squared) dist *= dist;
        const float w = std::exp(neg_spatial[t] - k * dist);
        for (int c = 0; c < C; ++c) acc[c] += w * sp.plane(c)[at];
        wsum += w;
      }
      for (int c = 0; c < C; ++c) num[c] += acc[c];
      den += wsum;
    }
    for (int c = 0; c < C; ++c) out[c][lane] = float(num[c] / den);
  }
}
#endif

template <int C, int G, bool SAME, RangeDistance D>
Image run(const Image& src, const Image& guide, const JointBilateralSpec& spec) {
  const int W = src.width, H = src.height;
  int rx = 0, ry = 0;
  for (const WeightedTap& t : spec.taps) rx = std::max(rx, std::abs(t.dx)), ry = std::max(ry, std::abs(t.dy));
  const int row_len = (W + kLanes - 1) / kLanes * kLanes;
  const PaddedPlanes gp = pad_planes(guide, rx, ry, row_len, spec.border, kClipGuide);
  PaddedPlanes sp_own;
  if (!SAME) sp_own = pad_planes(src, rx, ry, row_len, spec.border, 0.f);
  const PaddedPlanes& sp = SAME ? gp : sp_own;
  std::vector<TapRow> rows;
  std::vector<ptrdiff_t> offsets;
  std::vector<float> neg_spatial;
  for (size_t t = 0; t < spec.taps.size(); ++t) {
    const WeightedTap& tap = spec.taps[t];
    if (t == 0 || tap.dy != spec.taps[t - 1].dy) rows.push_back({t, t});
    rows.back().end = t + 1;
    offsets.push_back(ptrdiff_t(tap.dy) * gp.stride + tap.dx);
    neg_spatial.push_back(-tap.spatial_exponent);
  }
  Image out(W, H, C);
  // Dynamic rows: on a machine shared with other work, a descheduled thread's rows go to the other
  // one. Each row is computed the same whoever takes it.
#pragma omp parallel for schedule(dynamic, 4) if (spec.parallel && size_t(W) * H * spec.taps.size() > (1u << 16))
  for (int y = 0; y < H; ++y) {
    float vals[C][kLanes];
    for (int x0 = 0; x0 < W; x0 += kLanes) {
      const size_t base = size_t(y + ry) * gp.stride + size_t(x0 + rx);
      filter_vector<C, G, SAME, D>(sp, gp, base, rows, offsets, neg_spatial, spec.range_coefficient, vals);
      for (int x = x0; x < std::min(W, x0 + kLanes); ++x)
        for (int c = 0; c < C; ++c) out.pixels[(size_t(y) * W + x) * C + c] = vals[c][x - x0];
    }
  }
  return out;
}

template <RangeDistance D>
Image dispatch(const Image& src, const Image& guide, const JointBilateralSpec& spec) {
  const bool same = &src == &guide;
  if (src.channels == 3 && guide.channels == 3)
    return same ? run<3, 3, true, D>(src, guide, spec) : run<3, 3, false, D>(src, guide, spec);
  if (src.channels == 1 && guide.channels == 1)
    return same ? run<1, 1, true, D>(src, guide, spec) : run<1, 1, false, D>(src, guide, spec);
  if (src.channels == 3) return run<3, 1, false, D>(src, guide, spec);
  return run<1, 3, false, D>(src, guide, spec);
}

}  // namespace

Image joint_bilateral_simd(const Image& src, const Image& guide, const JointBilateralSpec& spec) {
  CSGIS_CHECK(src.width == guide.width && src.height == guide.height && src.width > 0 && src.height > 0,
              "joint bilateral: source ", src.width, "x", src.height, " and guide ", guide.width, "x",
              guide.height, " differ in size or are empty");
  CSGIS_CHECK((src.channels == 1 || src.channels == 3) && (guide.channels == 1 || guide.channels == 3),
              "joint bilateral: 1 or 3 channels expected, got ", src.channels, " and ", guide.channels);
  CSGIS_CHECK(!spec.taps.empty() && spec.range_coefficient > 0, "joint bilateral: no taps or a range coefficient <= 0");
  if (spec.distance == RangeDistance::L1Squared) return dispatch<RangeDistance::L1Squared>(src, guide, spec);
  return dispatch<RangeDistance::EuclideanSquared>(src, guide, spec);
}

}  // namespace csgis::data::smoothers
