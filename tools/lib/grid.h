// A contact sheet of example images (the `eval` command's grid.png): rows of cells separated by
// thin light lines, so input, outputs and ground truth of a sample sit side by side.
#pragma once
#include <vector>

#include "data/image.h"

namespace csgis::tools {

struct GridStyle {
  int separator = 2;           // pixels between cells and around the sheet
  float separator_value = 1.f;  // grey level of the lines (white)
  float background = 0.f;       // fills cells whose image is smaller than the cell (black)
};

// rows[r][c] is the image in row r, column c (grey or RGB; grey is shown as grey RGB). Column c is as
// wide as its widest image and row r as tall as its tallest; smaller images sit top-left in their
// cell. Rows may have different numbers of cells. Result: RGB.
data::Image make_grid(const std::vector<std::vector<data::Image>>& rows, const GridStyle& style = {});

}  // namespace csgis::tools
