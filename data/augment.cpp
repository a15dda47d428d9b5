// Augmentation as one inverse affine map per sample (flip, quarter turns, rotation, crop) plus a
// shared colour jitter. Output pixel p maps to source c + A (p - c_out), centres measured from the
// middle of each image, so quarter turns and flips of integer-aligned crops land on pixel centres.
#include "data/augment.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/generator.h"

namespace csgis::data {

namespace {

struct Affine {  // (su, sv) = (a u + b v, c u + d v)
  float a = 1, b = 0, c = 0, d = 1;
};

Affine mul(const Affine& m, const Affine& n) {
  return {m.a * n.a + m.b * n.c, m.a * n.b + m.b * n.d, m.c * n.a + m.d * n.c, m.c * n.b + m.d * n.d};
}

Affine quarter_turns(int k) {  // output -> source for k counter-clockwise quarter turns
  switch (((k % 4) + 4) % 4) {
    case 1: return {0, -1, 1, 0};
    case 2: return {-1, 0, 0, -1};
    case 3: return {0, 1, -1, 0};
    default: return {};
  }
}

Image warp_bilinear(const Image& src, int ow, int oh, const Affine& A, float cx, float cy) {
  Image out(ow, oh, src.channels);
  const float hx = (ow - 1) * 0.5f, hy = (oh - 1) * 0.5f;
  const int C = src.channels, W = src.width, H = src.height;
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      const float u = x - hx, v = y - hy;
      const float sx = cx + A.a * u + A.b * v, sy = cy + A.c * u + A.d * v;
      const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
      const float fx = sx - x0, fy = sy - y0;
      const int xa = std::clamp(x0, 0, W - 1), xb = std::clamp(x0 + 1, 0, W - 1);
      const int ya = std::clamp(y0, 0, H - 1), yb = std::clamp(y0 + 1, 0, H - 1);
      for (int c = 0; c < C; ++c) {
        float val = src.at(xa, ya, c);
        // Only blend when the point is off the pixel centre: exact copies stay exact.
        if (fx != 0.f) val = val * (1 - fx) + src.at(xb, ya, c) * fx;
        if (fy != 0.f) {
          float low = src.at(xa, yb, c);
          if (fx != 0.f) low = low * (1 - fx) + src.at(xb, yb, c) * fx;
          val = val * (1 - fy) + low * fy;
        }
        out.at(x, y, c) = val;
      }
    }
  return out;
}

LabelMap warp_nearest(const LabelMap& src, int ow, int oh, const Affine& A, float cx, float cy) {
  LabelMap out(ow, oh);
  const float hx = (ow - 1) * 0.5f, hy = (oh - 1) * 0.5f;
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      const float u = x - hx, v = y - hy;
      const int sx = int(std::floor(cx + A.a * u + A.b * v + 0.5f));
      const int sy = int(std::floor(cy + A.c * u + A.d * v + 0.5f));
      out.at(x, y) = src.at(std::clamp(sx, 0, src.width - 1), std::clamp(sy, 0, src.height - 1));
    }
  return out;
}

Sample warp(const Sample& s, int ow, int oh, const Affine& A, float cx, float cy) {
  Sample o;
  o.name = s.name;
  o.texture = s.texture;
  o.input = warp_bilinear(s.input, ow, oh, A, cx, cy);
  o.gt = warp_bilinear(s.gt, ow, oh, A, cx, cy);
  o.over = warp_bilinear(s.over, ow, oh, A, cx, cy);
  o.edge = warp_nearest(s.edge, ow, oh, A, cx, cy);
  o.seg = warp_nearest(s.seg, ow, oh, A, cx, cy);
  return o;
}

void check_aligned(const Sample& s) {
  const int W = s.gt.width, H = s.gt.height;
  auto same = [&](int w, int h) { return w == W && h == H; };
  CSGIS_CHECK(same(s.input.width, s.input.height) && same(s.over.width, s.over.height) &&
                  same(s.edge.width, s.edge.height) && same(s.seg.width, s.seg.height),
              "sample '", s.name, "': its five maps differ in size");
  CSGIS_CHECK(s.input.channels == 3 && s.gt.channels == 3 && s.over.channels == 3,
              "sample '", s.name, "': input, gt and over must be RGB");
}

// Integer crop offsets [lo, hi] that keep the rotated patch of half-extent `ext` inside [0, n-1]
// with the patch centre at offset + half.
bool offset_range(int n, float half, float ext, int& lo, int& hi) {
  lo = int(std::ceil(ext - half - 1e-4f));
  hi = int(std::floor(n - 1 - ext - half + 1e-4f));
  return lo <= hi;
}

}  // namespace

AugmentConfig AugmentConfig::none(int patch) {
  AugmentConfig c;
  c.patch = patch;
  c.random_crop = c.hflip = c.rot90 = false;
  c.max_angle_deg = c.brightness = c.contrast = c.saturation = 0.f;
  return c;
}

Sample flip_horizontal(const Sample& s) {
  check_aligned(s);
  return warp(s, s.width(), s.height(), {-1, 0, 0, 1}, (s.width() - 1) * 0.5f, (s.height() - 1) * 0.5f);
}

Sample rotate90(const Sample& s, int k) {
  check_aligned(s);
  const bool odd = (((k % 4) + 4) % 4) % 2 == 1;
  const int ow = odd ? s.height() : s.width(), oh = odd ? s.width() : s.height();
  return warp(s, ow, oh, quarter_turns(k), (s.width() - 1) * 0.5f, (s.height() - 1) * 0.5f);
}

double max_fitting_angle_deg(int n, int patch) {
  CSGIS_CHECK(patch > 0 && n >= patch, "max_fitting_angle_deg: source ", n, " smaller than patch ", patch);
  if (patch == 1) return 45.0;
  if (n - patch < 2) return 0.0;  // no whole pixel of margin on either side
  const double half = (patch - 1) * 0.5;
  // The widest rotated half-extent the integer crop grid allows (offset_range's condition).
  const double factor = 1.0 + double((n - patch) / 2) / half;  // bound on |cos a| + |sin a|
  if (factor >= std::sqrt(2.0)) return 45.0;
  // |cos a| + |sin a| = sqrt(2) sin(a + 45 deg) on [0, 45 deg], increasing.
  return std::max(0.0, std::asin(factor / std::sqrt(2.0)) * 180.0 / M_PI - 45.0);
}

void scale_brightness(Sample& s, float factor) {
  if (factor == 1.f) return;
  for (Image* img : {&s.input, &s.gt, &s.over})
    for (float& v : img->pixels) v = std::clamp(v * factor, 0.f, 1.f);
}

namespace {

// Hexcone HSV, H in [0, 1) (torchvision's _rgb2hsv / _hsv2rgb).
void shift_pixel_hue(float* p, float turns) {
  const float r = p[0], g = p[1], b = p[2];
  const float mx = std::max({r, g, b}), mn = std::min({r, g, b}), chroma = mx - mn;
  if (chroma <= 0.f) return;  // grey: no hue to move
  float h;
  if (mx == r) h = (g - b) / chroma;
  else if (mx == g) h = 2.f + (b - r) / chroma;
  else h = 4.f + (r - g) / chroma;
  h = h / 6.f + turns;
  h -= std::floor(h);  // wrap into [0, 1)
  const float sat = chroma / mx, v = mx;
  const float h6 = h * 6.f;
  const int sector = std::min(int(h6), 5);
  const float f = h6 - float(sector);
  const float lo = v * (1.f - sat), down = v * (1.f - sat * f), up = v * (1.f - sat * (1.f - f));
  float out[3];
  switch (sector) {
    case 0: out[0] = v, out[1] = up, out[2] = lo; break;
    case 1: out[0] = down, out[1] = v, out[2] = lo; break;
    case 2: out[0] = lo, out[1] = v, out[2] = up; break;
    case 3: out[0] = lo, out[1] = down, out[2] = v; break;
    case 4: out[0] = up, out[1] = lo, out[2] = v; break;
    default: out[0] = v, out[1] = lo, out[2] = down; break;
  }
  for (int c = 0; c < 3; ++c) p[c] = std::clamp(out[c], 0.f, 1.f);
}

}  // namespace

void shift_hue(Sample& s, float turns) {
  if (turns == 0.f) return;  // keep exact
  for (Image* img : {&s.input, &s.gt, &s.over}) {
    const size_t n = size_t(img->width) * img->height;
    for (size_t i = 0; i < n; ++i) shift_pixel_hue(&img->pixels[i * 3], turns);
  }
}

void colour_jitter(Sample& s, float brightness, float contrast, float saturation) {
  if (brightness == 0.f && contrast == 1.f && saturation == 1.f) return;  // keep exact
  double sum = 0;
  const size_t n = size_t(s.gt.width) * s.gt.height;
  for (size_t i = 0; i < n; ++i) {
    const float* p = &s.gt.pixels[i * 3];
    sum += 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
  }
  const float mean = n ? float(sum / double(n)) : 0.f;  // one pivot for all three maps
  for (Image* img : {&s.input, &s.gt, &s.over})
    for (size_t i = 0; i < n; ++i) {
      float* p = &img->pixels[i * 3];
      const float grey = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
      for (int c = 0; c < 3; ++c) {
        const float sat = grey + saturation * (p[c] - grey);
        p[c] = std::clamp(mean + contrast * (sat - mean) + brightness, 0.f, 1.f);
      }
    }
}

Sample augment(const Sample& s, const AugmentConfig& cfg, Generator& g) {
  check_aligned(s);
  const int P = cfg.patch, W = s.width(), H = s.height();
  CSGIS_CHECK(P > 0, "augment: patch must be positive, got ", P);
  if (W < P || H < P)
    CSGIS_FAIL("sample '", s.name, "' is ", W, "x", H, ", smaller than the ", P, "x", P, " patch");
  CSGIS_CHECK(cfg.max_angle_deg >= 0.f && cfg.max_angle_deg <= 45.f, "augment: max_angle_deg must be in [0, 45], got ",
              cfg.max_angle_deg);
  // A fixed number of draws in a fixed order, whatever the flags: the stream stays aligned. The
  // first eight are the original augmentation's, so its configurations keep their exact output.
  const bool flip = g.uniform() < 0.5;
  const int k = int(g.randint(4));
  const double angle_u = g.uniform(-1.0, 1.0);
  const double ux = g.uniform(), uy = g.uniform();
  const float bright = float(g.uniform(-cfg.brightness, cfg.brightness));
  const float contr = cfg.use_contrast_range ? float(g.uniform(cfg.contrast_lo, cfg.contrast_hi))
                                             : float(g.uniform(1.0 - cfg.contrast, 1.0 + cfg.contrast));
  const float satur = float(g.uniform(1.0 - cfg.saturation, 1.0 + cfg.saturation));
  const float hue = float(g.uniform(-cfg.hue, cfg.hue));
  const float bright_factor = float(g.uniform(cfg.brightness_factor_lo, cfg.brightness_factor_hi));

  Affine A;
  if (cfg.hflip && flip) A = {-1, 0, 0, 1};
  if (cfg.rot90) A = mul(quarter_turns(k), A);
  const float half = (P - 1) * 0.5f;
  int lox = 0, hix = 0, loy = 0, hiy = 0;
  if (cfg.max_angle_deg > 0.f) {
    // The range shrinks to the largest angle the margin allows; a full-range fit is the original
    // expression, bit for bit.
    const double fits = max_fitting_angle_deg(std::min(W, H), P);
    const double th = fits >= cfg.max_angle_deg ? angle_u * cfg.max_angle_deg * M_PI / 180.0
                                                : angle_u * fits * M_PI / 180.0;
    const Affine R = mul({float(std::cos(th)), float(-std::sin(th)), float(std::sin(th)),
                          float(std::cos(th))}, A);
    if (offset_range(W, half, half * (std::fabs(R.a) + std::fabs(R.b)), lox, hix) &&
        offset_range(H, half, half * (std::fabs(R.c) + std::fabs(R.d)), loy, hiy))
      A = R;  // else (float rounding at the limit): the rotation is skipped
  }
  // Offsets for the (possibly rotated) patch; a skipped rotation falls back to the plain range.
  if (!offset_range(W, half, half * (std::fabs(A.a) + std::fabs(A.b)), lox, hix)) lox = hix = 0;
  if (!offset_range(H, half, half * (std::fabs(A.c) + std::fabs(A.d)), loy, hiy)) loy = hiy = 0;
  int ox, oy;
  if (cfg.random_crop) {
    ox = lox + std::min(int(ux * (hix - lox + 1)), hix - lox);
    oy = loy + std::min(int(uy * (hiy - loy + 1)), hiy - loy);
  } else {
    ox = (lox + hix) / 2;
    oy = (loy + hiy) / 2;
  }
  Sample out = warp(s, P, P, A, ox + half, oy + half);
  scale_brightness(out, bright_factor);
  colour_jitter(out, bright, contr, satur);
  shift_hue(out, hue);
  return out;
}

}  // namespace csgis::data
