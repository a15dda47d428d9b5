// Tensor basics: creation, views sharing storage, copies across devices and dtypes, from_blob.
#include <catch2/catch.hpp>

#include <climits>
#include <cmath>
#include <cstring>
#include <iostream>
#include <set>
#include <stdexcept>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/ops.h"
#include "kernels/simt/simt.h"

using namespace csgis;

TEST_CASE("tensor: creation, shape queries and fill", "[unit]") {
  Tensor t = Tensor::full({2, 3}, 1.5);
  CHECK(t.dim() == 2);
  CHECK(t.numel() == 6);
  CHECK(t.size(-1) == 3);
  CHECK(t.is_contiguous());
  CHECK(t.strides() == Shape{3, 1});
  for (float v : t.to_vector<float>()) CHECK(v == 1.5f);
  CHECK_THROWS_WITH(t.size(2), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), Catch::Contains("3 values"));
  Tensor s = Tensor::full({}, 4.0);
  CHECK(s.numel() == 1);
  CHECK(s.item() == 4.0);
}

TEST_CASE("tensor: tensors without elements are contiguous, whatever their shape", "[unit]") {
  // fuzz_safetensors (corpus crash-empty-2d-not-contiguous): an F16 tensor of shape [0, 0] came
  // back non-contiguous, because empty() gives zero-size dims the stride of a size-1 dim.
  for (const Shape& shape : {Shape{0}, Shape{0, 0}, Shape{3, 0}, Shape{0, 5}, Shape{2, 0, 3, 0}}) {
    INFO(shape.size());
    const Tensor t = Tensor::empty(shape, DType::F32, Device::cpu());
    CHECK(t.numel() == 0);
    CHECK(t.is_contiguous());
    CHECK(t.contiguous().is_contiguous());
  }
}

TEST_CASE("tensor: views share storage and read the right elements", "[unit]") {
  Tensor a = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = a.transpose(0, 1);
  CHECK(t.shape() == Shape{3, 2});
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.same_storage(a));
  CHECK(t.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  Tensor s = a.slice(1, 1, 3);
  CHECK(s.to_vector<float>() == std::vector<float>{1, 2, 4, 5});
  CHECK(a.slice(1, 0, 3, 2).to_vector<float>() == std::vector<float>{0, 2, 3, 5});
  Tensor r = a.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.same_storage(a));
  CHECK_THROWS_WITH(a.reshape({4, 2}), Catch::Contains("has 8 elements"));
  // writing through a view changes the base
  s.fill_(9.0);
  CHECK(a.to_vector<float>() == std::vector<float>{0, 9, 9, 3, 9, 9});
  CHECK(a.unsqueeze(0).shape() == Shape{1, 2, 3});
  CHECK(a.unsqueeze(0).squeeze(0).shape() == Shape{2, 3});
}

TEST_CASE("tensor: dtype conversion and cross-device copies", "[unit]") {
  Generator gen(3);
  Tensor a = Tensor::randn({3, 4, 5}, &gen);
  Tensor d = a.to(DType::F64);
  CHECK(d.dtype() == DType::F64);
  auto av = a.to_vector<float>();
  auto dv = d.to_vector<double>();
  for (size_t i = 0; i < av.size(); ++i) CHECK(double(av[i]) == dv[i]);
  // SIMT tensors live in host memory but are copied by the emulated CUDA kernels.
  Tensor e = a.permute({2, 0, 1}).to(Device::simt());
  CHECK(e.device() == Device::simt());
  CHECK(e.to(Device::cpu()).to_vector<float>() == a.permute({2, 0, 1}).contiguous().to_vector<float>());
  Tensor view_on_device = a.to(Device::simt()).permute({1, 2, 0}).contiguous();
  CHECK(view_on_device.to_vector<float>() == a.permute({1, 2, 0}).contiguous().to_vector<float>());
}

namespace {
// Device-to-device copies of 8-byte elements (int64, float64) on `dev`: a permuted gather, a
// strided scatter and a 0-d clone keep every bit, payload NaNs and extreme integers included.
void check_wide_device_copies(Device dev) {
  std::vector<int64_t> ints(60);
  std::vector<double> reals(60);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < ints.size(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    ints[i] = int64_t(state);
    std::memcpy(&reals[i], &state, sizeof state);
  }
  ints[0] = INT64_MIN;
  ints[1] = 0x7f8000017fc00001ll;  // both 4-byte halves are float NaN patterns (signalling, quiet)
  const uint64_t payload_nan = 0x7ff0000000000123ull;
  std::memcpy(&reals[2], &payload_nan, sizeof payload_nan);
  const Tensor hi = Tensor::from_blob(ints.data(), {3, 4, 5}, Device::cpu(), DType::I64);
  const Tensor hr = Tensor::from_blob(reals.data(), {3, 4, 5}, Device::cpu(), DType::F64);
  auto bits = [](const Tensor& t) {
    const Tensor h = t.to(Device::cpu()).contiguous();
    std::vector<uint64_t> out(size_t(h.numel()));
    std::memcpy(out.data(), h.raw_data(), out.size() * 8);
    return out;
  };
  for (const Tensor& host : {hi, hr}) {
    INFO(dtype_name(host.dtype()) << " on " << dev.str());
    const Tensor d = host.to(dev);
    const std::uint64_t launches = simt::launch_count();
    const Tensor gathered = d.permute({2, 0, 1}).contiguous();
    // On the emulator the copy is a kernel launch, as on CUDA (it once ran on the host instead and
    // so hid what failed on the GPU).
    if (dev.is_simt()) CHECK(simt::launch_count() == launches + 1);
    CHECK(bits(gathered) == bits(host.permute({2, 0, 1}).contiguous()));
    Tensor wide = Tensor::zeros({3, 4, 10}, host.dtype(), dev);
    {
      autograd::NoGradGuard no_grad;
      wide.slice(2, 1, 10, 2).copy_(d);
    }
    const std::vector<uint64_t> w = bits(wide), h = bits(host);
    for (size_t i = 0; i < h.size(); ++i) {
      CHECK(w[2 * i + 1] == h[i]);
      CHECK(w[2 * i] == 0);
    }
    const Tensor scalar = d.slice(0, 1, 2).slice(1, 2, 3).slice(2, 3, 4).reshape({}).clone();
    CHECK(bits(scalar) == std::vector<uint64_t>{h[1 * 20 + 2 * 5 + 3]});
    // fill_ (and so zeros/full) of 8-byte elements on the device. CUDA's fill kernel is float32, so
    // before this the GPU stopped here while the emulator (filling on the host) passed; the [gpu]
    // twin is the one that tells the two apart.
    Tensor filled = Tensor::full({3, 7}, -7.0, host.dtype(), dev);
    const Tensor expect = Tensor::full({3, 7}, -7.0, host.dtype(), Device::cpu());
    CHECK(bits(filled) == bits(expect));
    // A dtype conversion of a device tensor stays on the device (through the host: no kernels).
    const DType other = host.dtype() == DType::I64 ? DType::F64 : DType::F32;
    const Tensor converted = d.to(other);
    CHECK(converted.device() == dev);
    CHECK(converted.dtype() == other);
    const std::vector<double> got = converted.to(Device::cpu()).to_vector<double>(),
                              want = host.to(other).to_vector<double>();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK((got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]))));
  }
}
}  // namespace

TEST_CASE("tensor: int64 and float64 copies on the emulated device run the device kernel, every bit kept", "[simt]") {
  check_wide_device_copies(Device::simt());
}

TEST_CASE("tensor: int64 and float64 copies on a real GPU, every bit kept", "[gpu]") {
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  check_wide_device_copies(Device::cuda());
}

TEST_CASE("tensor: from_blob wraps host memory without copying", "[unit]") {
  std::vector<float> buf{1, 2, 3, 4};
  bool released = false;
  {
    Tensor t = Tensor::from_blob(buf.data(), {2, 2}, Device::cpu(), DType::F32, [&](void*) { released = true; });
    t.fill_(7.0);
    CHECK(buf[3] == 7.0f);
    CHECK_FALSE(released);
  }
  CHECK(released);
}

TEST_CASE("tensor: random tensors are reproducible from the seed", "[unit]") {
  Generator g1(11), g2(11), g3(12);
  auto a = Tensor::randn({100}, &g1).to_vector<float>();
  auto b = Tensor::randn({100}, &g2).to_vector<float>();
  auto c = Tensor::randn({100}, &g3).to_vector<float>();
  CHECK(a == b);
  CHECK(a != c);
  double mean = 0, var = 0;
  Generator g(5);
  Tensor big = Tensor::randn({20000}, &g, DType::F64);
  for (double v : big.to_vector<double>()) mean += v;
  mean /= 20000;
  for (double v : big.to_vector<double>()) var += (v - mean) * (v - mean);
  var /= 20000;
  CHECK(std::abs(mean) < 0.03);
  CHECK(std::abs(var - 1.0) < 0.05);
  // state save/restore continues the same sequence
  Generator h(77);
  h.normal();
  auto st = h.state();
  double next = h.normal();
  Generator h2(1);
  h2.set_state(st);
  CHECK(h2.normal() == next);
}

TEST_CASE("allocator: caching allocator reuses freed blocks per stream", "[unit]") {
  int raw_allocs = 0, raw_frees = 0;
  {
    CachingAllocator alloc(
        [&](size_t n) { ++raw_allocs; return aligned_host_alloc(n); },
        [&](void* p) { ++raw_frees; aligned_host_free(p); });
    cudaStream_t s1 = nullptr, s2 = reinterpret_cast<cudaStream_t>(0x10);
    void* a = alloc.allocate(1000, s1);
    alloc.deallocate(a, 1000, s1);
    void* b = alloc.allocate(900, s1);  // same 1024-byte class, same stream: reused
    CHECK(b == a);
    void* c = alloc.allocate(900, s2);  // other stream: fresh block
    CHECK(c != a);
    CHECK(raw_allocs == 2);
    CHECK(alloc.stats().cache_hits == 1);
    CHECK(alloc.stats().allocated_bytes == 2 * 1024);
    alloc.deallocate(b, 900, s1);
    alloc.deallocate(c, 900, s2);
    CHECK(alloc.stats().allocated_bytes == 0);
    CHECK(alloc.stats().peak_allocated_bytes == 2 * 1024);
    // A cached block much larger than the request is not handed out.
    void* big = alloc.allocate(size_t(8) << 20, s1);
    alloc.deallocate(big, size_t(8) << 20, s1);
    void* small = alloc.allocate(size_t(2) << 20, s1);
    CHECK(small != big);
    alloc.deallocate(small, 0, s1);
    alloc.empty_cache();
    CHECK(alloc.stats().reserved_bytes == 0);
    CHECK(raw_frees == raw_allocs);
    CHECK_THROWS_WITH(alloc.deallocate(reinterpret_cast<void*>(0x1234), 4, s1), Catch::Contains("did not allocate"));
  }
  CHECK(CachingAllocator::round_size(1) == 512);
  CHECK(CachingAllocator::round_size(513) == 1024);
  CHECK(CachingAllocator::round_size((1 << 20) + 1) == size_t(2) << 20);
}

TEST_CASE("allocator: a block another stream used waits for that stream's event before it is reused", "[unit]") {
  // Fake events: each is an id; the test decides when the work before it has finished.
  std::set<int> finished;
  std::vector<int*> live_events;
  int recorded = 0, waited = 0, destroyed = 0;
  std::vector<cudaStream_t> recorded_on;
  StreamEvents events{
      [&](cudaStream_t s) { recorded_on.push_back(s); live_events.push_back(new int(recorded++)); return static_cast<void*>(live_events.back()); },
      [&](void* e) { return finished.count(*static_cast<int*>(e)) > 0; },
      [&](void* e) { ++waited; finished.insert(*static_cast<int*>(e)); },
      [&](void* e) { ++destroyed; delete static_cast<int*>(e); }};
  int raw_allocs = 0;
  bool out_of_memory = false;
  CachingAllocator alloc([&](size_t n) { return out_of_memory ? nullptr : (++raw_allocs, aligned_host_alloc(n)); },
                         [&](void* p) { aligned_host_free(p); }, events);
  const cudaStream_t s1 = reinterpret_cast<cudaStream_t>(0x10), s2 = reinterpret_cast<cudaStream_t>(0x20),
                     s3 = reinterpret_cast<cudaStream_t>(0x30);
  void* a = alloc.allocate(3000, s1);
  alloc.deallocate(a, 3000, s1, {s2, s1, s3});  // used on s2 and s3 too (s1 itself needs no event)
  CHECK(recorded == 2);
  CHECK(recorded_on == std::vector<cudaStream_t>{s2, s3});
  CHECK(alloc.stats().pending_blocks == 1);
  void* b = alloc.allocate(3000, s1);  // s2's and s3's work may still read `a`: a fresh block
  CHECK(b != a);
  CHECK(raw_allocs == 2);
  alloc.deallocate(b, 3000, s1);  // only s1 used it: reusable at once
  finished.insert(0);             // s2 done, s3 not yet
  void* c = alloc.allocate(3000, s1);
  CHECK(c == b);
  CHECK(alloc.stats().pending_blocks == 1);
  finished.insert(1);  // s3 done too: `a` is back
  void* d = alloc.allocate(3000, s1);
  CHECK(d == a);
  CHECK(alloc.stats().pending_blocks == 0);
  CHECK(destroyed == 2);
  CHECK(waited == 0);  // nothing blocked so far
  // Out of memory: pending blocks are waited for (not dropped), and the cache is given back.
  alloc.deallocate(c, 3000, s1, {s2});
  alloc.deallocate(d, 3000, s1);
  out_of_memory = true;
  CHECK_THROWS_WITH(alloc.allocate(size_t(4) << 20, s1), Catch::Contains("out of memory"));
  CHECK(waited == 1);
  CHECK(alloc.stats().pending_blocks == 0);
  CHECK(alloc.stats().reserved_bytes == 0);
  CHECK(destroyed == 3);
  // Emptying the cache waits for pending blocks too.
  out_of_memory = false;
  void* e = alloc.allocate(100, s2);
  alloc.deallocate(e, 100, s2, {s1});
  alloc.empty_cache();
  CHECK(waited == 2);
  CHECK(alloc.stats().reserved_bytes == 0);
  CHECK(destroyed == 4);
  CHECK(live_events.size() == 4);
  // A failing event record (a broken CUDA context) never throws from the free: the block is
  // retired instead of being handed out again.
  {
    bool fail = false;
    StreamEvents flaky{[&](cudaStream_t s) -> void* { if (fail) throw std::runtime_error("no events"); return events.record(s); },
                       events.done, events.wait, events.destroy};
    CachingAllocator retiring([](size_t n) { return aligned_host_alloc(n); }, [](void* p) { aligned_host_free(p); }, flaky);
    void* g = retiring.allocate(64, s1);
    fail = true;
    CHECK_NOTHROW(retiring.deallocate(g, 64, s1, {s2}));
    fail = false;
    void* h = retiring.allocate(64, s1);
    CHECK(h != g);
    CHECK(retiring.stats().pending_blocks == 0);
    CHECK(retiring.stats().allocated_bytes == 512);
    retiring.deallocate(h, 64, s1);
    aligned_host_free(g);  // the retired block is the caller's to reclaim here (the test owns the raw memory)
  }
  // An allocator without events cannot honour a free that another stream must finish first.
  CachingAllocator plain([](size_t n) { return aligned_host_alloc(n); }, [](void* p) { aligned_host_free(p); });
  void* f = plain.allocate(64, s1);
  CHECK_THROWS_WITH(plain.deallocate(f, 64, s1, {s2}), Catch::Contains("no events"));
  plain.deallocate(f, 64, s1);
}

TEST_CASE("context: SIMT tensors come from the context's caching allocator", "[unit]") {
  Context ctx;
  ContextGuard guard(ctx);
  { Tensor a = Tensor::zeros({256}, DType::F32, Device::simt()); }
  { Tensor b = Tensor::zeros({256}, DType::F32, Device::simt()); }
  CHECK(ctx.simt_allocator().stats().cache_hits >= 1);
  CHECK(ctx.simt_allocator().stats().allocated_bytes == 0);
  CHECK(&current_context() == &ctx);
}

TEST_CASE("device: parse and errors", "[unit]") {
  CHECK(Device::parse("cpu") == Device::cpu());
  CHECK(Device::parse("cuda:1") == Device::cuda(1));
  CHECK(Device::parse("simt").is_simt());
  CHECK_THROWS_WITH(Device::parse("tpu"), Catch::Contains("unknown device 'tpu'"));
  if (!cuda_available()) {
    CHECK_THROWS_WITH(Tensor::zeros({2}, DType::F32, Device::cuda()), Catch::Contains("no CUDA device"));
  }
}
