#include "tools/lib/plot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace csgis::tools {

namespace {

// 5x7 bitmap glyphs, one byte per row (low 5 bits, MSB = left column).
struct Glyph {
  char c;
  unsigned char rows[7];
};
const Glyph kFont[] = {
    {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
    {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
    {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
    {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
    {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
    {'.', {0, 0, 0, 0, 0, 12, 12}},      {'-', {0, 0, 0, 31, 0, 0, 0}},
    {'+', {0, 4, 4, 31, 4, 4, 0}},       {':', {0, 12, 12, 0, 12, 12, 0}},
    {'/', {1, 1, 2, 4, 8, 16, 16}},      {'(', {2, 4, 8, 8, 8, 4, 2}},
    {')', {8, 4, 2, 2, 2, 4, 8}},        {'A', {14, 17, 17, 31, 17, 17, 17}},
    {'B', {30, 17, 17, 30, 17, 17, 30}}, {'C', {14, 17, 16, 16, 16, 17, 14}},
    {'D', {28, 18, 17, 17, 17, 18, 28}}, {'E', {31, 16, 16, 30, 16, 16, 31}},
    {'F', {31, 16, 16, 30, 16, 16, 16}}, {'G', {14, 17, 16, 23, 17, 17, 15}},
    {'H', {17, 17, 17, 31, 17, 17, 17}}, {'I', {14, 4, 4, 4, 4, 4, 14}},
    {'J', {7, 2, 2, 2, 2, 18, 12}},      {'K', {17, 18, 20, 24, 20, 18, 17}},
    {'L', {16, 16, 16, 16, 16, 16, 31}}, {'M', {17, 27, 21, 21, 17, 17, 17}},
    {'N', {17, 17, 25, 21, 19, 17, 17}}, {'O', {14, 17, 17, 17, 17, 17, 14}},
    {'P', {30, 17, 17, 30, 16, 16, 16}}, {'Q', {14, 17, 17, 17, 21, 18, 13}},
    {'R', {30, 17, 17, 30, 20, 18, 17}}, {'S', {15, 16, 16, 14, 1, 1, 30}},
    {'T', {31, 4, 4, 4, 4, 4, 4}},       {'U', {17, 17, 17, 17, 17, 17, 14}},
    {'V', {17, 17, 17, 17, 17, 10, 4}},  {'W', {17, 17, 17, 21, 21, 21, 10}},
    {'X', {17, 17, 10, 4, 10, 17, 17}},  {'Y', {17, 17, 10, 4, 4, 4, 4}},
    {'Z', {31, 1, 2, 4, 8, 16, 31}},
};

struct Canvas {
  data::Image& img;
  void set(int x, int y, const float c[3]) {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
    for (int k = 0; k < 3; ++k) img.at(x, y, k) = c[k];
  }
  // Bresenham, 2 pixels thick so curves read at a glance.
  void line(int x0, int y0, int x1, int y1, const float c[3]) {
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      set(x0, y0, c);
      set(x0, y0 + 1, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }
  void text(int x, int y, const std::string& s, const float c[3], int scale = 2) {
    for (char ch : s) {
      const char u = char(std::toupper(static_cast<unsigned char>(ch)));
      for (const Glyph& g : kFont) {
        if (g.c != u) continue;
        for (int r = 0; r < 7; ++r)
          for (int col = 0; col < 5; ++col)
            if (g.rows[r] & (16 >> col))
              for (int a = 0; a < scale; ++a)
                for (int b = 0; b < scale; ++b) set(x + col * scale + a, y + r * scale + b, c);
      }
      x += 6 * scale;
    }
  }
};

std::string fmt(double v) {
  char buf[32];
  if (v != 0 && (std::fabs(v) < 1e-2 || std::fabs(v) >= 1e5))
    std::snprintf(buf, sizeof buf, "%.2E", v);
  else
    std::snprintf(buf, sizeof buf, "%.4G", v);
  return buf;
}

}  // namespace

data::Image render_plot(const std::vector<Panel>& panels, int width, int panel_height) {
  data::Image img(width, panel_height * int(std::max<size_t>(1, panels.size())), 3, 1.0f);
  Canvas cv{img};
  const float axis[3] = {0.2f, 0.2f, 0.2f}, grid[3] = {0.88f, 0.88f, 0.88f};
  for (size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    const int top = int(p) * panel_height + 30, bottom = (int(p) + 1) * panel_height - 40;
    const int left = 110, right = width - 20;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    auto ty = [&](double v) { return panel.log_y ? std::log10(std::max(v, 1e-12)) : v; };
    for (const auto& s : panel.series)
      for (const auto& [x, y] : s.xy) {
        if (!std::isfinite(y)) continue;
        xmin = std::min(xmin, x), xmax = std::max(xmax, x);
        ymin = std::min(ymin, ty(y)), ymax = std::max(ymax, ty(y));
      }
    cv.text(left, top - 24, panel.title, axis);
    if (!std::isfinite(xmin)) continue;  // nothing to draw yet
    if (xmax == xmin) xmax = xmin + 1;
    if (ymax == ymin) ymax = ymin + 1;
    const double pad = 0.05 * (ymax - ymin);
    ymin -= pad, ymax += pad;
    auto px = [&](double x) { return left + int(std::lround((x - xmin) / (xmax - xmin) * (right - left))); };
    auto py = [&](double y) { return bottom - int(std::lround((ty(y) - ymin) / (ymax - ymin) * (bottom - top))); };
    for (int k = 1; k < 4; ++k) {
      const int y = top + k * (bottom - top) / 4;
      cv.line(left, y, right, y, grid);
    }
    cv.line(left, top, left, bottom, axis);
    cv.line(left, bottom, right, bottom, axis);
    auto label_y = [&](double t) { return panel.log_y ? std::pow(10.0, t) : t; };
    cv.text(4, top, fmt(label_y(ymax)), axis);
    cv.text(4, bottom - 14, fmt(label_y(ymin)), axis);
    cv.text(left, bottom + 8, fmt(xmin), axis);
    const std::string xr = fmt(xmax) + " STEPS";
    cv.text(right - int(xr.size()) * 12, bottom + 8, xr, axis);
    int legend_x = left + 12 * int(panel.title.size()) + 30;
    for (const auto& s : panel.series) {
      const float c[3] = {s.r / 255.f, s.g / 255.f, s.b / 255.f};
      for (size_t i = 1; i < s.xy.size(); ++i) {
        if (!std::isfinite(s.xy[i - 1].second) || !std::isfinite(s.xy[i].second)) continue;
        cv.line(px(s.xy[i - 1].first), py(s.xy[i - 1].second), px(s.xy[i].first), py(s.xy[i].second), c);
      }
      if (s.xy.size() == 1) cv.line(px(s.xy[0].first) - 2, py(s.xy[0].second), px(s.xy[0].first) + 2, py(s.xy[0].second), c);
      cv.line(legend_x, top - 17, legend_x + 20, top - 17, c);
      cv.text(legend_x + 26, top - 24, s.name, c);
      legend_x += 26 + 12 * int(s.name.size()) + 24;
    }
  }
  return img;
}

}  // namespace csgis::tools
