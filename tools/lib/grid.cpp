#include "tools/lib/grid.h"

#include <algorithm>

#include "engine/error.h"

namespace csgis::tools {

data::Image make_grid(const std::vector<std::vector<data::Image>>& rows, const GridStyle& style) {
  CSGIS_CHECK(!rows.empty(), "make_grid: no rows");
  CSGIS_CHECK(style.separator >= 0, "make_grid: negative separator");
  size_t cols = 0;
  for (const auto& r : rows) cols = std::max(cols, r.size());
  CSGIS_CHECK(cols > 0, "make_grid: no images");
  std::vector<int> col_w(cols, 0), row_h(rows.size(), 0);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const data::Image& im = rows[r][c];
      CSGIS_CHECK(im.channels == 1 || im.channels == 3, "make_grid: image ", r, ",", c, " has ",
                  im.channels, " channels");
      col_w[c] = std::max(col_w[c], im.width);
      row_h[r] = std::max(row_h[r], im.height);
    }
  const int s = style.separator;
  int W = s, H = s;
  for (int w : col_w) W += w + s;
  for (int h : row_h) H += h + s;
  data::Image out(W, H, 3, style.separator_value);
  int y0 = s;
  for (size_t r = 0; r < rows.size(); ++r) {
    int x0 = s;
    for (size_t c = 0; c < cols; ++c) {
      // The whole cell gets the background first, so a short row's missing cells and a small
      // image's margin look alike.
      for (int y = 0; y < row_h[r]; ++y)
        for (int x = 0; x < col_w[c]; ++x)
          for (int k = 0; k < 3; ++k) out.at(x0 + x, y0 + y, k) = style.background;
      if (c < rows[r].size()) {
        const data::Image& im = rows[r][c];
        for (int y = 0; y < im.height; ++y)
          for (int x = 0; x < im.width; ++x)
            for (int k = 0; k < 3; ++k) out.at(x0 + x, y0 + y, k) = im.at(x, y, im.channels == 3 ? k : 0);
      }
      x0 += col_w[c] + s;
    }
    y0 += row_h[r] + s;
  }
  return out;
}

}  // namespace csgis::tools
