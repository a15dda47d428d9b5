// CPU kernel scratch owned by the context (kernels/cpu/scratch.h): reused from call to call, held
// by its context alone, released with it or on request, and lent to one host thread at a time.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "engine/context.h"
#include "engine/ops.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/scratch.h"

using namespace csgis;

namespace {

// Forward and backward of one odd-sized conv through the engine; returns y, dx and dw.
std::vector<float> conv_round_trip(uint64_t seed) {
  Generator gen(seed);
  Tensor x = Tensor::randn({2, 5, 13, 11}, &gen);
  Tensor w = Tensor::randn({7, 5, 3, 3}, &gen);
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  const Tensor y = conv2d(x, w, Tensor(), Conv2dParams::same(3, 2));
  sum(y * y).backward();
  std::vector<float> out = y.to_vector<float>();
  for (const Tensor& t : {x.grad(), w.grad()}) {
    const std::vector<float> v = t.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

TEST_CASE("scratch: a kernel gives the same values with a caller's arena, reused, and with none", "[unit]") {
  const bool winograd = GENERATE(false, true);  // Winograd (AVX2 only) uses slots of its own
  CAPTURE(winograd);
  const Conv2dShape s = Conv2dShape::make(3, 17, 17, 19, 16, 3, 3, 1, 2, 2);
  Generator gen(4);
  const std::vector<float> x = Tensor::randn({s.N, s.C, s.H, s.W}, &gen).to_vector<float>();
  const std::vector<float> w = Tensor::randn({s.K, s.C, s.R, s.S}, &gen).to_vector<float>();
  const std::vector<float> dy = Tensor::randn({s.N, s.K, s.P, s.Q}, &gen).to_vector<float>();
  auto run = [&](cpu::ScratchArena* arena) {
    cpu::Conv2dCpuOptions opt;
    opt.winograd = winograd;
    opt.scratch = arena;
    std::vector<float> y(size_t(s.N * s.K * s.P * s.Q)), dx(x.size()), dw(w.size());
    cpu::conv2d_forward(s, x.data(), w.data(), static_cast<const float*>(nullptr), y.data(), opt);
    cpu::conv2d_backward_input(s, dy.data(), w.data(), dx.data(), opt);
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), opt);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), dw.begin(), dw.end());
    return y;
  };
  const std::vector<float> own = run(nullptr);
  cpu::ScratchArena arena;
  CHECK(arena.bytes() == 0);
  CHECK(run(&arena) == own);
  const size_t held = arena.bytes();
  CHECK(held > 0);
  CHECK(run(&arena) == own);  // reused buffers hold the last call's values: nothing may depend on them
  CHECK(arena.bytes() == held);  // same shapes: nothing grows
  arena.release();
  CHECK(arena.bytes() == 0);
  CHECK(run(&arena) == own);
}

TEST_CASE("scratch: the context owns its kernels' scratch, releases it, and other contexts do not see it", "[unit]") {
  Context a(0, nullptr, 1), b(0, nullptr, 1);
  std::vector<float> first;
  {
    ContextGuard use(a);
    first = conv_round_trip(11);
  }
  const size_t held = a.cpu_scratch_bytes();
  CHECK(held > 0);
  CHECK(b.cpu_scratch_bytes() == 0);
  {
    ContextGuard use(a);
    CHECK(conv_round_trip(11) == first);
  }
  CHECK(a.cpu_scratch_bytes() == held);
  a.release_cpu_scratch();
  CHECK(a.cpu_scratch_bytes() == 0);
  {
    ContextGuard use(b);
    CHECK(conv_round_trip(11) == first);
  }
  CHECK(b.cpu_scratch_bytes() == held);
  CHECK(a.cpu_scratch_bytes() == 0);
}

TEST_CASE("scratch: a context another thread is using lends its arena to one call at a time", "[unit][threads]") {
  Context ctx(0, nullptr, 1);
  std::vector<float> alone;
  {
    ContextGuard use(ctx);
    alone = conv_round_trip(5);
  }
  ctx.release_cpu_scratch();
  // This thread holds the arena (as a kernel running here would): another thread's calls through
  // the same context must run on scratch of their own, and give the same values.
  std::unique_lock<std::mutex> held(ctx.cpu_scratch().mutex());
  bool lent = true;
  std::vector<float> other;
  std::thread t([&] {
    ContextGuard use(ctx);
    lent = ScratchLease(ctx).get() != nullptr;
    other = conv_round_trip(5);
  });
  t.join();
  CHECK_FALSE(lent);
  CHECK(other == alone);
  CHECK(ctx.cpu_scratch().bytes() == 0);  // (read under the lock this thread holds)
  held.unlock();
  CHECK(ScratchLease(ctx).get() == &ctx.cpu_scratch());
}
