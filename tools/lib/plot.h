// Line charts rendered straight into an RGB image (no plotting library): the training loss and
// validation PSNR curves written beside the checkpoints.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "data/image.h"

namespace csgis::tools {

struct Series {
  std::string name;                             // legend text (A-Z, digits, few symbols)
  std::vector<std::pair<double, double>> xy;    // (step, value)
  unsigned char r = 0, g = 0, b = 0;
};

struct Panel {
  std::string title;
  std::vector<Series> series;
  bool log_y = false;  // loss curves span decades
};

// Panels stacked vertically, each `panel_height` pixels tall, with min/max labels on both axes.
data::Image render_plot(const std::vector<Panel>& panels, int width = 800, int panel_height = 280);

}  // namespace csgis::tools
