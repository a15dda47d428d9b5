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
//    edge-free window fails (nothing shows it is smooth). Nor does a worst window alone suffice on
//    detailed photos: a light smoother keeps the fine structure, whose Sobel edges then cover
//    almost the whole image, and the few edge-free windows left (a patch of sky) are flat anyway.
//    So a candidate must also leave at least `min_coverage` of all windows edge-free (0.3): on
//    the packaged photos without it the bilateral filter won 123 of 195 crops with a mean SSIM
//    of 0.93 to the photo (ground truths that keep every ornament the network is taught to
//    smooth); with it the choice spreads over SDF, BF, RTV, L0 and RGF (mean SSIM 0.80).
//  - The volunteers' veto on distorted candidates has no counterpart: SSIM alone decides.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/image.h"
#include "data/procedural.h"
#include "data/textures.h"

namespace csgis::data {

struct SmoothnessTest {
  int window = 16, stride = 8;
  float edge_threshold = 0.05f;
  double threshold = 0.05;
  double min_coverage = 0.3;  // fraction of all windows that must be edge-free, in [0, 1]
};

// Binary Sobel edges of the grey image (see above).
LabelMap sobel_edges(const Image& img, float threshold);

struct SmoothnessScore {
  double value = 0;   // the worst (largest) window value (infinity when there is no window)
  double mean = 0;    // mean over the edge-free windows (reported, not judged)
  int windows = 0;    // edge-free windows found
  int total_windows = 0;  // all windows of the image
  bool pass = false;  // value < threshold and windows >= min_coverage * total_windows
};
SmoothnessScore smoothness(const Image& candidate, const SmoothnessTest& test = {});

// A classical operator as the builder runs it.
// `params` is what the manifest records for it (and what a resumed build compares), so an operator
// added to the list states its settings there.
struct CandidateOperator {
  std::string name;  // "bf", "l0", "rgf", "rtv"
  std::function<Image(const Image&)> apply;
  nlohmann::json params = nlohmann::json::object();
};
// BF (radius 5, sigma_space 3, sigma_color 0.1), L0 (lambda 0.01, kappa 2), RGF (sigma_s 4,
// sigma_r 0.1, 4 iterations), RTV (lambda 0.015, sigma 3): the paper's Table 1 settings where it
// gives them. The paper's fifth operator, SDF, joins the list in voc_smooth.cpp (marked place).
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

// ---------------------------------------------------------------------------------------------
// The builder: photos folder -> data set folder (data/dataset.h layout). Per photo, in order:
//  1. Resize: a photo whose longer side exceeds max_side is shrunk to longer side max_side (the
//     other side rounded, >= 1) by exact area averaging (each output pixel is the mean of the
//     source rectangle it covers, fractional pixels weighted by their covered area; deterministic,
//     no aliasing). Labels follow by nearest neighbour (class ids cannot be averaged): the source
//     pixel under each output pixel's centre. max_side 0 keeps the native size.
//  2. Crops: crops = 0 uses the whole photo as one ground-truth image (stem = the photo's stem).
//     crops = K > 0 takes K squares of crop_size (see crop_boxes: a seeded grid, non-overlapping
//     while K fits), stems <photo stem>_c<k>; each goes through the candidates, the smoothness
//     test and the SSIM choice on its own, so a large wallpaper gives several ground truths.
//  3. Samples: each ground truth is blended with textures_per_image textures (0: all) drawn with a
//     generator seeded by (seed, ground-truth stem): stems <gt stem>_<texture index, 3 digits>.
// Splits (the paper, sec. 4.2: 15k images = 150 ground truths x 100 textures, 12k train / 2600 val
// / 400 test, test images not overlapping training): by photo, photo_split(stem) = fnv1a64(stem)
// % 150 in [0, 120) train, [120, 146) val, [146, 150) test, i.e. the paper's 120 / 26 / 4 ground
// truths. It depends on the photo's stem alone (a photo never changes split when others are added,
// all its crops share it). The training split blends training textures, val and test the held-out
// ones (split_textures; the caller passes the right list).
// Bad input does not stop the build: an unreadable photo, missing or ill-sized labels, a photo
// smaller than the crop (or than 11x11, the SSIM window), a second photo with the same stem, and a
// ground truth whose candidates all fail the smoothness test are listed in the manifest's
// `rejected` with the reason (and in the report).
// Resuming: OUT/.work holds params.json (every parameter the files depend on), per photo
// <stem>.gt.json (its candidates' scores and choices; written after the chosen ground truths and
// labels went to .work/gt, .work/seg) and <stem>.done.json (its samples; written after all their
// files). Every record names the photo's (and labels') content hash; a record whose hash or files
// do not match is redone, so a run killed anywhere leaves nothing a later run trusts wrongly. A
// rerun with the same parameters skips what is done and writes the same bytes as one
// uninterrupted run; different parameters are refused naming the first differing field. The
// manifest (written last) holds `parameters`, `photo_split` (rule and every photo's split),
// `ground_truth` (per ground-truth image: photo, crop box, every candidate's scores, the choice),
// `rejected`, `texture_list` and `sample_textures`.

// The area-averaging resize (step 1) and its label counterpart; any target size >= 1.
Image resize_area(const Image& img, int width, int height);
LabelMap resize_labels_nearest(const LabelMap& labels, int width, int height);
// (width, height) once the longer side is limited to max_side (0: unchanged).
std::pair<int, int> limited_size(int width, int height, int max_side);

// Crop positions: the photo is cut into a grid of floor(W/S) x floor(H/S) cells of side S whose
// leftover margin is split by a random offset; K distinct cells are drawn (partial Fisher-Yates).
// Beyond the grid's cell count, the remaining crops are at uniform random positions (they may
// overlap). The generator is seeded by (seed, fnv1a64(photo stem)), so the boxes depend on nothing
// else. Requires size <= min(W, H).
struct CropBox {
  int x = 0, y = 0, size = 0;
};
std::vector<CropBox> crop_boxes(int width, int height, int count, int size, uint64_t seed,
                                const std::string& photo_stem);

enum class PhotoSplit { Train, Val, Test };
const char* photo_split_name(PhotoSplit s);
// The split rule: fnv1a64(stem) % (train + val + test) below `train` is train, below train + val
// val, else test. The default is the paper's 120 / 26 / 4; `build-dataset --photo-split` sets
// another (a small photo collection gets too few test photos from 4 in 150).
struct PhotoSplitRule {
  int train = 120, val = 26, test = 4;  // train >= 1; val, test >= 0 (0: that split stays empty)
  PhotoSplit of(const std::string& photo_stem) const;
  std::string describe() const;  // the rule in words, for the manifest
  void validate() const;         // throws naming --photo-split
};
PhotoSplit photo_split(const std::string& photo_stem);  // PhotoSplitRule{}.of(stem)

// Textures from folders: GIMP .pat and PNG/JPEG images (make_texture; alpha dropped), recursively,
// named by their path relative to their folder without extension ("Stone/brick"). A texture with a
// side above max_side (0: no limit) is shrunk by resize_area to longer side max_side: game
// textures of 1024-2048 px would otherwise blend only their top-left corner into a small crop,
// and 512 keeps a tile several times larger than the 128 px training patches. An unreadable file
// is skipped (listed in `skipped`); a folder that is missing, empty or has no usable texture, and
// a name found twice, are errors naming the folder (or both files). Sorted by name.
struct TextureFolders {
  std::vector<Texture> textures;
  std::vector<std::pair<std::string, std::string>> skipped;  // (path, reason)
};
TextureFolders load_texture_folders(const std::vector<std::string>& dirs, int max_side = 512);

// VOC's segmentation palette (class id -> RGB, id 255 = the "void" boundary colour 224,224,192).
std::array<uint8_t, 3> voc_palette_colour(int id);
// A VOC SegmentationClass PNG (palette, read as RGB) or a grey raw-id PNG -> class ids. A colour
// outside the palette is an error naming the file and the pixel.
LabelMap load_voc_labels(const std::string& path);

struct VocSmoothConfig {
  SmoothnessTest test;
  std::vector<CandidateOperator> operators = default_candidate_operators();
  int max_side = 0;                  // 0: native size
  int crops = 0, crop_size = 0;      // crops 0: the whole photo
  std::optional<PhotoSplit> split;   // which photos; none: every photo (library use, tests)
  PhotoSplitRule split_rule;         // how photos are assigned to splits
  int textures_per_image = 0;  // per ground truth; 0: every texture; else a random subset
  uint64_t seed = 1;           // crop boxes, texture subsets and texture offsets
  float texture_strength = 1.f;
  // The over-smoothed negative: the procedural data's bilateral filter, of each ground truth (paper sec. 4.4).
  int over_radius = ProceduralConfig{}.over_radius;
  float over_sigma_color = ProceduralConfig{}.over_sigma_color, over_sigma_space = ProceduralConfig{}.over_sigma_space;
  nlohmann::json texture_source = nullptr;  // recorded as is (the CLI: folders, max side, skipped files)
  int threads = 0;  // photos processed at once (0: hardware concurrency); the files do not depend on it
  // One line naming the flag (--max-side, --crops, --crop-size, ...) when a value is unusable.
  void validate() const;
};

struct VocSmoothReport {
  int photos = 0;         // photos of the split (all photos without a split)
  int ground_truths = 0;  // ground-truth images (whole photos or crops) written
  int64_t samples = 0;
  int photos_resumed = 0;        // photos whose samples an earlier run had finished
  int ground_truths_resumed = 0;  // photos whose ground truths an earlier run had finished
  std::vector<std::pair<std::string, std::string>> rejected;  // (photo or crop stem, reason)
};

// Builds the data set (see above) from every PNG/JPEG directly in images_dir, labels from
// labels_dir/<stem>.png when given (else 255, ignore), with `textures` (already the split's).
// out_dir must be new, or an unfinished or finished build of the same parameters. `progress`
// reports (stage, done, total) for the stages "checking inputs", "ground truths" (photos) and
// "samples", one call at a time (from worker threads).
VocSmoothReport write_voc_smooth_dataset(
    const std::string& images_dir, const std::string& labels_dir, const std::vector<Texture>& textures,
    const std::string& out_dir, const VocSmoothConfig& config,
    const std::function<void(const std::string& stage, int64_t done, int64_t total)>& progress = {});

}  // namespace csgis::data
