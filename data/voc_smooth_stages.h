// Internal to the VOC-smooth builder (data/voc_smooth_writer.cpp, voc_smooth_stages.cpp): one
// photo's ground-truth and sample stages and the JSON records they leave in OUT/.work.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/voc_smooth.h"

namespace csgis::data::voc_detail {

// One photo of the build: its files, content hashes and its two records.
struct Photo {
  std::string stem, path, labels_path, hash, labels_hash;
  nlohmann::json gt, done;  // this build's records (null until made or trusted)
};

// Written atomically; read_json gives null for a missing or unparsable file (never trusted).
void write_json(const std::filesystem::path& path, const nlohmann::json& j);
nlohmann::json read_json(const std::filesystem::path& path);
// Content hash of a file (fnv1a64 of its bytes, hex); "missing" when it cannot be read.
std::string file_hash(const std::string& path);

// Stage 2 for one photo: the ground truth of the whole photo or of each crop, saved to .work/gt
// and .work/seg, then the record listing them and every candidate's scores (<stem>.gt.json).
nlohmann::json ground_truth_record(const Photo& p, const VocSmoothConfig& cfg, const std::filesystem::path& work);
// Removes the sample files a done record lists (a photo redone, or gone from the folder).
void remove_samples(const std::string& out_dir, const nlohmann::json& done_record);
int samples_per_ground_truth(const VocSmoothConfig& cfg, size_t textures);
// Stage 3 for one photo (p.gt set): every sample of its ground truths, then <stem>.done.json.
nlohmann::json samples_record(const Photo& p, const std::vector<Texture>& textures, const VocSmoothConfig& cfg,
                              const std::string& out_dir, const std::filesystem::path& work,
                              const std::function<void()>& on_sample);

}  // namespace csgis::data::voc_detail
