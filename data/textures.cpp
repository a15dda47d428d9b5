// GIMP .pat reading, the name-hash train/validation split and the paper's texture blending.
#include "data/textures.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "engine/generator.h"

namespace csgis::data {

namespace fs = std::filesystem;

namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// Grey and colour in one pass; alpha is composited over mid-grey 0.5 because the blend removes the
// texture's mean: a transparent area then becomes flat (no texture) instead of a dark blotch.
void fill_pixels(Texture& t, const uint8_t* px, int w, int h, int bpp) {
  t.rgb = Image(w, h, 3);
  for (size_t i = 0; i < size_t(w) * h; ++i) {
    const uint8_t* p = px + i * bpp;
    float c[3];
    float a = 1.f;
    if (bpp <= 2) {
      c[0] = c[1] = c[2] = p[0] / 255.f;
      if (bpp == 2) a = p[1] / 255.f;
    } else {
      for (int k = 0; k < 3; ++k) c[k] = p[k] / 255.f;
      if (bpp == 4) a = p[3] / 255.f;
    }
    for (int k = 0; k < 3; ++k) t.rgb.pixels[i * 3 + k] = a * c[k] + (1.f - a) * 0.5f;
  }
  t.gray = to_gray(t.rgb);
}

}  // namespace

const char* default_texture_dir() { return "/usr/share/gimp/2.0/patterns"; }

Texture parse_pat(const uint8_t* b, size_t n, const std::string& what) {
  auto bad = [&](const std::string& why) -> Error {
    return Error("'" + what + "' is not a valid GIMP pattern: " + why);
  };
  if (n < 24) throw bad("file has " + std::to_string(n) + " bytes, the header alone needs 24");
  const uint32_t header = be32(b), version = be32(b + 4), w = be32(b + 8), h = be32(b + 12),
                 bpp = be32(b + 16);
  if (std::memcmp(b + 20, "GPAT", 4) != 0) throw bad("magic is not \"GPAT\"");
  if (version != 1) throw bad("version " + std::to_string(version) + ", only 1 is supported");
  if (header < 24 || header > n) throw bad("header_size " + std::to_string(header) + " is invalid");
  if (bpp < 1 || bpp > 4) throw bad("bytes per pixel " + std::to_string(bpp) + " (1-4 expected)");
  if (w == 0 || h == 0 || w > 65536 || h > 65536)
    throw bad("size " + std::to_string(w) + "x" + std::to_string(h));
  const uint64_t body = uint64_t(w) * h * bpp;
  if (n - header < body)
    throw bad("truncated: " + std::to_string(w) + "x" + std::to_string(h) + "x" +
              std::to_string(bpp) + " needs " + std::to_string(body) + " pixel bytes, file has " +
              std::to_string(n - header));
  Texture t;
  const char* name = reinterpret_cast<const char*>(b + 24);
  t.title.assign(name, strnlen(name, header - 24));
  t.name = t.title;
  t.bytes_per_pixel = int(bpp);
  fill_pixels(t, b + header, int(w), int(h), int(bpp));
  return t;
}

Texture load_pat(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) CSGIS_FAIL("cannot read '", path, "': ", std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parse_pat(bytes.data(), bytes.size(), path);
}

Texture make_texture(const std::string& name, const Image& img) {
  CSGIS_CHECK(img.channels == 1 || img.channels == 3, "make_texture: 1 or 3 channels expected");
  CSGIS_CHECK(img.width > 0 && img.height > 0, "make_texture: empty image '", name, "'");
  Texture t;
  t.name = t.title = name;
  t.bytes_per_pixel = img.channels;
  if (img.channels == 3) {
    t.rgb = img;
  } else {
    t.rgb = Image(img.width, img.height, 3);
    for (size_t i = 0; i < img.pixels.size(); ++i)
      for (int k = 0; k < 3; ++k) t.rgb.pixels[i * 3 + k] = img.pixels[i];
  }
  t.gray = to_gray(t.rgb);
  return t;
}

std::vector<Texture> load_texture_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    CSGIS_FAIL("texture directory '", dir, "' does not exist (Debian: apt-get install gimp-data)");
  std::vector<std::pair<std::string, std::string>> files;  // (name, path)
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".pat") continue;
    fs::path rel = fs::relative(it->path(), dir).replace_extension();
    files.emplace_back(rel.generic_string(), it->path().string());
  }
  if (ec) CSGIS_FAIL("cannot list texture directory '", dir, "': ", ec.message());
  if (files.empty()) CSGIS_FAIL("texture directory '", dir, "' holds no .pat file");
  std::sort(files.begin(), files.end());
  std::vector<Texture> out;
  out.reserve(files.size());
  for (const auto& [name, path] : files) {
    out.push_back(load_pat(path));
    out.back().name = name;
  }
  return out;
}

const char* split_name(Split s) { return s == Split::Train ? "train" : "val"; }

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

TextureSplit split_textures(const std::vector<Texture>& all, int val_percent) {
  CSGIS_CHECK(val_percent >= 0 && val_percent <= 100, "split_textures: val_percent ", val_percent);
  std::vector<bool> is_val(all.size());
  size_t n_val = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    is_val[i] = int(fnv1a64(all[i].name) % 100) < val_percent;
    n_val += is_val[i];
  }
  // Keep both sides non-empty (see the header) with a choice that depends on the names only.
  if (all.size() >= 2 && (n_val == 0 || n_val == all.size())) {
    const bool need_val = n_val == 0;
    size_t pick = 0;
    for (size_t i = 1; i < all.size(); ++i) {
      const uint64_t hi = fnv1a64(all[i].name), hp = fnv1a64(all[pick].name);
      if (need_val ? hi < hp : hi > hp) pick = i;
    }
    is_val[pick] = need_val;
  }
  TextureSplit out;
  for (size_t i = 0; i < all.size(); ++i) (is_val[i] ? out.val : out.train).push_back(all[i]);
  return out;
}

namespace {

// The texture's gray value at texture coordinates (u, v), wrapping (GIMP patterns tile seamlessly).
float wrapped_texel(const Texture& tex, int u, int v) {
  const int tw = tex.rgb.width, th = tex.rgb.height;
  u = ((u % tw) + tw) % tw;
  v = ((v % th) + th) % th;
  return tex.gray[size_t(v) * tw + u];
}

// The texture layer the image sees at pixel (x, y) for a placement.
float placed_texel(const Texture& tex, const TexturePlacement& at, int x, int y) {
  if (at.scale == 1.f) {  // integer lattice: no interpolation, the plain formula exactly
    int u = x, v = y;
    if (at.orientation & 1) std::swap(u, v);
    if (at.orientation & 2) u = -1 - u;
    if (at.orientation & 4) v = -1 - v;
    return wrapped_texel(tex, u + at.ox, v + at.oy);
  }
  // Pixel centres mapped into the texture, sampled bilinearly between texel centres.
  float u = (float(x) + 0.5f) / at.scale, v = (float(y) + 0.5f) / at.scale;
  if (at.orientation & 1) std::swap(u, v);
  if (at.orientation & 2) u = -u;
  if (at.orientation & 4) v = -v;
  u += float(at.ox) - 0.5f;
  v += float(at.oy) - 0.5f;
  const float fu = std::floor(u), fv = std::floor(v), au = u - fu, av = v - fv;
  const int iu = int(fu), iv = int(fv);
  return (1 - av) * ((1 - au) * wrapped_texel(tex, iu, iv) + au * wrapped_texel(tex, iu + 1, iv)) +
         av * ((1 - au) * wrapped_texel(tex, iu, iv + 1) + au * wrapped_texel(tex, iu + 1, iv + 1));
}

}  // namespace

Image blend_texture(const Image& smooth, const Texture& tex, const TexturePlacement& at, float strength) {
  CSGIS_CHECK(smooth.channels == 3, "blend_texture: RGB ground truth expected");
  const int W = smooth.width, H = smooth.height, tw = tex.rgb.width, th = tex.rgb.height;
  CSGIS_CHECK(tw > 0 && th > 0 && tex.gray.size() == size_t(tw) * th,
              "blend_texture: texture '", tex.name, "' has no pixels");
  CSGIS_CHECK(at.scale > 0.f && std::isfinite(at.scale), "blend_texture: scale must be positive, got ", at.scale);
  CSGIS_CHECK(at.orientation >= 0 && at.orientation < 8, "blend_texture: orientation must be 0..7, got ",
              at.orientation);
  std::vector<float> layer(size_t(W) * H);
  double sum = 0.0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float g = placed_texel(tex, at, x, y);
      layer[size_t(y) * W + x] = g;
      sum += g;
    }
  const float mean = float(sum / double(layer.size()));
  Image out(W, H, 3);
  for (size_t i = 0; i < layer.size(); ++i) {
    const float d = strength * (layer[i] - mean);
    for (int c = 0; c < 3; ++c)
      out.pixels[i * 3 + c] = std::clamp(smooth.pixels[i * 3 + c] + d, 0.f, 1.f);
  }
  return out;
}

Image blend_texture(const Image& smooth, const Texture& tex, int ox, int oy, float strength) {
  TexturePlacement at;
  at.ox = ox;
  at.oy = oy;
  return blend_texture(smooth, tex, at, strength);
}

Image blend_texture(const Image& smooth, const Texture& tex, Generator& gen, float strength) {
  const int ox = int(gen.randint(uint64_t(std::max(tex.rgb.width, 1))));
  const int oy = int(gen.randint(uint64_t(std::max(tex.rgb.height, 1))));
  return blend_texture(smooth, tex, ox, oy, strength);
}

}  // namespace csgis::data
