// Detail enhancement, the paper's first application (`csgis enhance`): the detail layer I - S that
// a smoothing removed, added back `strength` times.
#pragma once
#include "data/image.h"

namespace csgis::tools {

// clip(I + strength (I - clip(S, 0, 1)), 0, 1), per pixel and channel. S is clipped first because
// the network (and some classical smoothers) overshoot [0, 1] slightly, and an overshoot would
// otherwise read as detail. Throws on a strength that is not > 0 or on images of different shapes.
data::Image enhance_detail(const data::Image& input, const data::Image& smooth, double strength);

}  // namespace csgis::tools
