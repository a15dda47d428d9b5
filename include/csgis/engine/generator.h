// Random numbers for initialisation, dropout-free augmentation and tests. xoshiro256** with a
// splitmix64 seed expansion: small state (saved in checkpoints), identical on every platform
// (std::normal_distribution is not, so normals come from our own Box-Muller).
#pragma once
#include <array>
#include <cstdint>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal();  // standard normal
  // Uniform integer in [0, n).
  uint64_t randint(uint64_t n);

  using State = std::array<uint64_t, 5>;  // 4 words of xoshiro + cached-normal flag/bits
  State state() const;
  void set_state(const State& s);

 private:
  uint64_t s_[4];
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

}  // namespace csgis
#pragma GCC visibility pop
