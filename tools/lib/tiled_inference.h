// Running the smoothing network on images of any size, and the small pieces the `smooth` and
// `eval` commands share (where the default weights are, loading them for a device, listing images).
//
// Tiling: an image larger than `tile` in either direction is cut into a grid of windows of at most
// tile x tile pixels that overlap by at least `overlap` pixels (the fewest such windows, shrunk to
// what still covers; starts spread evenly, the last window flush with the image edge); each window runs through the network on its own, so activation memory is bounded by
// the tile whatever the image size. Windows are blended with separable weights that ramp linearly
// ("feathering") across each shared strip: the outer quarter of the overlap at a window's inner edge
// gets weight 0 (zero padding there is furthest from the truth, as the network's receptive field is
// far wider than the overlap), the middle half ramps 0 -> 1, and image borders are never feathered.
// Weights are normalised by their sum, so any window layout gives a partition of unity.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/image8.h"
#include "engine/tensor.h"
#include "models/jess.h"

namespace csgis::tools {

struct TileOptions {
  int tile = 384;    // window side in pixels (docs/perf.md: 384 does less overlap work than 256 at the same speed per pixel)
  int overlap = 48;  // minimum overlap of neighbouring windows; 0 <= 2 overlap < tile
  void validate() const;  // throws csgis::Error naming the bad flag
};

// Window side along one axis of `length` pixels: `length` when it fits in one window; otherwise
// the fewest windows of `tile` that overlap by `overlap` are kept, and shrunk to the smallest side
// (a multiple of 16, at most `tile`) at which they still do (windows need not be square).
int window_side(int length, const TileOptions& opt);
// Window starts along one axis (one start, 0, when length <= tile), spread evenly.
std::vector<int> tile_starts(int length, const TileOptions& opt);
// Blend weight of each pixel of a window [start, start + size) on an axis of `length` pixels.
std::vector<float> tile_weights(int start, int size, int length, int overlap);

// fn maps [N, C, h, w] -> [N, C', h, w] (any device); the result is a CPU float32 [N, C', H, W].
// `on_tile(done, total)` is called after each window.
using TileFn = std::function<Tensor(const Tensor&)>;
Tensor tiled_apply(const Tensor& image, const TileFn& fn, const TileOptions& opt,
                   const std::function<void(int, int)>& on_tile = {});
int tile_count(int height, int width, const TileOptions& opt);

// S1 of the network for one RGB image (tiled as above): CPU float32 [1, 3, H, W], unclipped.
Tensor smooth_tensor(models::Jess& model, const data::Image& rgb, const TileOptions& opt,
                     const std::function<void(int, int)>& on_tile = {});
// The same S1 as smooth_tensor, for an 8-bit image, without an H x W float copy of input or output:
// window rows are processed top to bottom and `emit(y, row)` receives each output row (C planes of
// W floats, row[c * W + x]) as soon as every window covering it is done, in order y = 0..H-1.
// Memory beyond the 8-bit input: one band of windows (tile x W x C floats) and the network's
// working set. Throws, naming the pixel, on a non-finite value (nothing after it is emitted).
using RowFn = std::function<void(int y, const float* row)>;
void smooth_rows(models::Jess& model, const data::Image8& rgb, const TileOptions& opt, const RowFn& emit,
                 const std::function<void(int, int)>& on_tile = {});

// The reference's output convention (show.py): uint8(clip(S1 * 255)) truncating, as
// models::jess_to_uint8; returned as an Image holding those bytes / 255, so save_png (rounding)
// writes exactly those bytes and metrics see exactly what the file holds.
data::Image to_saved_image(const Tensor& s1);

// ---- shared command plumbing ----
// The file used when --weights is not given.
inline constexpr const char* kDefaultWeights = "weights/jess-real.safetensors";
// `given` when non-empty (it must exist); otherwise kDefaultWeights under the source tree
// (CSGIS_SOURCE_DIR), then under the current directory. Throws a one-line error saying how to get
// weights when none is found.
std::string resolve_weights(const std::string& given);
// load_jess + checks that it maps RGB to RGB + moves it to `device` ("cpu", "cuda", "simt", ...) +
// fold_batchnorm: the model comes back in eval mode, for inference only (it cannot train or be saved).
std::unique_ptr<models::Jess> load_smoother(const std::string& path, const std::string& device);

}  // namespace csgis::tools
