#include "tools/lib/tiled_inference.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/autograd.h"
#include "engine/error.h"

namespace fs = std::filesystem;

namespace csgis::tools {

void TileOptions::validate() const {
  if (tile < 16) CSGIS_FAIL("--tile must be at least 16 pixels, got ", tile);
  if (overlap < 0 || 2 * overlap >= tile)
    CSGIS_FAIL("--overlap must be >= 0 and less than half of --tile (", tile, "), got ", overlap);
}

namespace {
// Windows of `side` pixels spread evenly over `length`, the first at 0 and the last flush with the end.
std::vector<int> spread(int length, int side, int n) {
  std::vector<int> s(static_cast<size_t>(n), 0);
  for (int i = 1; i < n; ++i) s[size_t(i)] = int(std::lround(double(i) * (length - side) / (n - 1)));
  return s;
}
// The fewest windows of opt.tile whose overlaps are all >= opt.overlap.
int window_count(int length, const TileOptions& opt) {
  if (length <= opt.tile) return 1;
  const int stride = opt.tile - opt.overlap;
  return 1 + (length - opt.tile + stride - 1) / stride;
}
bool overlaps_ok(const std::vector<int>& s, int side, int overlap) {
  for (size_t i = 1; i < s.size(); ++i)
    if (s[i - 1] + side - s[i] < overlap) return false;
  return true;
}
}  // namespace

int window_side(int length, const TileOptions& opt) {
  if (length <= opt.tile) return length;
  const int n = window_count(length, opt);
  // The smallest side (a multiple of 16, which the convolution's pixel tiles like) at which n
  // windows still overlap by opt.overlap: with n fixed, any pixel more is work thrown away.
  int side = (length + (n - 1) * opt.overlap + n - 1) / n;
  side = std::min(opt.tile, (side + 15) / 16 * 16);
  while (side < opt.tile && !overlaps_ok(spread(length, side, n), side, opt.overlap)) ++side;
  return side;
}

std::vector<int> tile_starts(int length, const TileOptions& opt) {
  return spread(length, window_side(length, opt), window_count(length, opt));
}

std::vector<float> tile_weights(int start, int size, int length, int overlap) {
  std::vector<float> w(size_t(size), 1.f);
  if (overlap == 0) return w;
  const int margin = overlap / 4;
  const float ramp_len = float(overlap - 2 * margin);
  auto ramp = [&](int d) { return std::clamp((float(d) + 0.5f - float(margin)) / ramp_len, 0.f, 1.f); };
  for (int i = 0; i < size; ++i) {
    if (start > 0) w[size_t(i)] = std::min(w[size_t(i)], ramp(i));                        // inner left/top
    if (start + size < length) w[size_t(i)] = std::min(w[size_t(i)], ramp(size - 1 - i));  // inner right/bottom
  }
  return w;
}

int tile_count(int height, int width, const TileOptions& opt) {
  return int(tile_starts(height, opt).size() * tile_starts(width, opt).size());
}

namespace {
// The windows of an H x W image and their blending weights, shared by tiled_apply and smooth_rows
// so that both compute the same values. Weights are separable and the windows form a grid, so the
// normaliser is the product of the two per-axis sums: no H x W weight map is needed.
struct WindowGrid {
  std::vector<int> ys, xs;                 // window starts along each axis
  int th, tw;                              // window size
  std::vector<std::vector<float>> wy, wx;  // per-window ramps along each axis
  std::vector<double> sum_y, sum_x;        // per-row and per-column sums of the ramps
  WindowGrid(int H, int W, const TileOptions& opt)
      : ys(tile_starts(H, opt)), xs(tile_starts(W, opt)), th(window_side(H, opt)), tw(window_side(W, opt)),
        sum_y(size_t(H), 0.0), sum_x(size_t(W), 0.0) {
    for (int y0 : ys) {
      wy.push_back(tile_weights(y0, th, H, opt.overlap));
      for (int i = 0; i < th; ++i) sum_y[size_t(y0 + i)] += wy.back()[size_t(i)];
    }
    for (int x0 : xs) {
      wx.push_back(tile_weights(x0, tw, W, opt.overlap));
      for (int i = 0; i < tw; ++i) sum_x[size_t(x0 + i)] += wx.back()[size_t(i)];
    }
    for (double s : sum_y) CSGIS_CHECK(s > 0, "tiled inference: a row has no window weight");
    for (double s : sum_x) CSGIS_CHECK(s > 0, "tiled inference: a column has no window weight");
  }
};

// A NaN would be written as a black pixel: refuse it, naming the pixel (row y of an H x W image).
void refuse_non_finite_row(const float* row, int64_t n, int W, int H, int y) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(row[i]))
      CSGIS_FAIL("the network's output is ", std::isnan(row[i]) ? "NaN" : "infinite", " at pixel (", i % W, ", ", y,
                 ") of a ", W, "x", H, " image: the weights or the input drive it out of range");
}
}  // namespace

Tensor tiled_apply(const Tensor& image, const TileFn& fn, const TileOptions& opt,
                   const std::function<void(int, int)>& on_tile) {
  opt.validate();
  CSGIS_CHECK(image.defined() && image.dim() == 4, "tiled_apply: expected [N, C, H, W], got ",
              image.defined() ? shape_str(image.shape()) : std::string("an undefined tensor"));
  const int H = int(image.size(2)), W = int(image.size(3));
  const int64_t N = image.size(0);
  if (H <= opt.tile && W <= opt.tile) {
    Tensor out = fn(image).cpu().contiguous();
    if (on_tile) on_tile(1, 1);
    return out.dtype() == DType::F32 ? out : out.to(DType::F32);
  }
  const WindowGrid g(H, W, opt);
  const std::vector<int>&ys = g.ys, &xs = g.xs;
  const int th = g.th, tw = g.tw;
  const auto &wy = g.wy, &wx = g.wx;
  const auto &sum_y = g.sum_y, &sum_x = g.sum_x;

  std::vector<float> acc;
  int64_t C = -1;
  const int total = int(ys.size() * xs.size());
  int done = 0;
  for (size_t a = 0; a < ys.size(); ++a)
    for (size_t b = 0; b < xs.size(); ++b) {
      const int y0 = ys[a], x0 = xs[b];
      const Tensor window = image.slice(2, y0, y0 + th).slice(3, x0, x0 + tw).contiguous();
      Tensor r = fn(window).cpu().contiguous();
      if (r.dtype() != DType::F32) r = r.to(DType::F32);
      CSGIS_CHECK(r.dim() == 4 && r.size(0) == N && r.size(2) == th && r.size(3) == tw,
                  "tiled_apply: the function must keep batch and spatial size, got ", shape_str(r.shape()),
                  " for a window of ", th, "x", tw);
      if (C < 0) {
        C = r.size(1);
        acc.assign(size_t(N * C) * size_t(H) * size_t(W), 0.f);
      }
      const float* rp = r.data<float>();
      for (int64_t p = 0; p < N * C; ++p)
        for (int i = 0; i < th; ++i) {
          const float wyi = wy[a][size_t(i)];
          float* dst = acc.data() + (size_t(p) * H + size_t(y0 + i)) * W + x0;
          const float* src = rp + (size_t(p) * th + size_t(i)) * tw;
          for (int j = 0; j < tw; ++j) dst[j] += wyi * wx[b][size_t(j)] * src[j];
        }
      if (on_tile) on_tile(++done, total);
    }
  for (int64_t p = 0; p < N * C; ++p)
    for (int y = 0; y < H; ++y) {
      float* row = acc.data() + (size_t(p) * H + size_t(y)) * W;
      for (int x = 0; x < W; ++x) row[x] = float(row[x] / (sum_y[size_t(y)] * sum_x[size_t(x)]));
    }
  return Tensor::from_vector(acc, {N, C, H, W});
}

Tensor smooth_tensor(models::Jess& model, const data::Image& rgb, const TileOptions& opt,
                     const std::function<void(int, int)>& on_tile) {
  CSGIS_CHECK(rgb.channels == 3, "smooth: expected an RGB image, got ", rgb.channels, " channels");
  const Tensor x = data::image_to_tensor(rgb);
  Tensor out = tiled_apply(x, [&](const Tensor& t) { return models::jess_smooth(model, t, models::ChannelOrder::RGB); },
                           opt, on_tile);
  const float* p = out.data<float>();  // tiled_apply returns host F32 [1, C, H, W]
  const int C = int(out.size(1)), H = int(out.size(2)), W = int(out.size(3));
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y) refuse_non_finite_row(p + (size_t(c) * H + size_t(y)) * W, W, W, H, y);
  return out;
}

namespace {
// [1, 3, h, w] float tensor of a window of an 8-bit image, values byte / 255 (as load_image).
Tensor window_tensor(const data::Image8& img, int y0, int x0, int h, int w) {
  std::vector<float> v(size_t(3) * size_t(h) * size_t(w));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y) {
      const uint8_t* src = img.row(y0 + y) + size_t(x0) * 3 + size_t(c);
      float* dst = v.data() + (size_t(c) * h + size_t(y)) * w;
      for (int x = 0; x < w; ++x) dst[x] = float(src[size_t(x) * 3]) / 255.f;
    }
  return Tensor::from_vector(v, {1, 3, h, w});
}
}  // namespace

void smooth_rows(models::Jess& model, const data::Image8& img, const TileOptions& opt, const RowFn& emit,
                 const std::function<void(int, int)>& on_tile) {
  opt.validate();
  const int H = img.height, W = img.width;
  CSGIS_CHECK(H > 0 && W > 0 && img.rgb.size() == size_t(H) * size_t(W) * 3, "smooth_rows: a ", W, "x", H,
              " image with ", img.rgb.size(), " bytes");
  auto run = [&](int y0, int x0, int h, int w) {
    Tensor r = models::jess_smooth(model, window_tensor(img, y0, x0, h, w), models::ChannelOrder::RGB).cpu().contiguous();
    if (r.dtype() != DType::F32) r = r.to(DType::F32);
    CSGIS_CHECK(r.dim() == 4 && r.size(0) == 1 && r.size(2) == h && r.size(3) == w,
                "smooth_rows: the network changed the window's size to ", shape_str(r.shape()));
    return r;
  };
  if (H <= opt.tile && W <= opt.tile) {  // one window, no blending (as tiled_apply)
    const Tensor r = run(0, 0, H, W);
    if (on_tile) on_tile(1, 1);
    const int64_t C = r.size(1);
    const float* p = r.data<float>();
    std::vector<float> row(size_t(C) * W);
    for (int y = 0; y < H; ++y) {
      for (int64_t c = 0; c < C; ++c)
        std::copy(p + (size_t(c) * H + size_t(y)) * W, p + (size_t(c) * H + size_t(y) + 1) * W, row.begin() + c * W);
      refuse_non_finite_row(row.data(), int64_t(row.size()), W, H, y);
      emit(y, row.data());
    }
    return;
  }
  // The windows, weights and normaliser of tiled_apply, and its order of accumulation (window rows
  // a, then columns b), so that every output value is the same float.
  const WindowGrid g(H, W, opt);
  const std::vector<int>&ys = g.ys, &xs = g.xs;
  const int th = g.th, tw = g.tw;
  const auto &wy = g.wy, &wx = g.wx;
  const auto &sum_y = g.sum_y, &sum_x = g.sum_x;
  // While window row a is processed, the live rows are exactly [ys[a], ys[a] + th): a ring of th
  // rows indexed by y % th holds them without collisions.
  int64_t C = -1;
  std::vector<float> ring, row;
  auto ring_row = [&](int y, int64_t c) { return ring.data() + (size_t(y % th) * size_t(C) + size_t(c)) * W; };
  const int total = int(ys.size() * xs.size());
  int done = 0, emitted = 0, zeroed_until = 0;
  for (size_t a = 0; a < ys.size(); ++a) {
    const int y0 = ys[a];
    for (size_t b = 0; b < xs.size(); ++b) {
      const int x0 = xs[b];
      const Tensor r = run(y0, x0, th, tw);
      if (C < 0) {
        C = r.size(1);
        ring.assign(size_t(th) * size_t(C) * W, 0.f);
        row.assign(size_t(C) * W, 0.f);
      }
      if (b == 0) {  // rows this window row brings in for the first time start at zero
        for (int y = std::max(zeroed_until, y0); y < y0 + th; ++y)
          for (int64_t c = 0; c < C; ++c) std::fill(ring_row(y, c), ring_row(y, c) + W, 0.f);
        zeroed_until = y0 + th;
      }
      const float* rp = r.data<float>();
      for (int64_t c = 0; c < C; ++c)
        for (int i = 0; i < th; ++i) {
          const float wyi = wy[a][size_t(i)];
          float* dst = ring_row(y0 + i, c) + x0;
          const float* src = rp + (size_t(c) * th + size_t(i)) * tw;
          for (int j = 0; j < tw; ++j) dst[j] += wyi * wx[b][size_t(j)] * src[j];
        }
      if (on_tile) on_tile(++done, total);
    }
    // Rows above the next window row get no more contributions.
    const int final_until = a + 1 < ys.size() ? ys[a + 1] : H;
    for (; emitted < final_until; ++emitted) {
      for (int64_t c = 0; c < C; ++c) {
        const float* acc = ring_row(emitted, c);
        for (int x = 0; x < W; ++x)
          row[size_t(c) * W + size_t(x)] = float(acc[x] / (sum_y[size_t(emitted)] * sum_x[size_t(x)]));
      }
      refuse_non_finite_row(row.data(), int64_t(row.size()), W, H, emitted);
      emit(emitted, row.data());
    }
  }
}

data::Image to_saved_image(const Tensor& s1) {
  CSGIS_CHECK(s1.dim() == 4 && s1.size(0) == 1, "to_saved_image: expected [1, C, H, W], got ", shape_str(s1.shape()));
  const std::vector<uint8_t> bytes = models::jess_to_uint8(s1);
  data::Image img(int(s1.size(3)), int(s1.size(2)), int(s1.size(1)));
  for (size_t i = 0; i < bytes.size(); ++i) img.pixels[i] = float(bytes[i]) / 255.f;
  return img;
}

std::string resolve_weights(const std::string& given) {
  std::error_code ec;
  if (!given.empty()) {
    if (fs::is_directory(given, ec))
      CSGIS_FAIL("--weights '", given, "' is a folder; expected a .safetensors file (e.g. best.safetensors of a run)");
    if (!fs::is_regular_file(given, ec)) CSGIS_FAIL("cannot read weights '", given, "': no such file");
    return given;
  }
  std::vector<std::string> candidates;
#ifdef CSGIS_SOURCE_DIR
  candidates.push_back(std::string(CSGIS_SOURCE_DIR) + "/" + kDefaultWeights);
#endif
  candidates.push_back(kDefaultWeights);
  for (const std::string& c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  CSGIS_FAIL("no --weights given and the default '", candidates.front(), "' does not exist: train a network with ",
             "`csgis train --config FILE.json --out DIR` and copy DIR/best.safetensors there (see weights/README.md), ",
             "or pass --weights FILE");
}

std::unique_ptr<models::Jess> load_smoother(const std::string& path, const std::string& device) {
  Device dev;
  try {
    dev = Device::parse(device);
  } catch (const std::exception&) {
    CSGIS_FAIL("--device '", device, "': expected cpu, cuda, cuda:N or simt");
  }
  if (dev.is_cuda() && !cuda_available())
    CSGIS_FAIL("--device ", device, ": no CUDA device available (CUDA build: ", CSGIS_HAS_CUDA ? "yes" : "no", ")");
  std::unique_ptr<models::Jess> model = models::load_jess(path);
  const models::JessConfig& c = model->config();
  if (c.in_c != 3 || c.out_c != 3)
    CSGIS_FAIL("weights '", path, "': the network maps ", c.in_c, " channels to ", c.out_c,
               "; smoothing RGB images needs 3 -> 3");
  model->to(dev);
  models::fold_batchnorm(*model);  // inference only: eval mode, BatchNorm inside the convolutions
  return model;
}


}  // namespace csgis::tools
