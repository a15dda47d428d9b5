// The batch loader: deterministic slot -> sample mapping, worker threads, bounded prefetch.
#include "data/loader.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "engine/error.h"
#include "engine/generator.h"

namespace csgis::data {

namespace {

uint64_t mix(uint64_t a, uint64_t b) {  // splitmix64-style combination of two words
  uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kShuffleTag = 0x73687566666c65ULL, kAugmentTag = 0x6175676d656e74ULL,
                   kMixTag = 0x6d6978696e67ULL, kCleanTag = 0x636c65616eULL;

// HWC RGB -> CHW planes at dst.
void put_chw(const Image& img, float* dst) {
  const size_t plane = size_t(img.width) * img.height;
  for (int c = 0; c < 3; ++c)
    for (size_t i = 0; i < plane; ++i) dst[c * plane + i] = img.pixels[i * 3 + c];
}

}  // namespace

Loader::Loader(std::shared_ptr<const SampleSource> source, LoaderConfig cfg, int64_t start_batch)
    : source_(std::move(source)), cfg_(cfg) {
  CSGIS_CHECK(source_, "Loader: no sample source");
  CSGIS_CHECK(cfg_.batch_size > 0, "Loader: batch_size must be positive, got ", cfg_.batch_size);
  CSGIS_CHECK(cfg_.workers >= 0 && cfg_.prefetch > 0, "Loader: workers >= 0 and prefetch > 0 needed");
  CSGIS_CHECK(cfg_.mix_fraction >= 0 && cfg_.mix_fraction <= 1, "Loader: mix_fraction must be in [0, 1], got ",
              cfg_.mix_fraction);
  CSGIS_CHECK(cfg_.mix_fraction == 0 || cfg_.mix_source, "Loader: mix_fraction ", cfg_.mix_fraction,
              " without a mix source");
  CSGIS_CHECK(cfg_.clean_fraction >= 0 && cfg_.clean_fraction <= 1,
              "Loader: clean_fraction must be in [0, 1], got ", cfg_.clean_fraction);
  CSGIS_CHECK(start_batch >= 0, "Loader: start batch ", start_batch, " is negative");
  CSGIS_CHECK(cfg_.shard_count > 0 && cfg_.shard_rank >= 0 && cfg_.shard_rank < cfg_.shard_count,
              "Loader: shard ", cfg_.shard_rank, " of ", cfg_.shard_count, " does not exist");
  const int64_t n = source_->size(), global_batch = int64_t(cfg_.batch_size) * cfg_.shard_count;
  if (n >= 0) {
    batches_per_epoch_ = n / global_batch;
    if (cfg_.shard_count == 1)
      CSGIS_CHECK(batches_per_epoch_ > 0, "Loader: the source has ", n, " samples, fewer than one batch of ",
                  cfg_.batch_size);
    else
      CSGIS_CHECK(batches_per_epoch_ > 0, "Loader: the source has ", n, " samples, fewer than one global batch of ",
                  global_batch, " (", cfg_.shard_count, " ranks x batch ", cfg_.batch_size,
                  "): use fewer ranks or a smaller data.batch");
  }
  consumer_ = next_claim_ = start_batch;
  for (int i = 0; i < cfg_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

int64_t Loader::slot(int64_t batch, int j) const {
  const int64_t B = cfg_.batch_size;
  return (batch * cfg_.shard_count + cfg_.shard_rank) * B + j;
}

std::vector<int64_t> Loader::batch_samples(int64_t batch) const {
  const int64_t B = cfg_.batch_size;
  std::vector<int64_t> out(static_cast<size_t>(B));
  if (batches_per_epoch_ < 0) {
    for (int64_t j = 0; j < B; ++j) out[size_t(j)] = slot(batch, int(j));
    return out;
  }
  // The shard's place in its epoch's global batch.
  const int64_t epoch = batch / batches_per_epoch_,
                first = ((batch % batches_per_epoch_) * cfg_.shard_count + cfg_.shard_rank) * B;
  if (!cfg_.shuffle) {
    for (int64_t j = 0; j < B; ++j) out[size_t(j)] = first + j;
    return out;
  }
  // Fisher-Yates over the whole source, seeded per epoch: O(N) per batch, cheap next to decoding.
  std::vector<int64_t> perm(size_t(source_->size()));
  std::iota(perm.begin(), perm.end(), int64_t(0));
  Generator g(mix(cfg_.seed ^ kShuffleTag, uint64_t(epoch)));
  for (size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[g.randint(i + 1)]);
  for (int64_t j = 0; j < B; ++j) out[size_t(j)] = perm[size_t(first + j)];
  return out;
}

int64_t Loader::sample_index(int64_t batch, int j) const {
  CSGIS_CHECK(j >= 0 && j < cfg_.batch_size, "Loader::sample_index: slot ", j, " of a batch of ",
              cfg_.batch_size);
  return batch_samples(batch)[size_t(j)];
}

// Whether slot j of batch b is one of the fraction p of slots picked by the draw tagged `tag`.
bool Loader::slot_drawn(const char* what, uint64_t tag, double p, int64_t batch, int j) const {
  CSGIS_CHECK(j >= 0 && j < cfg_.batch_size, "Loader::", what, ": slot ", j, " of a batch of ", cfg_.batch_size);
  if (p <= 0) return false;  // no draw: batches stay exactly as without the option
  Generator g(mix(cfg_.seed ^ tag, uint64_t(slot(batch, j))));
  return g.uniform() < p;
}

bool Loader::from_mix_source(int64_t batch, int j) const {
  return slot_drawn("from_mix_source", kMixTag, cfg_.mix_fraction, batch, j);
}

bool Loader::is_clean_slot(int64_t batch, int j) const {
  return slot_drawn("is_clean_slot", kCleanTag, cfg_.clean_fraction, batch, j);
}

Loader::Raw Loader::build(int64_t batch) const {
  Raw r;
  try {
    const int B = cfg_.batch_size, P = cfg_.augment.patch;
    const size_t plane = size_t(P) * P;
    r.input.resize(B * 3 * plane);
    r.gt.resize(B * 3 * plane);
    r.over.resize(B * 3 * plane);
    r.edge.resize(B * plane);
    r.seg.resize(B * plane);
    const std::vector<int64_t> indices = batch_samples(batch);
    for (int j = 0; j < B; ++j) {
      const int64_t global_slot = slot(batch, j);
      Sample raw = from_mix_source(batch, j) ? cfg_.mix_source->get(global_slot) : source_->get(indices[size_t(j)]);
      if (is_clean_slot(batch, j)) {
        raw.input = raw.gt;  // augmentation then treats both alike, so the pair stays an identity
        raw.texture.clear();
      }
      Generator g(mix(cfg_.seed ^ kAugmentTag, uint64_t(global_slot)));
      const Sample s = augment(raw, cfg_.augment, g);
      put_chw(s.input, &r.input[j * 3 * plane]);
      put_chw(s.gt, &r.gt[j * 3 * plane]);
      put_chw(s.over, &r.over[j * 3 * plane]);
      for (size_t i = 0; i < plane; ++i) {
        r.edge[j * plane + i] = s.edge.data[i] ? 1.f : 0.f;
        r.seg[j * plane + i] = s.seg.data[i];
      }
      r.names.push_back(s.name);
      r.textures.push_back(s.texture);
    }
  } catch (...) {
    r.error = std::current_exception();
  }
  return r;
}

Batch Loader::to_batch(int64_t batch, Raw&& raw) const {
  if (raw.error) std::rethrow_exception(raw.error);
  const int64_t B = cfg_.batch_size, P = cfg_.augment.patch;
  Batch b;
  b.index = batch;
  b.input = Tensor::from_vector(raw.input, {B, 3, P, P});
  b.gt = Tensor::from_vector(raw.gt, {B, 3, P, P});
  b.over = Tensor::from_vector(raw.over, {B, 3, P, P});
  b.edge = Tensor::from_vector(raw.edge, {B, 1, P, P});
  b.seg = Tensor::empty({B, P, P}, DType::I64, Device::cpu());
  std::memcpy(b.seg.data<int64_t>(), raw.seg.data(), raw.seg.size() * sizeof(int64_t));
  b.names = std::move(raw.names);
  b.textures = std::move(raw.textures);
  return b;
}

void Loader::worker_loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    work_cv_.wait(lk, [&] { return stop_ || next_claim_ < consumer_ + cfg_.prefetch; });
    if (stop_) return;
    const int64_t b = next_claim_++;
    const uint64_t gen = generation_;
    lk.unlock();
    Raw r = build(b);
    lk.lock();
    if (gen == generation_) {
      ready_.emplace(b, std::move(r));
      ready_cv_.notify_all();
    }
  }
}

Batch Loader::next() {
  int64_t b;
  Raw raw;
  {
    std::unique_lock<std::mutex> lk(mu_);
    b = consumer_;
    if (workers_.empty()) {
      ++consumer_;
    } else {
      ready_cv_.wait(lk, [&] { return ready_.count(b) > 0; });
      raw = std::move(ready_[b]);
      ready_.erase(b);
      ++consumer_;
      work_cv_.notify_all();
    }
  }
  if (workers_.empty()) raw = build(b);
  return to_batch(b, std::move(raw));
}

int64_t Loader::position() const {
  std::lock_guard<std::mutex> lk(mu_);
  return consumer_;
}

void Loader::seek(int64_t batch) {
  CSGIS_CHECK(batch >= 0, "Loader::seek: batch ", batch, " is negative");
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++generation_;
    ready_.clear();
    consumer_ = next_claim_ = batch;
  }
  work_cv_.notify_all();
}

}  // namespace csgis::data
