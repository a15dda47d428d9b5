// tests/simt/test_simt.cpp — tests of the SIMT emulation layer (kernels/simt).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#ifndef CSGIS_SIMT
#define CSGIS_SIMT 1
#endif
#include "kernels/cuda/cuda_common.cuh"

namespace {

// Restores the host-thread settings a test changes.
struct HostThreads {
  explicit HostThreads(int n) { simt::set_host_threads(n); }
  ~HostThreads() { simt::set_host_threads(0); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const simt::Error& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Kernels.

// Block sum with a shared-memory tree; the block may be 1-D or 2-D (power-of-two thread count).
__global__ void block_sum_kernel(const float* in, float* partial, int n) {
  __shared__ float sh[1024];
  const unsigned tid = threadIdx.x + threadIdx.y * blockDim.x;
  const unsigned nthreads = blockDim.x * blockDim.y;
  const unsigned block = blockIdx.x + blockIdx.y * gridDim.x;
  float acc = 0.0f;
  for (unsigned i = block * nthreads + tid; i < static_cast<unsigned>(n); i += nthreads * gridDim.x * gridDim.y)
    acc += in[i];
  sh[tid] = acc;
  __syncthreads();
  for (unsigned s = nthreads / 2; s > 0; s >>= 1) {
    if (tid < s) sh[tid] += sh[tid + s];
    __syncthreads();
  }
  if (tid == 0) partial[block] = sh[0];
}

// The same reduction with the barrier inside the loop forgotten: a race the emulation must expose.
__global__ void block_sum_racy_kernel(const float* in, float* partial, int n) {
  __shared__ float sh[1024];
  const unsigned tid = threadIdx.x;
  float acc = 0.0f;
  for (unsigned i = blockIdx.x * blockDim.x + tid; i < static_cast<unsigned>(n); i += blockDim.x * gridDim.x) acc += in[i];
  sh[tid] = acc;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) sh[tid] += sh[tid + s];
  }
  if (tid == 0) partial[blockIdx.x] = sh[0];
}

__device__ __forceinline__ int warp_sum_down(int v) {
  for (int offset = warpSize / 2; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ int warp_sum_xor(int v) {
  for (int mask = warpSize / 2; mask > 0; mask /= 2) v += __shfl_xor_sync(0xffffffffu, v, mask);
  return v;
}

// out_down[warp] = sum via shfl_down (lane 0); out_xor[thread] = warp sum seen by every lane;
// ballots[warp] = ballot of (value is odd).
__global__ void warp_reduce_kernel(const int* in, int* out_down, int* out_xor, unsigned* ballots) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int v = in[i];
  const int lane = static_cast<int>(threadIdx.x) % warpSize;
  const int warp = i / warpSize;
  const int down = warp_sum_down(v);
  out_xor[i] = warp_sum_xor(v);
  const unsigned b = __ballot_sync(0xffffffffu, v & 1);
  if (lane == 0) {
    out_down[warp] = down;
    ballots[warp] = b;
  }
}

// Inclusive scan of each 8-lane segment with __shfl_up_sync(width 8), and a broadcast from lane 3.
__global__ void warp_scan_kernel(const int* in, int* scan, int* bcast) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  int v = in[i];
  for (unsigned d = 1; d < 8; d *= 2) {
    const int up = __shfl_up_sync(0xffffffffu, v, d, 8);
    if ((threadIdx.x & 7u) >= d) v += up;
  }
  scan[i] = v;
  bcast[i] = __shfl_sync(0xffffffffu, in[i], 3);
}

constexpr int kTile = 16;

__global__ void matmul_tiled_kernel(const float* a, const float* b, float* c, int m, int k, int n) {
  __shared__ float as[kTile][kTile];
  __shared__ float bs[kTile][kTile];
  const int row = static_cast<int>(blockIdx.y * kTile + threadIdx.y);
  const int col = static_cast<int>(blockIdx.x * kTile + threadIdx.x);
  float acc = 0.0f;
  for (int t = 0; t < (k + kTile - 1) / kTile; ++t) {
    const int ac = t * kTile + static_cast<int>(threadIdx.x);
    const int br = t * kTile + static_cast<int>(threadIdx.y);
    as[threadIdx.y][threadIdx.x] = (row < m && ac < k) ? a[row * k + ac] : 0.0f;
    bs[threadIdx.y][threadIdx.x] = (br < k && col < n) ? b[br * n + col] : 0.0f;
    __syncthreads();
    for (int j = 0; j < kTile; ++j) acc += as[threadIdx.y][j] * bs[j][threadIdx.x];
    __syncthreads();
  }
  if (row < m && col < n) c[row * n + col] = acc;
}

// Reverses each block's chunk through dynamic shared memory; `seen` records what thread 0 read
// before anyone wrote (uninitialized dynamic shared memory).
__global__ void reverse_dynamic_kernel(const float* in, float* out, float* seen) {
  CSGIS_DYNAMIC_SHARED(float, buf);
  const unsigned t = threadIdx.x;
  if (t == 0) seen[blockIdx.x] = buf[blockDim.x - 1];
  __syncthreads();
  buf[t] = in[blockIdx.x * blockDim.x + t];
  __syncthreads();
  out[blockIdx.x * blockDim.x + t] = buf[blockDim.x - 1 - t];
}

__global__ void dynamic_overrun_kernel(int count) {
  CSGIS_DYNAMIC_SHARED(float, buf);
  if (threadIdx.x == 0) buf[count] = 1.0f;  // count == number of floats: one past the end
}

__global__ void missing_barrier_kernel(int* out) {
  __shared__ int sh[32];
  if (threadIdx.x < 16) return;  // these threads never reach the barrier below
  sh[threadIdx.x] = static_cast<int>(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = sh[31 - threadIdx.x];
}

__global__ void divergent_collectives_kernel(int* out) {
  int v = static_cast<int>(threadIdx.x);
  if (threadIdx.x % 2 == 0)
    v = __shfl_down_sync(0xffffffffu, v, 1);
  else
    v = static_cast<int>(__ballot_sync(0xffffffffu, v > 3));
  out[threadIdx.x] = v;
}

__global__ void mask_names_exited_kernel(int* out) {
  if (threadIdx.x >= 8) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, static_cast<int>(threadIdx.x), 1);
}

__global__ void partial_mask_kernel(int* out) {  // correct use of a sub-warp mask
  if (threadIdx.x >= 8) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffu, static_cast<int>(threadIdx.x), 1);
}

__global__ void count_kernel(int* counter) { atomicAdd(counter, 1); }

__global__ void saxpy_grid_stride_kernel(int n, float a, const float* x, float* y) {
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n;
       i += static_cast<int>(blockDim.x * gridDim.x))
    y[i] = a * x[i] + y[i];
}

__global__ void barrier_kernel(int* out) {
  __shared__ int sh[256];
  sh[threadIdx.x] = static_cast<int>(threadIdx.x);
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = sh[blockDim.x - 1 - threadIdx.x];
}

// A barrier only in the last block: the plain loop must hand over to fibers mid-launch.
__global__ void late_barrier_kernel(int* out) {
  __shared__ int sh[64];
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (blockIdx.x + 1 == gridDim.x) {
    sh[threadIdx.x] = static_cast<int>(threadIdx.x) * 10;
    __syncthreads();
    out[i] = sh[(threadIdx.x + 1) % blockDim.x];
  } else {
    out[i] = static_cast<int>(i);
  }
}

__global__ void atomics_kernel(int* count, unsigned long long* big, float* fsum, unsigned* bins, int* maxv) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(count, 1);
  atomicAdd(big, 1ull << 33);
  atomicAdd(fsum, 1.0f);
  atomicAdd(&bins[i % 7], 1u);
  atomicMax(maxv, static_cast<int>(i));
}

__global__ void modifies_param_kernel(int v, int* out) {
  out[threadIdx.x] = v;  // must see the launch value, whatever other threads did to their copy
  v += 1000;
  out[blockDim.x + threadIdx.x] = v;
}

__global__ void barrier_count_kernel(int* out) {
  const int c = __syncthreads_count(threadIdx.x % 3 == 0);
  const int a = __syncthreads_and(threadIdx.x < 1000);
  const int o = __syncthreads_or(threadIdx.x == 5);
  out[threadIdx.x] = c * 100 + a * 10 + o;
}

__global__ void throwing_kernel(int* out) {
  __syncthreads();
  if (threadIdx.x == 3) throw std::out_of_range("kernel-side failure");
  out[threadIdx.x] = 1;
}

__global__ void macro_fill_kernel(float* out, float value, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) out[i] = value + static_cast<float>(i);
}

__global__ void no_arg_kernel() {}

template <int Scale>
__global__ void scale_kernel(const int* in, int* out) {
  out[threadIdx.x] = in[threadIdx.x] * Scale;
}

// A launcher as kernels/cuda/*.cu files write them.
void fill_launcher(float* out, float value, int n, cudaStream_t stream) {
  const int threads = 128;
  const int blocks = (n + threads - 1) / threads;
  CSGIS_LAUNCH(macro_fill_kernel, blocks, threads, 0, stream, out, value, n);
  CSGIS_CHECK_LAUNCH(macro_fill_kernel);
}

void host_block_sum(const std::vector<float>& in, dim3 grid, dim3 block) {
  const unsigned nblocks = grid.x * grid.y;
  std::vector<float> partial(nblocks, -1.0f);
  simt::launch(grid, block, 0, block_sum_kernel, in.data(), partial.data(), static_cast<int>(in.size()));
  const double got = std::accumulate(partial.begin(), partial.end(), 0.0);
  const double want = std::accumulate(in.begin(), in.end(), 0.0);
  REQUIRE(got == want);
}

std::vector<float> small_ints(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-3, 3);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(rng));
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("block reduction with __shared__ and __syncthreads", "[simt]") {
  const std::vector<float> in = small_ints(10007, 1);  // small integers: every sum is exact
  SECTION("1-D blocks, non-power-of-two grids") {
    host_block_sum(in, dim3(7), dim3(256));
    host_block_sum(in, dim3(13), dim3(64));
    host_block_sum(in, dim3(1), dim3(1024));
    host_block_sum(in, dim3(3), dim3(32));
    host_block_sum(in, dim3(5), dim3(1));
  }
  SECTION("2-D blocks and grids") {
    host_block_sum(in, dim3(3, 5), dim3(16, 8));
    host_block_sum(in, dim3(2, 3), dim3(8, 32));
  }
  SECTION("on several host threads") {
    HostThreads ht(3);
    host_block_sum(in, dim3(11), dim3(128));
    CHECK(simt::last_launch_stats().host_threads == 3);
    CHECK(simt::last_launch_stats().blocks == 11);
  }
}

TEST_CASE("a reduction missing a barrier gives a wrong result", "[simt]") {
  const std::vector<float> in = small_ints(4096, 2);
  std::vector<float> partial(4, 0.0f);
  simt::launch(dim3(4), dim3(256), 0, block_sum_racy_kernel, in.data(), partial.data(), 4096);
  const double got = std::accumulate(partial.begin(), partial.end(), 0.0);
  const double want = std::accumulate(in.begin(), in.end(), 0.0);
  CHECK(got != want);
}

TEST_CASE("warp shuffle reductions and ballot", "[simt]") {
  const int n = 4 * 64;
  std::vector<int> in(n);
  std::mt19937 rng(3);
  for (int& x : in) x = static_cast<int>(rng() % 1000) - 500;
  std::vector<int> down(n / 32, 0), xr(n, 0);
  std::vector<unsigned> ballots(n / 32, 0);
  simt::launch(dim3(4), dim3(64), 0, warp_reduce_kernel, in.data(), down.data(), xr.data(), ballots.data());
  for (int w = 0; w < n / 32; ++w) {
    int sum = 0;
    unsigned ballot = 0;
    for (int l = 0; l < 32; ++l) {
      sum += in[w * 32 + l];
      if (in[w * 32 + l] & 1) ballot |= 1u << l;
    }
    CHECK(down[w] == sum);
    CHECK(ballots[w] == ballot);
    for (int l = 0; l < 32; ++l) CHECK(xr[w * 32 + l] == sum);
  }
  CHECK(simt::last_launch_stats().fiber_blocks == 4);
}

TEST_CASE("segmented shfl_up scan and shfl broadcast", "[simt]") {
  std::vector<int> in(96);
  std::iota(in.begin(), in.end(), 1);
  std::vector<int> scan(96), bcast(96);
  simt::launch(dim3(1), dim3(96), 0, warp_scan_kernel, in.data(), scan.data(), bcast.data());
  for (int i = 0; i < 96; ++i) {
    int want = 0;
    for (int j = i & ~7; j <= i; ++j) want += in[j];
    CHECK(scan[i] == want);
    CHECK(bcast[i] == in[(i & ~31) + 3]);
  }
}

TEST_CASE("tiled matmul with odd sizes", "[simt]") {
  const int m = 37, k = 23, n = 41;
  const std::vector<float> a = small_ints(m * k, 4), b = small_ints(k * n, 5);
  std::vector<float> c(m * n, -99.0f);
  const dim3 block(kTile, kTile);
  const dim3 grid((n + kTile - 1) / kTile, (m + kTile - 1) / kTile);
  simt::launch(grid, block, 0, matmul_tiled_kernel, a.data(), b.data(), c.data(), m, k, n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float want = 0.0f;
      for (int l = 0; l < k; ++l) want += a[i * k + l] * b[l * n + j];
      REQUIRE(c[i * n + j] == want);
    }
  CHECK(simt::last_launch_stats().fiber_blocks == grid.x * grid.y);
}

TEST_CASE("dynamic shared memory", "[simt]") {
  SECTION("works, and starts out as garbage") {
    const int blocks = 3, threads = 100;
    std::vector<float> in(blocks * threads), out(in.size(), 0.0f), seen(blocks, 0.0f);
    std::iota(in.begin(), in.end(), 0.0f);
    simt::launch(dim3(blocks), dim3(threads), threads * sizeof(float), reverse_dynamic_kernel, in.data(), out.data(),
                 seen.data());
    for (int b = 0; b < blocks; ++b) {
      CHECK(std::isnan(seen[b]));
      for (int t = 0; t < threads; ++t) CHECK(out[b * threads + t] == in[b * threads + threads - 1 - t]);
    }
  }
  SECTION("a write one past the end is reported") {
    simt::set_schedule_seed(0);  // the first failing block in launch order is block 0 only in linear order
    const std::string msg = error_of([] { simt::launch_named("overrun", dim3(2), dim3(32), 64 * sizeof(float),
                                                             dynamic_overrun_kernel, 64); });
    CHECK_THAT(msg, Catch::Contains("past the end of the dynamic shared memory"));
    CHECK_THAT(msg, Catch::Contains("'overrun'"));
    CHECK_THAT(msg, Catch::Contains("block (0,0,0)"));
    CHECK(cudaGetLastError() == cudaErrorIllegalAddress);
    CHECK_NOTHROW(simt::launch(dim3(2), dim3(32), 64 * sizeof(float), dynamic_overrun_kernel, 63));
    simt::reset_schedule_seed();
  }
}

TEST_CASE("a barrier not reached by every thread is reported", "[simt]") {
  std::vector<int> out(32, 0);
  const std::string msg =
      error_of([&] { simt::launch_named("missing_barrier", dim3(1), dim3(32), 0, missing_barrier_kernel, out.data()); });
  CHECK_THAT(msg, Catch::Contains("'missing_barrier'"));
  CHECK_THAT(msg, Catch::Contains("thread (0,0,0) exited while 16 threads wait at __syncthreads"));
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure);
  CHECK(cudaGetLastError() == cudaSuccess);
  // The same host thread launches normally afterwards.
  std::vector<int> ok(2 * 64, 0);
  REQUIRE_NOTHROW(simt::launch(dim3(2), dim3(64), 0, barrier_kernel, ok.data()));
  CHECK(ok[64 + 5] == 58);
}

TEST_CASE("misused warp collectives are reported", "[simt]") {
  std::vector<int> out(32, 0);
  CHECK_THAT(error_of([&] { simt::launch(dim3(1), dim3(32), 0, divergent_collectives_kernel, out.data()); }),
             Catch::Contains("waits at __shfl_down_sync(mask 0xffffffff, width 32) while lane 1"));
  CHECK_THAT(error_of([&] { simt::launch(dim3(1), dim3(32), 0, mask_names_exited_kernel, out.data()); }),
             Catch::Contains("named in the mask has exited"));
  CHECK(cudaGetLastError() != cudaSuccess);
  REQUIRE_NOTHROW(simt::launch(dim3(1), dim3(32), 0, partial_mask_kernel, out.data()));
  for (int i = 0; i < 8; ++i) CHECK(out[i] == (i ^ 1));
}

TEST_CASE("launches beyond the hardware limits are rejected", "[simt]") {
  int counter = 0;
  CHECK_THAT(error_of([&] { simt::launch(dim3(1), dim3(2048), 0, count_kernel, &counter); }),
             Catch::Contains("2048 threads exceeds the limit of 1024"));
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  CHECK_THROWS_AS(simt::launch(dim3(1), dim3(1, 1, 65), 0, count_kernel, &counter), simt::Error);
  CHECK_THROWS_AS(simt::launch(dim3(1, 70000), dim3(32), 0, count_kernel, &counter), simt::Error);
  CHECK_THROWS_AS(simt::launch(dim3(0), dim3(32), 0, count_kernel, &counter), simt::Error);
  CHECK_THROWS_AS(simt::launch(dim3(1), dim3(32), 49 * 1024, count_kernel, &counter), simt::Error);
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);
  CHECK(counter == 0);
  REQUIRE_NOTHROW(simt::launch(dim3(2), dim3(32, 32), 48 * 1024, count_kernel, &counter));
  CHECK(counter == 2048);
}

TEST_CASE("plain-loop path and fiber path", "[simt]") {
  SECTION("a barrier-free grid-stride kernel runs as a plain loop") {
    const int n = 10007;
    std::vector<float> x(n), y(n);
    for (int i = 0; i < n; ++i) {
      x[i] = static_cast<float>(i);
      y[i] = static_cast<float>(2 * i);
    }
    simt::launch(dim3(7), dim3(96), 0, saxpy_grid_stride_kernel, n, 3.0f, x.data(), y.data());
    for (int i = 0; i < n; ++i) REQUIRE(y[i] == static_cast<float>(5 * i));
    const simt::LaunchStats st = simt::last_launch_stats();
    CHECK(st.blocks == 7);
    CHECK(st.plain_blocks == 7);
    CHECK(st.fiber_blocks == 0);
    CHECK(st.context_switches == 2 * 7);  // one runner fiber per block, no thread switched
  }
  SECTION("a kernel with a barrier runs on fibers") {
    std::vector<int> out(3 * 64, 0);
    simt::launch(dim3(3), dim3(64), 0, barrier_kernel, out.data());
    for (int b = 0; b < 3; ++b)
      for (int t = 0; t < 64; ++t) CHECK(out[b * 64 + t] == 63 - t);
    const simt::LaunchStats st = simt::last_launch_stats();
    CHECK(st.fiber_blocks == 3);
    CHECK(st.plain_blocks == 0);
    CHECK(st.context_switches >= 3 * 64 * 2 * 2);
  }
  SECTION("a barrier in a later block only") {
    std::vector<int> out(4 * 64, 0);
    simt::launch(dim3(4), dim3(64), 0, late_barrier_kernel, out.data());
    for (int i = 0; i < 3 * 64; ++i) CHECK(out[i] == i);
    for (int t = 0; t < 64; ++t) CHECK(out[3 * 64 + t] == ((t + 1) % 64) * 10);
    CHECK(simt::last_launch_stats().plain_blocks == 3);
    CHECK(simt::last_launch_stats().fiber_blocks == 1);
  }
}

TEST_CASE("atomics from many threads and blocks", "[simt]") {
  for (int host_threads : {1, 4}) {
    HostThreads ht(host_threads);
    int count = 0, maxv = -1;
    unsigned long long big = 0;
    float fsum = 0.0f;
    std::vector<unsigned> bins(7, 0);
    const int blocks = 37, threads = 192;
    simt::launch(dim3(blocks), dim3(threads), 0, atomics_kernel, &count, &big, &fsum, bins.data(), &maxv);
    const unsigned total = blocks * threads;
    CHECK(count == static_cast<int>(total));
    CHECK(big == static_cast<unsigned long long>(total) << 33);
    CHECK(fsum == static_cast<float>(total));
    CHECK(maxv == static_cast<int>(total - 1));
    for (unsigned b = 0; b < 7; ++b) CHECK(bins[b] == total / 7 + (b < total % 7 ? 1u : 0u));
  }
}

TEST_CASE("arguments are copied per thread; barrier predicates; kernel exceptions", "[simt]") {
  std::vector<int> out(2 * 48, 0);
  simt::launch(dim3(1), dim3(48), 0, modifies_param_kernel, 7, out.data());
  for (int t = 0; t < 48; ++t) {
    CHECK(out[t] == 7);
    CHECK(out[48 + t] == 1007);
  }
  std::vector<int> bc(40, 0);
  simt::launch(dim3(1), dim3(40), 0, barrier_count_kernel, bc.data());
  for (int t = 0; t < 40; ++t) CHECK(bc[t] == 14 * 100 + 10 + 1);

  std::vector<int> o(32, 0);
  try {
    simt::launch_named("thrower", dim3(1), dim3(32), 0, throwing_kernel, o.data());
    FAIL("no exception");
  } catch (const simt::Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("'thrower'") && Catch::Contains("thread (3,0,0)") &&
                                          Catch::Contains("kernel-side failure"));
    CHECK_THROWS_AS(std::rethrow_if_nested(e), std::out_of_range);
  }
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure);
}

TEST_CASE("host threads launch independently at the same time", "[simt]") {
  const std::vector<float> in = small_ints(50000, 6);
  const double want = std::accumulate(in.begin(), in.end(), 0.0);
  std::vector<double> got(4, 0.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<float> partial(9, 0.0f);
      for (int rep = 0; rep < 5; ++rep)
        simt::launch(dim3(9), dim3(64u << (t % 3)), 0, block_sum_kernel, in.data(), partial.data(), 50000);
      got[static_cast<std::size_t>(t)] = std::accumulate(partial.begin(), partial.end(), 0.0);
    });
  for (std::thread& th : threads) th.join();
  for (double g : got) CHECK(g == want);
}

TEST_CASE("CSGIS_LAUNCH and the cuda_common.cuh macros", "[simt]") {
  (void)cudaGetLastError();  // start from a clean error state
  std::vector<float> out(300, 0.0f);
  cudaStream_t stream = nullptr;
  fill_launcher(out.data(), 0.5f, 300, stream);
  for (int i = 0; i < 300; ++i) REQUIRE(out[i] == 0.5f + static_cast<float>(i));

  CSGIS_LAUNCH(no_arg_kernel, 1, 1, 0, stream);
  CSGIS_CHECK_LAUNCH("no_arg_kernel");

  std::vector<int> in(8), res(8, 0);
  std::iota(in.begin(), in.end(), 1);
  auto k = scale_kernel<3>;
  CSGIS_LAUNCH(k, 1, 8, 0, stream, in.data(), res.data());
  for (int i = 0; i < 8; ++i) CHECK(res[i] == 3 * (i + 1));

  std::vector<int> o(32, 0);
  try {
    CSGIS_LAUNCH(missing_barrier_kernel, 1, 32, 0, stream, o.data());
    FAIL("no exception");
  } catch (const simt::Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("'missing_barrier_kernel'"));
  }
  CHECK_THROWS_WITH([&] { CSGIS_CHECK_LAUNCH(missing_barrier_kernel); }(),
                    Catch::Contains("kernel launch failed: missing_barrier_kernel") &&
                        Catch::Contains("unspecified launch failure"));
  CHECK_THROWS_WITH([&] { CSGIS_CUDA_CHECK(cudaMemcpyAsync(nullptr, in.data(), 4, cudaMemcpyHostToDevice, stream)); }(),
                    Catch::Contains("cudaMemcpyAsync") && Catch::Contains("invalid argument"));
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);
  int word = 0;
  CSGIS_CUDA_CHECK(cudaMemsetAsync(&word, 0xff, sizeof word, stream));
  CHECK(word == -1);
  CSGIS_CUDA_CHECK(cudaStreamSynchronize(stream));
  CHECK(min(3, 5) == 3);
  CHECK(max(2.5f, -1.0f) == 2.5f);
  CHECK(std::min(1, 2) == 1);
}
