// Batches for training: worker threads build augmented batches ahead of the trainer through a
// bounded queue. Everything a batch holds is a function of (seed, batch index) alone:
//   slot s = b * batch_size + j;
//   finite source (N samples): epoch e = b / (N / batch_size) (incomplete last batch dropped), the
//     sample is perm_e[(b mod batches_per_epoch) * batch_size + j], perm_e a Fisher-Yates shuffle
//     from Generator(mix(seed, e)) (identity when shuffle is off);
//   infinite (procedural) source: the sample is index s;
//   augmentation draws from Generator(mix(seed, s));
//   with a mix source and mix_fraction p > 0, slot s instead takes mix_source->get(s) when
//     Generator(mix(seed ^ mix tag, s)).uniform() < p (the source sample it displaces is skipped);
//   with clean_fraction q > 0, slot s is a texture-free sample (input = gt, before augmentation)
//     when Generator(mix(seed ^ clean tag, s)).uniform() < q.
// Shards (data-parallel ranks): with shard_count K, a global batch b holds K * batch_size slots and
//   shard r reads slots b * K * batch_size + r * batch_size + j (j < batch_size) under the rules
//   above (an epoch has N / (K * batch_size) global batches). So the K shards of an epoch are
//   disjoint and cover it, and K shards of batch B read exactly the samples, augmentations included,
//   of one loader with batch K * B.
// So the thread count changes nothing, and a trainer resuming at batch k (seek(k) or start_batch)
// gets exactly the batches an uninterrupted run would have.
// Procedural training: generate samples larger than the patch (ProceduralConfig::size >=
// ~1.2 * patch + 2 for 10-degree rotations, ~1.42 * patch + 2 for 45), else the rotation range
// shrinks to what the margin allows (data/augment.h).
// Validation: AugmentConfig::none(patch) and shuffle = false (or read the source directly).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "engine/tensor.h"

namespace csgis::data {

// float32 CPU tensors: input, gt, over [B,3,P,P] (RGB, [0,1]); edge [B,1,P,P] (0/1); seg [B,P,P]
// int64 class ids (255 = ignore), the target layout a cross-entropy takes.
struct Batch {
  int64_t index = 0;
  Tensor input, gt, edge, seg, over;
  std::vector<std::string> names;     // sample names (file paths for folder sources)
  std::vector<std::string> textures;  // texture of each sample (empty when unknown)
};

struct LoaderConfig {
  int batch_size = 8;
  int workers = 2;   // 0: batches are built on the thread calling next()
  int prefetch = 4;  // how many batches may be built ahead of the consumer
  uint64_t seed = 0;
  bool shuffle = true;  // finite sources: a new permutation each epoch
  AugmentConfig augment;
  // Another source mixed in (procedural samples into a folder set): see the rule above. It must be
  // infinite or at least as long as the slots drawn from it.
  std::shared_ptr<const SampleSource> mix_source;
  double mix_fraction = 0.0;
  // Texture-free samples: with this probability a slot's input is its own ground truth, so the
  // network also sees structure with nothing to remove (the rule above). Photo ground truths keep
  // fine detail that a model trained on blends alone learns to flatten; these samples ask it to
  // leave such detail alone. 0: batches exactly as without the key.
  double clean_fraction = 0.0;
  // This loader's shard of every global batch (data-parallel training: rank, world size).
  int shard_rank = 0, shard_count = 1;
};

class Loader {
 public:
  Loader(std::shared_ptr<const SampleSource> source, LoaderConfig cfg, int64_t start_batch = 0);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The batch at position(), then advances. Rethrows an error met while building it.
  Batch next();
  int64_t position() const;
  // Restart at batch b: prefetched batches are dropped, workers continue from b.
  void seek(int64_t batch);
  int64_t batches_per_epoch() const { return batches_per_epoch_; }  // -1: infinite source
  // The global slot of slot j of batch b (the rule above).
  int64_t slot(int64_t batch, int j) const;
  // Which source sample fills slot j of batch b (the rule above; ignores the mix source).
  int64_t sample_index(int64_t batch, int j) const;
  // Whether slot j of batch b comes from the mix source.
  bool from_mix_source(int64_t batch, int j) const;
  // Whether slot j of batch b is a texture-free sample (input replaced by its gt).
  bool is_clean_slot(int64_t batch, int j) const;

 private:
  struct Raw {  // a batch as plain buffers: tensors are only made on the consumer's thread
    std::vector<float> input, gt, edge, over;
    std::vector<int64_t> seg;
    std::vector<std::string> names, textures;
    std::exception_ptr error;
  };
  std::vector<int64_t> batch_samples(int64_t batch) const;
  bool slot_drawn(const char* what, uint64_t tag, double p, int64_t batch, int j) const;
  Raw build(int64_t batch) const;
  Batch to_batch(int64_t batch, Raw&& raw) const;
  void worker_loop();

  std::shared_ptr<const SampleSource> source_;
  LoaderConfig cfg_;
  int64_t batches_per_epoch_ = -1;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  int64_t consumer_ = 0;    // next batch next() returns
  int64_t next_claim_ = 0;  // next batch a worker builds
  uint64_t generation_ = 0; // bumped by seek(): results of older generations are dropped
  bool stop_ = false;
  std::map<int64_t, Raw> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace csgis::data
