// tests/simt/test_simt_checks.cpp — the emulator catches what a GPU would punish (kernels/simt/
// simt_checks.h): each test seeds one bug, shows that the fixed schedule or plain host memory would
// hide it, and that the shuffled schedules, the NaN fill or the guard zones expose it.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef CSGIS_SIMT
#define CSGIS_SIMT 1
#endif
#include "engine/tensor.h"
#include "kernels/cuda/cuda_common.cuh"

namespace {

struct Seed {  // sets the calling thread's schedule for one scope
  explicit Seed(std::uint64_t s) { simt::set_schedule_seed(s); }
  ~Seed() { simt::reset_schedule_seed(); }
};

// Thread 0 writes the value every thread reads, without the __syncthreads() in between.
__global__ void broadcast_kernel(float* out, int with_barrier) {
  CSGIS_DYNAMIC_SHARED(float, sh);
  if (threadIdx.x == 0) sh[0] = 42.0f;
  if (with_barrier) __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = sh[0];
}

// Every thread shifts the shared array by one in place: a read of a neighbour that another thread of
// the same barrier interval may already have overwritten.
__global__ void shift_racy_kernel(int* out) {
  CSGIS_DYNAMIC_SHARED(int, sh);
  const unsigned t = threadIdx.x;
  sh[t] = static_cast<int>(t);
  __syncthreads();
  sh[t] = sh[(t + 1) % blockDim.x];
  __syncthreads();
  out[t] = sh[t];
}

// Every block writes its index to one word: "the last block wins" is not an order CUDA promises.
__global__ void last_block_wins_kernel(int* out) {
  if (threadIdx.x == 0) out[0] = static_cast<int>(blockIdx.x);
}

__global__ void fill_kernel(float* p, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) p[i] = 1.0f;
}

// Thread 0 records what its block's static array held before anyone wrote it, then writes it.
__global__ void static_fresh_kernel(float* seen) {
  CSGIS_STATIC_SHARED(float, sh, [32]);
  if (threadIdx.x == 0) {
    seen[blockIdx.x] = sh[0];
    sh[0] = static_cast<float>(blockIdx.x);
  }
}

// Writes elements [first, n) of a static array of 64 (first = -1: one before its start).
__global__ void static_overrun_kernel(int first, int n) {
  CSGIS_STATIC_SHARED(float, sh, [64]);
  float* p = sh;  // through a pointer: indexing the array type past its end is what UBSan's bounds check stops first
  for (int i = first + static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) p[i] = 1.0f;
}

// 40 KiB of static shared memory; the launch adds dynamic bytes.
__global__ void static_big_kernel(float* out) {
  CSGIS_STATIC_SHARED(float, big, [10240]);
  big[threadIdx.x] = 1.0f;
  out[threadIdx.x] = big[threadIdx.x];
}

std::vector<float> broadcast(int with_barrier) {
  std::vector<float> out(4 * 64, 0.0f);
  simt::launch(dim3(4), dim3(64), sizeof(float), broadcast_kernel, out.data(), with_barrier);
  return out;
}
int count_not(const std::vector<float>& v, float want) {
  int n = 0;
  for (float x : v) n += !(x == want);
  return n;
}

}  // namespace

TEST_CASE("simt schedules: a missing barrier is hidden by thread order and exposed by a shuffle", "[simt]") {
  {
    Seed fixed(0);
    CHECK(count_not(broadcast(0), 42.0f) == 0);  // thread 0 happens to run first: the bug is invisible
  }
  Seed shuffled(7);
  const std::vector<float> racy = broadcast(0);
  CHECK(count_not(racy, 42.0f) > 0);  // threads that ran before thread 0 read unwritten (NaN) shared memory
  for (float v : racy) CHECK((v == 42.0f || std::isnan(v)));
  CHECK(count_not(broadcast(1), 42.0f) == 0);  // with the barrier every schedule agrees
}

TEST_CASE("simt schedules: a read-write race inside a barrier interval changes the result", "[simt]") {
  auto run = [](std::uint64_t seed) {
    Seed s(seed);
    std::vector<int> out(64, -1);
    simt::launch(dim3(1), dim3(64), 64 * sizeof(int), shift_racy_kernel, out.data());
    return out;
  };
  const std::vector<int> fixed = run(0);
  for (int t = 0; t < 63; ++t) CHECK(fixed[size_t(t)] == t + 1);  // in thread order it looks right
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) differs = differs || run(seed) != fixed;
  CHECK(differs);
}

TEST_CASE("simt schedules: block order is shuffled, and the same seed replays the same order", "[simt]") {
  auto last = [](std::uint64_t seed) {
    Seed s(seed);
    int out = -1;
    simt::launch(dim3(37), dim3(32), 0, last_block_wins_kernel, &out);
    return out;
  };
  CHECK(last(0) == 36);
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) differs = differs || last(seed) != 36;
  CHECK(differs);
  for (std::uint64_t seed = 1; seed <= 4; ++seed) CHECK(last(seed) == last(seed));  // a seed replays
}

TEST_CASE("simt schedules: a CSGIS_SIMT_SCHEDULE that is not a number fails the launch", "[simt]") {
  simt::reset_schedule_seed();
  setenv("CSGIS_SIMT_SCHEDULE", "fast", 1);
  float x = 0;
  std::string msg;
  try {
    simt::launch(dim3(1), dim3(1), 0, fill_kernel, &x, 1);
  } catch (const simt::Error& e) {
    msg = e.what();
  }
  unsetenv("CSGIS_SIMT_SCHEDULE");
  CHECK_THAT(msg, Catch::Contains("CSGIS_SIMT_SCHEDULE") && Catch::Contains("'fast'"));
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);
}

TEST_CASE("simt device memory: fresh tensors read as NaN, not as zeros", "[simt]") {
  const csgis::Tensor t = csgis::Tensor::empty({3, 5}, csgis::DType::F32, csgis::Device::simt());
  for (float v : t.to_vector<float>()) CHECK(std::isnan(v));
  const csgis::Tensor z = csgis::Tensor::zeros({3, 5}, csgis::DType::F32, csgis::Device::simt());
  for (float v : z.to_vector<float>()) CHECK(v == 0.0f);
}

TEST_CASE("simt device memory: a write past the end fails the launch, naming the kernel", "[simt]") {
  const int n = 100;
  std::vector<unsigned char> block(n * sizeof(float) + 2 * simt::kDeviceGuardBytes);
  const std::size_t before = simt::tracked_device_allocations();
  float* p = static_cast<float*>(simt::track_device_allocation(block.data(), n * sizeof(float)));
  CHECK(simt::tracked_device_allocations() == before + 1);
  CHECK(std::isnan(p[n - 1]));
  CHECK_NOTHROW(simt::launch_named("fill", dim3(2), dim3(64), 0, fill_kernel, p, n));
  std::string msg;
  try {
    simt::launch_named("fill_one_too_many", dim3(2), dim3(64), 0, fill_kernel, p, n + 1);
  } catch (const simt::Error& e) {
    msg = e.what();
  }
  CHECK_THAT(msg, Catch::Contains("'fill_one_too_many'") && Catch::Contains("byte 0 past the end") &&
                      Catch::Contains("400 bytes"));
  CHECK(cudaGetLastError() == cudaErrorIllegalAddress);
  CHECK_NOTHROW(simt::launch_named("fill", dim3(2), dim3(64), 0, fill_kernel, p, n));  // reported once
  // A launch that fails for another reason (here: an invalid block size) still names the damage.
  p[n] = 0.0f;  // as a buggy copy would
  msg.clear();
  try {
    simt::launch_named("bad_config", dim3(1), dim3(2048), 0, fill_kernel, p, n);
  } catch (const simt::Error& e) {
    msg = e.what();
  }
  CHECK_THAT(msg, Catch::Contains("'bad_config'") && Catch::Contains("1024 threads") &&
                      Catch::Contains("also: byte 0 past the end"));
  CHECK_NOTHROW(simt::launch_named("fill", dim3(2), dim3(64), 0, fill_kernel, p, n));
  CHECK(simt::untrack_device_allocation(p) == block.data());
  CHECK(simt::tracked_device_allocations() == before);
}

TEST_CASE("simt static shared memory: fresh NaN per block, guarded, counted against 48 KiB", "[simt]") {
  std::vector<float> seen(3, 0.0f);
  simt::launch(dim3(3), dim3(32), 0, static_fresh_kernel, seen.data());
  for (float v : seen) CHECK(std::isnan(v));  // not the previous block's value, not zero

  CHECK_NOTHROW(simt::launch_named("fits", dim3(2), dim3(32), 0, static_overrun_kernel, 0, 64));
  std::string msg;
  try {
    simt::launch_named("overrun", dim3(2), dim3(32), 0, static_overrun_kernel, 0, 65);
  } catch (const simt::Error& e) {
    msg = e.what();
  }
  CHECK_THAT(msg, Catch::Contains("'overrun'") && Catch::Contains("past the end of a static shared array of 256 bytes"));
  msg.clear();
  try {
    simt::launch_named("underrun", dim3(2), dim3(32), 0, static_overrun_kernel, -1, 64);
  } catch (const simt::Error& e) {
    msg = e.what();
  }
  CHECK_THAT(msg, Catch::Contains("'underrun'") && Catch::Contains("before the start of a static shared array"));

  std::vector<float> out(32);
  CHECK_NOTHROW(simt::launch(dim3(1), dim3(32), 8 * 1024, static_big_kernel, out.data()));  // 40 + 8 KiB
  msg.clear();
  try {
    simt::launch_named("too_big", dim3(1), dim3(32), 8 * 1024 + 4, static_big_kernel, out.data());
  } catch (const simt::Error& e) {
    msg = e.what();
  }
  CHECK_THAT(msg, Catch::Contains("'too_big'") && Catch::Contains("40960 bytes of static plus 8196 of dynamic") &&
                      Catch::Contains("48 KiB"));
  CHECK(cudaGetLastError() == cudaErrorLaunchOutOfResources);
}
