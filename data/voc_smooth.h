// The VOC-smooth builder (paper sec. 4.1), for any folder of real images: each image goes through
// the classical smoothers; a candidate passes the smoothness test (eq. 12) or not; among those that
// pass, the one most similar in structure to the image (SSIM of the grey images, eq. 13) becomes
// the image's smooth ground truth; that ground truth is blended with textures (eq. 14-16) into
// training samples with edge labels, segmentation labels and an over-smoothed negative.
//
// Where the paper leaves choices open, these are ours:
//  - Edges (for the smoothness test and the edge ground truth): Sobel on the grey image
//    (0.299 R + 0.587 G + 0.114 B), kernels divided by 4 so a step of height h reads h, replicated
//    borders; an edge where the magnitude exceeds edge_threshold (0.05, the procedural data's
//    boundary contrast). Edge maps of ground truths are therefore about 2 pixels wide.
//  - Smoothness (eq. 12): windows of `window` pixels every `stride` pixels that hold no edge of the
//    candidate; per window std(grey) + mean |Laplacian| (4-neighbour, replicated borders). The
//    paper scores each patch against the threshold (0.05); a candidate passes when every edge-free
//    window does (its worst window is < threshold). A mean over windows would let a light
//    smoother pass whose textured areas merely count as edges (tried on photos: the bilateral
//    filter then won every image with an SSIM of ~0.97, i.e. texture kept). A candidate with no
//    edge-free window fails (nothing shows it is smooth).
//  - The volunteers' veto on distorted candidates has no counterpart: SSIM alone decides.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/procedural.h"
#include "data/textures.h"

namespace csgis::data {

struct SmoothnessTest {
  int window = 16, stride = 8;
  float edge_threshold = 0.05f;
  double threshold = 0.05;
};

// Binary Sobel edges of the grey image (see above).
LabelMap sobel_edges(const Image& img, float threshold);

struct SmoothnessScore {
  double value = 0;   // the worst (largest) window value (infinity when there is no window)
  double mean = 0;    // mean over the edge-free windows (reported, not judged)
  int windows = 0;    // edge-free windows found
  bool pass = false;  // value < threshold
};
SmoothnessScore smoothness(const Image& candidate, const SmoothnessTest& test = {});

// A classical operator as the builder runs it.
struct CandidateOperator {
  std::string name;  // "bf", "l0", "rgf", "rtv"
  std::function<Image(const Image&)> apply;
};
// BF (radius 5, sigma_space 3, sigma_color 0.1), L0 (lambda 0.01, kappa 2), RGF (sigma_s 4,
// sigma_r 0.1, 4 iterations), RTV (lambda 0.015, sigma 3): the paper's Table 1 settings where it
// gives them.
std::vector<CandidateOperator> default_candidate_operators();

struct CandidateResult {
  std::string op;
  Image image;  // clipped to [0, 1]
  SmoothnessScore smooth;
  double ssim = 0;  // grey SSIM (metric convention) against the original
};

struct GroundTruthChoice {
  std::vector<CandidateResult> candidates;  // in operator order
  int chosen = -1;                          // index of the ground truth; -1: no candidate passed
};

GroundTruthChoice choose_ground_truth(const Image& original, const std::vector<CandidateOperator>& ops,
                                      const SmoothnessTest& test = {});

}  // namespace csgis::data

namespace csgis::data {

// VOC's segmentation palette (class id -> RGB, id 255 = the "void" boundary colour 224,224,192).
std::array<uint8_t, 3> voc_palette_colour(int id);
// A VOC SegmentationClass PNG (palette, read as RGB) or a grey raw-id PNG -> class ids. A colour
// outside the palette is an error naming the file and the pixel.
LabelMap load_voc_labels(const std::string& path);

struct VocSmoothConfig {
  SmoothnessTest test;
  int textures_per_image = 0;  // 0: every texture; else a random subset of this many per image
  uint64_t seed = 1;           // texture subsets and texture offsets
  float texture_strength = 1.f;
  // The over-smoothed negative: the procedural data's bilateral filter (paper sec. 4.4).
  int over_radius = ProceduralConfig{}.over_radius;
  float over_sigma_color = ProceduralConfig{}.over_sigma_color, over_sigma_space = ProceduralConfig{}.over_sigma_space;
  int threads = 0;  // images processed at once (0: hardware concurrency); the files do not depend on it
};

struct VocSmoothReport {
  int images = 0, kept = 0;  // images read; images that got a ground truth
  int64_t samples = 0;
};

// Builds a data set folder (dataset.h layout) from every PNG/JPEG of images_dir: ground truth by
// choose_ground_truth with the default operators, then one sample per (kept image, texture):
// input = blend_texture(gt), edge = sobel_edges(gt), over = bilateral(input), seg = the image's
// labels from labels_dir/<stem>.png when labels_dir is given (its size must match), else 255
// (ignore). Sample stems: <image stem>_<texture index, 3 digits>. The manifest records, per
// image, every candidate's smoothness and SSIM and the chosen operator. out_dir must not hold a
// data set already. Every image and label file is decoded and checked before anything is written;
// the manifest is written last, so its presence means the build finished. `progress` is called
// once per finished image (from worker threads, one call at a time).
VocSmoothReport write_voc_smooth_dataset(const std::string& images_dir, const std::string& labels_dir,
                                         const std::vector<Texture>& textures, const std::string& out_dir,
                                         const VocSmoothConfig& config,
                                         const std::function<void(int done, int total)>& progress = {});

}  // namespace csgis::data
