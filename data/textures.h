// Textures for the paper's input synthesis (sec. 4.1, eq. 14-16): GIMP pattern (.pat) files, as
// shipped by Debian's gimp-data under /usr/share/gimp/2.0/patterns/<Category>/<name>.pat, a
// deterministic train/validation split, and the blending I = clip(S_gt + (gray - mean(gray))).
//
// GIMP pattern format version 1 (developer.gimp.org/core/standards/pat): a big-endian header of six
// uint32 — header_size (24 + name length), version (1), width, height, bytes per pixel (1 grey,
// 2 grey+alpha, 3 RGB, 4 RGBA), magic "GPAT" — then the UTF-8 name up to header_size (usually
// NUL-terminated), then width*height*bytes pixel bytes, row by row.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"

namespace csgis {
class Generator;
}

namespace csgis::data {

struct Texture {
  std::string name;   // identity: path relative to the texture dir without ".pat", e.g. "Stone/brick"
  std::string title;  // the name stored in the file, e.g. "Brick"
  int bytes_per_pixel = 3;  // as stored (1-4)
  Image rgb;                // RGB in [0,1]; alpha composited over mid-grey 0.5 (see textures.cpp)
  std::vector<float> gray;  // 0.299 R + 0.587 G + 0.114 B of rgb, width*height
};

// Where Debian's gimp-data puts its patterns.
const char* default_texture_dir();

// Parses a .pat file held in memory; `what` names it in errors ("'<what>' is not a GIMP pattern: ...").
Texture parse_pat(const uint8_t* bytes, size_t n, const std::string& what);
Texture load_pat(const std::string& path);
// A texture made from an image (tests, textures built by other means).
Texture make_texture(const std::string& name, const Image& img);

// Every *.pat below dir (recursively), sorted by name. A corrupt file is an error naming it; a
// missing or empty dir is an error too (the data set would silently have no texture).
std::vector<Texture> load_texture_dir(const std::string& dir);

// Split rule: a texture is for validation iff fnv1a64(name) % 100 < val_percent. It depends only
// on the texture's own name, so adding or removing other textures never moves one across the split
// (an every-k-th-in-sorted-order rule would). If the rule leaves one side empty while there are at
// least two textures, the texture with the smallest (resp. largest) hash moves over, so both sides
// are non-empty and the result is still a function of the names alone.
enum class Split { Train, Val };
const char* split_name(Split s);
struct TextureSplit {
  std::vector<Texture> train, val;
  const std::vector<Texture>& get(Split s) const { return s == Split::Train ? train : val; }
};
TextureSplit split_textures(const std::vector<Texture>& all, int val_percent = 20);
uint64_t fnv1a64(const std::string& s);

// Eq. 14-16 with the texture tiled (it repeats; GIMP patterns are seamless tiles) from offset
// (ox, oy) to the image's size: T(x,y) = gray[(y+oy) mod th][(x+ox) mod tw], and per channel
//   I_c = clip(S_c + strength * (T - mean(T)), 0, 1),
// where mean(T) is the mean over the tiled window the image sees, so the added layer has zero mean.
// strength = 1 is the paper's formula.
Image blend_texture(const Image& smooth, const Texture& tex, int ox, int oy, float strength = 1.f);
// Same with the offset drawn from gen: ox = randint(tw), oy = randint(th).
Image blend_texture(const Image& smooth, const Texture& tex, Generator& gen, float strength = 1.f);

// A texture placement for training-time variety (the validation data keeps the plain formula):
// the texture is magnified by `scale` (bilinear, wrapping; < 1 shrinks it, raising its frequencies)
// and turned by one of the 8 symmetries of the square (bit 0: transpose, bit 1: mirror x, bit 2:
// mirror y). scale = 1 with orientation 0 is exactly the plain tiling above.
struct TexturePlacement {
  int ox = 0, oy = 0;
  float scale = 1.f;
  int orientation = 0;  // 0..7
};
Image blend_texture(const Image& smooth, const Texture& tex, const TexturePlacement& at, float strength = 1.f);

}  // namespace csgis::data
