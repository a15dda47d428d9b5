#include "tools/lib/seg_metrics.h"

#include <filesystem>

#include "data/procedural.h"
#include "data/voc_smooth.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace fs = std::filesystem;

namespace csgis::tools {

SegConfusion::SegConfusion(int64_t num_classes) : k_(num_classes), m_(size_t(num_classes * num_classes), 0) {
  CSGIS_CHECK(num_classes >= 1, "SegConfusion: num_classes must be >= 1, got ", num_classes);
}

void SegConfusion::add(const std::vector<uint8_t>& truth, const std::vector<int64_t>& prediction,
                       const std::string& where) {
  CSGIS_CHECK(truth.size() == prediction.size(), where, ": ", truth.size(), " labels for ", prediction.size(),
              " predicted pixels");
  for (size_t i = 0; i < truth.size(); ++i) {
    const int64_t t = truth[i], p = prediction[i];
    if (t == 255) continue;
    CSGIS_CHECK(t < k_, where, ": label ", t, " at pixel ", i, " is outside [0, ", k_, ") and is not 255 (ignore)");
    CSGIS_CHECK(p >= 0 && p < k_, where, ": predicted class ", p, " outside [0, ", k_, ")");
    ++m_[size_t(t * k_ + p)];
  }
}

std::vector<double> SegConfusion::iou() const {
  std::vector<double> r(size_t(k_), -1.0);
  for (int64_t c = 0; c < k_; ++c) {
    int64_t tp = m_[size_t(c * k_ + c)], row = 0, col = 0;
    for (int64_t j = 0; j < k_; ++j) {
      row += m_[size_t(c * k_ + j)];
      col += m_[size_t(j * k_ + c)];
    }
    const int64_t uni = row + col - tp;
    if (uni > 0) r[size_t(c)] = double(tp) / double(uni);
  }
  return r;
}

double SegConfusion::mean_iou() const {
  double total = 0;
  int defined = 0;
  for (double v : iou())
    if (v >= 0) total += v, ++defined;
  return defined ? total / defined : 0.0;
}

int64_t SegConfusion::counted() const {
  int64_t n = 0;
  for (int64_t v : m_) n += v;
  return n;
}

double SegConfusion::pixel_accuracy() const {
  int64_t diag = 0;
  for (int64_t c = 0; c < k_; ++c) diag += m_[size_t(c * k_ + c)];
  const int64_t n = counted();
  return n ? double(diag) / double(n) : 0.0;
}

std::vector<int64_t> argmax_classes(const Tensor& logits) {
  CSGIS_CHECK(logits.defined() && logits.dim() == 4, "argmax_classes: logits must be [N, K, H, W], got ",
              logits.defined() ? shape_str(logits.shape()) : std::string("an undefined tensor"));
  Tensor indices;
  max(logits.detach(), 1, false, &indices);
  const Tensor host = indices.cpu().contiguous();
  const int64_t* p = host.data<int64_t>();
  return std::vector<int64_t>(p, p + host.numel());
}

data::Image colour_labels(const std::vector<uint8_t>& ids, int width, int height) {
  CSGIS_CHECK(ids.size() == size_t(width) * size_t(height), "colour_labels: ", ids.size(), " ids for ", width, "x",
              height);
  data::Image img(width, height, 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const auto rgb = data::voc_palette_colour(ids[size_t(y) * width + x]);
      for (int ch = 0; ch < 3; ++ch) img.at(x, y, ch) = float(rgb[size_t(ch)]) / 255.f;
    }
  return img;
}

LabelScan scan_labels(const data::SampleSource& source, const std::string& source_name, int64_t num_classes,
                      const std::string& what) {
  LabelScan scan;
  if (const auto* folder = dynamic_cast<const data::FolderDataset*>(&source)) {
    for (const std::string& stem : folder->stems()) {
      const std::string path = (fs::path(folder->dir()) / "seg" / (stem + ".png")).string();
      const data::LabelMap labels = data::load_labels(path);
      for (size_t i = 0; i < labels.data.size(); ++i) {
        const int id = labels.data[i];
        if (id == 255) continue;
        CSGIS_CHECK(id < num_classes, "labels '", path, "': class id ", id, " at pixel (", i % size_t(labels.width),
                    ", ", i / size_t(labels.width), ") is outside [0, ", num_classes, ") of ", what,
                    " and is not 255 (ignore)");
        ++scan.labelled_pixels;
      }
      ++scan.samples;
    }
    return scan;
  }
  CSGIS_CHECK(dynamic_cast<const data::ProceduralSource*>(&source) != nullptr, "data source '", source_name,
              "': cannot scan its labels (neither a folder nor procedural)");
  CSGIS_CHECK(num_classes >= data::kProceduralClasses, "data source '", source_name, "' has ",
              data::kProceduralClasses, " classes (data/procedural.h) but ", what, " allows only ", num_classes);
  scan.samples = -1;  // generated: every sample is labelled
  scan.labelled_pixels = -1;
  return scan;
}

}  // namespace csgis::tools
