// Procedural scenes: layer generation, rendering with boundary-only supersampling, region-boundary
// edges, labels, texture blending and the bilateral over-smoothing (conventions in procedural.h).
#include "data/procedural.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "engine/error.h"
#include "engine/generator.h"

namespace csgis::data {

namespace {

struct Vec {
  float x, y;
};

enum class Kind { Full, HalfPlane, Ellipse, Polygon, Strokes };

struct Segment {
  Vec a, ab;      // start and direction (b - a)
  float inv_len2; // 1/|ab|^2 (0 for a degenerate segment)
  float x0, y0, x1, y1;  // bbox grown by the half width
};

// One painter's layer: a region test and a smooth colour c0 + (c1 - c0) * t(p), where t is linear
// along `dir` or |p - o|^2 / R^2 (quadratic, so smooth even at o), 0..1 over the layer's bbox.
struct Layer {
  Kind kind = Kind::Full;
  uint8_t label = 0;
  float x0 = -1e9f, y0 = -1e9f, x1 = 1e9f, y1 = 1e9f;  // bbox of the region
  float nx = 0, ny = 0, d = 0;                           // half-plane nx*x + ny*y >= d
  float cx = 0, cy = 0, cs = 1, sn = 0, irx = 1, iry = 1, inner2 = 0;  // (ring) ellipse
  std::vector<Vec> poly;
  std::vector<Segment> segs;
  float hw2 = 1;  // squared stroke half width
  float c0[3] = {0, 0, 0}, c1[3] = {0, 0, 0};
  bool radial = false;
  Vec dir{1, 0}, o{0, 0};
  float t0 = 0, tscale = 0;  // linear: t = (dot(p,dir) - t0) * tscale; radial: t = |p-o|^2 * tscale

  bool inside(float x, float y) const {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    switch (kind) {
      case Kind::Full: return true;
      case Kind::HalfPlane: return nx * x + ny * y >= d;
      case Kind::Ellipse: {
        const float dx = x - cx, dy = y - cy;
        const float u = (dx * cs + dy * sn) * irx, v = (dy * cs - dx * sn) * iry;
        const float r2 = u * u + v * v;
        return r2 <= 1.f && r2 >= inner2;
      }
      case Kind::Polygon: {  // crossing number; star-shaped polygons are simple
        bool in = false;
        for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
          const Vec a = poly[i], b = poly[j];
          if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) in = !in;
        }
        return in;
      }
      case Kind::Strokes:
        for (const Segment& s : segs) {
          if (x < s.x0 || x > s.x1 || y < s.y0 || y > s.y1) continue;
          const float px = x - s.a.x, py = y - s.a.y;
          const float t = std::clamp((px * s.ab.x + py * s.ab.y) * s.inv_len2, 0.f, 1.f);
          const float ex = px - t * s.ab.x, ey = py - t * s.ab.y;
          if (ex * ex + ey * ey <= hw2) return true;
        }
        return false;
    }
    return false;
  }

  void colour(float x, float y, float* rgb) const {
    float t;
    if (radial) {
      const float dx = x - o.x, dy = y - o.y;
      t = (dx * dx + dy * dy) * tscale;
    } else {
      t = (x * dir.x + y * dir.y - t0) * tscale;
    }
    for (int c = 0; c < 3; ++c) rgb[c] = c0[c] + (c1[c] - c0[c]) * t;
  }
};

uint64_t mix64(uint64_t z) {  // splitmix64 finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Colours stay in [0.08, 0.92] so the texture added on top is rarely clipped; gradients change a
// channel by at most 0.3 across the layer: smooth, as the paper's ground truths are.
void random_colour(Layer& L, Generator& g, float S) {
  for (int c = 0; c < 3; ++c) L.c0[c] = float(g.uniform(0.08, 0.92));
  const double kind = g.uniform();
  if (kind < 0.35) {  // constant
    std::copy(L.c0, L.c0 + 3, L.c1);
    return;
  }
  for (int c = 0; c < 3; ++c) L.c1[c] = std::clamp(L.c0[c] + float(g.uniform(-0.3, 0.3)), 0.04f, 0.96f);
  const float bx0 = std::max(L.x0, 0.f), by0 = std::max(L.y0, 0.f);
  const float bx1 = std::min(L.x1, S), by1 = std::min(L.y1, S);
  if (kind < 0.7) {
    const double a = g.uniform(0, 2 * M_PI);
    L.dir = {float(std::cos(a)), float(std::sin(a))};
    const float p[4] = {bx0 * L.dir.x + by0 * L.dir.y, bx1 * L.dir.x + by0 * L.dir.y,
                        bx0 * L.dir.x + by1 * L.dir.y, bx1 * L.dir.x + by1 * L.dir.y};
    L.t0 = *std::min_element(p, p + 4);
    L.tscale = 1.f / std::max(*std::max_element(p, p + 4) - L.t0, 1.f);
  } else {
    L.radial = true;
    L.o = {float(g.uniform(bx0, bx1)), float(g.uniform(by0, by1))};
    float r2 = 1.f;
    for (float x : {bx0, bx1})
      for (float y : {by0, by1}) r2 = std::max(r2, (x - L.o.x) * (x - L.o.x) + (y - L.o.y) * (y - L.o.y));
    L.tscale = 1.f / r2;
  }
}

void add_segment(Layer& L, Vec a, Vec b, float hw) {
  Segment s;
  s.a = a;
  s.ab = {b.x - a.x, b.y - a.y};
  const float l2 = s.ab.x * s.ab.x + s.ab.y * s.ab.y;
  s.inv_len2 = l2 > 0 ? 1.f / l2 : 0.f;
  s.x0 = std::min(a.x, b.x) - hw;
  s.x1 = std::max(a.x, b.x) + hw;
  s.y0 = std::min(a.y, b.y) - hw;
  s.y1 = std::max(a.y, b.y) + hw;
  L.segs.push_back(s);
  if (L.segs.size() == 1) L.x0 = s.x0, L.y0 = s.y0, L.x1 = s.x1, L.y1 = s.y1;
  L.x0 = std::min(L.x0, s.x0), L.y0 = std::min(L.y0, s.y0);
  L.x1 = std::max(L.x1, s.x1), L.y1 = std::max(L.y1, s.y1);
}

// A thin curve: a quadratic Bezier as 8 capsules.
void make_curve(Layer& L, Generator& g, float S) {
  L.kind = Kind::Strokes;
  const float hw = float(g.uniform(0.6, 2.2));
  L.hw2 = hw * hw;
  Vec p[3];
  for (auto& v : p) v = {float(g.uniform(-0.1, 1.1) * S), float(g.uniform(-0.1, 1.1) * S)};
  Vec prev = p[0];
  for (int i = 1; i <= 8; ++i) {
    const float t = i / 8.f, u = 1 - t;
    const Vec q{u * u * p[0].x + 2 * u * t * p[1].x + t * t * p[2].x,
                u * u * p[0].y + 2 * u * t * p[1].y + t * t * p[2].y};
    add_segment(L, prev, q, hw);
    prev = q;
  }
}

// A row of glyphs, each 2-4 strokes between points of a 3x3 grid of its box: text-like structure.
void make_text(Layer& L, Generator& g, float S) {
  L.kind = Kind::Strokes;
  const float gh = std::max(7.f, float(g.uniform(0.06, 0.13) * S)), gw = 0.6f * gh;
  const float hw = std::max(0.6f, 0.08f * gh);
  L.hw2 = hw * hw;
  const int n = 3 + int(g.randint(6));
  const float ang = float(g.uniform(-0.25, 0.25)), ca = std::cos(ang), sa = std::sin(ang);
  const Vec start{float(g.uniform(0.0, 0.7) * S), float(g.uniform(0.1, 0.9) * S)};
  for (int k = 0; k < n; ++k) {
    const float gx = k * (gw + 0.35f * gh);
    const int strokes = 2 + int(g.randint(3));
    for (int s = 0; s < strokes; ++s) {
      const int i0 = int(g.randint(9)), i1 = (i0 + 1 + int(g.randint(8))) % 9;
      Vec ends[2];
      for (int e = 0; e < 2; ++e) {
        const int i = e ? i1 : i0;
        const float lx = gx + (i % 3) * 0.5f * gw, ly = (i / 3) * 0.5f * gh;
        ends[e] = {start.x + lx * ca - ly * sa, start.y + lx * sa + ly * ca};
      }
      add_segment(L, ends[0], ends[1], hw);
    }
  }
}

Layer make_layer(Generator& g, float S) {
  Layer L;
  // Version 1 drew the class here, at random; it is still drawn (and discarded) so that every
  // later draw, and so every image, edge and texture choice of a seed, stays what it was.
  (void)g.randint(20);
  const double k = g.uniform();
  if (k < 0.12) {
    L.kind = Kind::HalfPlane;
    L.label = kClassHalfPlane;
    const double a = g.uniform(0, 2 * M_PI);
    L.nx = float(std::cos(a)), L.ny = float(std::sin(a));
    L.d = L.nx * float(g.uniform(0.15, 0.85) * S) + L.ny * float(g.uniform(0.15, 0.85) * S);
  } else if (k < 0.38) {
    L.kind = Kind::Ellipse;
    L.cx = float(g.uniform(-0.1, 1.1) * S), L.cy = float(g.uniform(-0.1, 1.1) * S);
    const float rx = float(g.uniform(0.06, 0.35) * S), ry = float(g.uniform(0.06, 0.35) * S);
    const double a = g.uniform(0, M_PI);
    L.cs = float(std::cos(a)), L.sn = float(std::sin(a));
    L.irx = 1.f / rx, L.iry = 1.f / ry;
    if (g.uniform() < 0.2) L.inner2 = float(std::pow(g.uniform(0.3, 0.7), 2));
    L.label = L.inner2 > 0.f ? kClassRing : kClassEllipse;
    const float r = std::max(rx, ry);
    L.x0 = L.cx - r, L.x1 = L.cx + r, L.y0 = L.cy - r, L.y1 = L.cy + r;
  } else if (k < 0.68) {
    L.kind = Kind::Polygon;
    L.label = kClassPolygon;
    const Vec c{float(g.uniform(0.0, 1.0) * S), float(g.uniform(0.0, 1.0) * S)};
    const float R = float(g.uniform(0.08, 0.4) * S);
    const int n = 3 + int(g.randint(7));
    L.x0 = L.y0 = 1e9f, L.x1 = L.y1 = -1e9f;
    for (int i = 0; i < n; ++i) {  // increasing angles around c: a star-shaped, simple polygon
      const double a = (i + g.uniform(0.1, 0.9)) * 2 * M_PI / n, r = R * g.uniform(0.4, 1.0);
      const Vec v{c.x + float(r * std::cos(a)), c.y + float(r * std::sin(a))};
      L.poly.push_back(v);
      L.x0 = std::min(L.x0, v.x), L.x1 = std::max(L.x1, v.x);
      L.y0 = std::min(L.y0, v.y), L.y1 = std::max(L.y1, v.y);
    }
  } else if (k < 0.86) {
    make_curve(L, g, S);
    L.label = kClassCurve;
  } else {
    make_text(L, g, S);
    L.label = kClassText;
  }
  random_colour(L, g, S);
  return L;
}

int top_layer(const std::vector<Layer>& layers, float x, float y) {
  for (int i = int(layers.size()) - 1; i > 0; --i)
    if (layers[i].inside(x, y)) return i;
  return 0;
}

}  // namespace

// The offset is drawn first, as the plain blend_texture(gen) does, and the variety draws happen only
// when switched on: with the defaults a seed gives the same samples as before these options existed.
static TexturePlacement draw_placement(const ProceduralConfig& cfg, const Texture& tex, Generator& g, float* strength) {
  TexturePlacement at;
  at.ox = int(g.randint(uint64_t(std::max(tex.rgb.width, 1))));
  at.oy = int(g.randint(uint64_t(std::max(tex.rgb.height, 1))));
  if (cfg.texture_strength_max > cfg.texture_strength)
    *strength = cfg.texture_strength + float(g.uniform()) * (cfg.texture_strength_max - cfg.texture_strength);
  if (cfg.texture_scale_max > cfg.texture_scale_min || cfg.texture_scale_min != 1.f) {
    const double lo = std::log(double(cfg.texture_scale_min)), hi = std::log(double(cfg.texture_scale_max));
    at.scale = float(std::exp(lo + g.uniform() * (hi - lo)));
  }
  if (cfg.texture_orient) at.orientation = int(g.randint(8));
  return at;
}

uint64_t sample_seed(uint64_t seed, Split split, uint64_t index) {
  uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
  h = mix64(h ^ (split == Split::Train ? 0x7261696eULL : 0x76616c00ULL));
  return mix64(h + index * 0x9e3779b97f4a7c15ULL);
}

Sample generate_sample(const ProceduralConfig& cfg, const std::vector<Texture>& textures,
                       uint64_t index, std::vector<int32_t>* layer_map,
                       std::vector<uint8_t>* layer_labels) {
  CSGIS_CHECK(cfg.size >= 8, "procedural: size must be at least 8, got ", cfg.size);
  CSGIS_CHECK(!textures.empty(), "procedural: no textures for the ", split_name(cfg.split),
              " split (Debian: apt-get install gimp-data)");
  CSGIS_CHECK(cfg.min_layers >= 0 && cfg.max_layers >= cfg.min_layers, "procedural: bad layer range");
  CSGIS_CHECK(cfg.texture_scale_min > 0.f && cfg.texture_scale_max >= cfg.texture_scale_min,
              "procedural: texture scale range must satisfy 0 < min <= max, got [", cfg.texture_scale_min, ", ",
              cfg.texture_scale_max, "]");
  Generator g(sample_seed(cfg.seed, cfg.split, index));
  const int S = cfg.size;
  const float Sf = float(S);

  std::vector<Layer> layers(1);
  layers[0].label = 0;
  random_colour(layers[0], g, Sf);
  const int n = cfg.min_layers + int(g.randint(uint64_t(cfg.max_layers - cfg.min_layers + 1)));
  for (int i = 0; i < n; ++i) layers.push_back(make_layer(g, Sf));

  Sample s;
  char name[32];
  std::snprintf(name, sizeof name, "%06llu", static_cast<unsigned long long>(index));
  s.name = name;
  s.gt = Image(S, S, 3);
  s.seg = LabelMap(S, S);
  s.edge = LabelMap(S, S);
  std::vector<int32_t> region(size_t(S) * S);
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      const int r = top_layer(layers, x + 0.5f, y + 0.5f);
      region[size_t(y) * S + x] = r;
      layers[r].colour(x + 0.5f, y + 0.5f, &s.gt.at(x, y, 0));
      s.seg.at(x, y) = layers[r].label;
    }

  const int dx4[4] = {1, -1, 0, 0}, dy4[4] = {0, 0, 1, -1};
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      const int r = region[size_t(y) * S + x];
      bool boundary = false, edge = false;
      for (int k = 0; k < 4; ++k) {
        const int qx = x + dx4[k], qy = y + dy4[k];
        if (qx < 0 || qy < 0 || qx >= S || qy >= S) continue;
        const int q = region[size_t(qy) * S + qx];
        if (q == r) continue;
        boundary = true;
        if (q > r || edge) continue;
        float a[3], b[3];  // both layers' colours at p: the boundary's true contrast, free of AA
        layers[r].colour(x + 0.5f, y + 0.5f, a);
        layers[q].colour(x + 0.5f, y + 0.5f, b);
        for (int c = 0; c < 3; ++c) edge |= std::fabs(a[c] - b[c]) > cfg.edge_threshold;
      }
      s.edge.at(x, y) = edge;
      if (!boundary || !cfg.antialias) continue;
      float acc[3] = {0, 0, 0}, rgb[3];
      bool mixed_class = false;
      for (int k = 0; k < 4; ++k) {
        const float sx = x + 0.25f + 0.5f * (k & 1), sy = y + 0.25f + 0.5f * (k >> 1);
        const int l = top_layer(layers, sx, sy);
        layers[l].colour(sx, sy, rgb);
        for (int c = 0; c < 3; ++c) acc[c] += 0.25f * rgb[c];
        mixed_class |= layers[l].label != layers[r].label;
      }
      for (int c = 0; c < 3; ++c) s.gt.at(x, y, c) = acc[c];
      if (mixed_class && cfg.ignore_boundary) s.seg.at(x, y) = 255;
    }

  const Texture& tex = textures[g.randint(textures.size())];
  float strength = cfg.texture_strength;
  s.texture = tex.name;
  s.input = blend_texture(s.gt, tex, draw_placement(cfg, tex, g, &strength), strength);
  s.over = bilateral_filter(s.gt, cfg.over_radius, cfg.over_sigma_color, cfg.over_sigma_space,
                           cfg.over_separable);
  if (layer_map) *layer_map = std::move(region);
  if (layer_labels) {
    layer_labels->clear();
    for (const Layer& L : layers) layer_labels->push_back(L.label);
  }
  return s;
}

}  // namespace csgis::data
