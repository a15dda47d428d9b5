// OpProfile (engine/profiler.h): what a host program gets when it points its Context at one.
#include <catch2/catch.hpp>

#include <chrono>

#include "engine/context.h"
#include "engine/ops.h"
#include "engine/profiler.h"

using namespace csgis;

TEST_CASE("profiler: every recorded op family is charged its forward and backward once per call", "[unit]") {
  Generator gen(7);
  Tensor x = Tensor::rand({2, 3, 9, 11}, -1, 1, &gen).set_requires_grad(true);
  Tensor w = Tensor::rand({5, 3, 3, 3}, -1, 1, &gen).set_requires_grad(true);
  Context ctx;
  ContextGuard guard(ctx);
  OpProfile prof;
  ctx.profile = &prof;
  const auto t0 = std::chrono::steady_clock::now();
  prof.mark();
  Tensor y = sum(relu(conv2d(x, w, Tensor(), Conv2dParams::same(3))));
  y.backward();
  const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ctx.profile = nullptr;

  const auto& f = prof.families();
  for (const char* name : {"Conv2d", "Relu", "Sum"}) {
    INFO(name);
    REQUIRE(f.count(name) == 1);
    CHECK(f.at(name).forward_calls == 1);
    CHECK(f.at(name).backward_calls == 1);
    CHECK(f.at(name).forward_ms >= 0);
    CHECK(f.at(name).backward_ms >= 0);
  }
  REQUIRE(f.count("AccumulateGrad") == 1);
  CHECK(f.at("AccumulateGrad").backward_calls == 2);  // x and w
  // Forward marks partition the span and backward times are disjoint: together no more than the wall time.
  double total = 0;
  for (const auto& [name, fam] : f) total += fam.forward_ms + fam.backward_ms;
  CHECK(total <= wall_ms + 1e-6);

  // Without a profile set, nothing is recorded.
  prof.clear();
  sum(relu(conv2d(x, w, Tensor(), Conv2dParams::same(3)))).backward();
  CHECK(prof.families().empty());
}
