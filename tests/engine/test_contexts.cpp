// Contexts a host program owns: two of them, on two threads at once, training and running a small
// network and smoothing with JESS give exactly what each gives alone (no state shared behind the
// contexts' backs); one context shared by threads creates its lazy members once.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "models/jess.h"

using namespace csgis;

namespace {

// Initialises, trains (5 Adam steps) and runs a two-layer network, everything random drawn from
// the context's own generator; returns the final output on the host.
std::vector<float> train_and_run(uint64_t seed, Device dev) {
  Context ctx(0, nullptr, seed);
  ContextGuard use(ctx);
  nn::Sequential net{std::make_shared<nn::Conv2d>(3, 5, 3, 1, 1), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Conv2d>(5, 3, 3, 1, 2, 2)};
  net.to(dev);
  optim::Adam opt(net.parameters(), 1e-2);
  for (int step = 0; step < 5; ++step) {
    const Tensor x = Tensor::rand({2, 3, 11, 13}, 0, 1, &ctx.generator()).to(dev);
    const Tensor y = net(x);
    Tensor loss = mean(y * y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  std::vector<float> out;
  {
    autograd::NoGradGuard no_grad;
    out = net(Tensor::rand({1, 3, 9, 10}, 0, 1, &ctx.generator()).to(dev)).to_vector<float>();
  }
  // And a (small, randomly initialised) JESS smoothing an image, as an embedding host would.
  models::JessConfig small;
  small.dim = 4;
  small.feature_blocks = small.smooth_blocks = small.enhance_blocks = 1;
  models::Jess jess(small);
  jess.to(dev);
  const std::vector<float> smoothed =
      models::jess_smooth(jess, Tensor::rand({1, 3, 12, 10}, 0, 1, &ctx.generator())).to_vector<float>();
  out.insert(out.end(), smoothed.begin(), smoothed.end());
  return out;
}

void check_two_threads(Device dev) {
  const std::vector<float> a_alone = train_and_run(1, dev), b_alone = train_and_run(2, dev);
  std::vector<float> a_together, b_together;
  std::thread ta([&] { a_together = train_and_run(1, dev); });
  std::thread tb([&] { b_together = train_and_run(2, dev); });
  ta.join();
  tb.join();
  CHECK(a_together == a_alone);
  CHECK(b_together == b_alone);
  CHECK(a_alone != b_alone);  // the seeds matter, so equality above is not vacuous
}

}  // namespace

TEST_CASE("contexts: two contexts on two threads train and run as each does alone (CPU)", "[unit][threads]") {
  check_two_threads(Device::cpu());
}

TEST_CASE("contexts: two contexts on two threads train and run as each does alone (SIMT)", "[simt][threads]") {
  check_two_threads(Device::simt());
}

TEST_CASE("contexts: one context shared by threads creates its allocators once", "[unit][threads]") {
  Context shared(0, nullptr, 7);
  constexpr int kThreads = 6;
  std::vector<const void*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      ContextGuard use(shared);
      // First use from every thread at once: one allocator, and tensors from it on each thread.
      seen[size_t(i)] = &shared.simt_allocator();
      const Tensor t = Tensor::full({3, 5}, double(i), DType::F32, Device::simt());
      CHECK(t.to(Device::cpu()).to_vector<float>() == std::vector<float>(15, float(i)));
    });
  for (auto& t : threads) t.join();
  for (const void* p : seen) CHECK(p == seen[0]);
}

TEST_CASE("api misuse: wrong shapes, dtypes, devices and null memory are one-line errors naming what was expected", "[unit]") {
  Generator gen(3);
  const Tensor x = Tensor::randn({1, 2, 5, 5}, &gen), w = Tensor::randn({3, 2, 3, 3}, &gen);
  CHECK_THROWS_WITH(conv2d(x, w.to(Device::simt()), Tensor(), Conv2dParams::same(3)), Catch::Contains("different devices"));
  CHECK_THROWS_WITH(conv2d(x, w.to(DType::F64), Tensor(), Conv2dParams::same(3)), Catch::Contains("different dtypes"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::randn({3, 4, 3, 3}, &gen), Tensor(), Conv2dParams::same(3)),
                    Catch::Contains("channels") || Catch::Contains("[3, 4, 3, 3]"));
  CHECK_THROWS_WITH(conv2d(x, w, Tensor::randn({4}, &gen), Conv2dParams::same(3)), Catch::Contains("bias must have shape [3]"));
  CHECK_THROWS_WITH(Tensor::from_blob(nullptr, {2, 2}, Device::cpu()), Catch::Contains("null pointer"));
  float one = 1.f;
  CHECK_THROWS_WITH(Tensor::from_blob(&one, {2, -3}, Device::cpu()),
                    Catch::Contains("negative dimension") && Catch::Contains("[2, -3]"));
  std::vector<float> host(4, 1.f);
  const Tensor wrapped = Tensor::from_blob(host.data(), {2, 2}, Device::cpu());
  CHECK_THROWS_WITH(Tensor(wrapped).copy_(Tensor::ones({3})), Catch::Contains("does not match destination shape"));
  CHECK(host == std::vector<float>(4, 1.f));  // a refused copy wrote nothing
}

TEST_CASE("conv2d_relu: one pass at CPU inference, the two ops (and their gradients) otherwise", "[unit]") {
  Generator gen(9);
  Tensor x = Tensor::randn({2, 3, 7, 9}, &gen), w = Tensor::randn({4, 3, 3, 3}, &gen), b = Tensor::randn({4}, &gen);
  const Conv2dParams p = Conv2dParams::same(3, 2);
  {
    autograd::NoGradGuard no_grad;
    CHECK(conv2d_relu(x, w, b, p).to_vector<float>() == relu(conv2d(x, w, b, p)).to_vector<float>());
  }
  w.set_requires_grad(true);
  sum(conv2d_relu(x, w, b, p)).backward();
  const std::vector<float> fused_grad = w.grad().to_vector<float>();
  w.zero_grad();
  sum(relu(conv2d(x, w, b, p))).backward();
  CHECK(fused_grad == w.grad().to_vector<float>());
}

#if CSGIS_HAS_CUDA
#include <cuda_runtime.h>

#include "kernels/cuda/conv2d_cudnn.h"
#endif

TEST_CASE("contexts on a real GPU: the guard sets and restores the device, a block another stream used waits for it", "[gpu]") {
#if CSGIS_HAS_CUDA
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  int before = -1, now = -1;
  REQUIRE(cudaGetDevice(&before) == cudaSuccess);
  {
    Context ctx(0);
    ContextGuard guard(ctx);
    REQUIRE(cudaGetDevice(&now) == cudaSuccess);
    CHECK(now == 0);
    // Allocating leaves the thread's device alone.
    const Tensor t = Tensor::ones({7}).to(Device::cuda());
    REQUIRE(cudaGetDevice(&now) == cudaSuccess);
    CHECK(now == 0);
  }
  Context missing(cuda_device_count());
  CHECK_THROWS_WITH(ContextGuard(missing), Catch::Contains("this machine has"));
  REQUIRE(cudaGetDevice(&now) == cudaSuccess);
  CHECK(now == before);

  cudaStream_t side = nullptr;
  REQUIRE(cudaStreamCreate(&side) == cudaSuccess);
  {
    Context ctx(0, nullptr);
    ContextGuard guard(ctx);
    {
      const Tensor a = Tensor::ones({1 << 20}).to(Device::cuda());  // from the default stream's cache
      ctx.set_stream(side);
      const Tensor b = mul(a, a);                 // read on the side stream
      CHECK(b.to_vector<float>()[12345] == 1.f);  // copied out on the side stream too
      ctx.set_stream(nullptr);
    }
    // `a` went back with an event on the side stream; `b` (allocated on it, used only there) did not.
    // (Reading `b` after going back to the default stream would be a second cross-stream use: the
    // first run on an H200 found this test doing that and the allocator rightly counting two.)
    CHECK(ctx.cuda_allocator().stats().pending_blocks == 1);
    REQUIRE(cudaStreamSynchronize(side) == cudaSuccess);
    const Tensor c = Tensor::zeros({5}).to(Device::cuda());  // an allocation reclaims finished frees
    CHECK(ctx.cuda_allocator().stats().pending_blocks == 0);
  }
  REQUIRE(cudaStreamDestroy(side) == cudaSuccess);
#endif
}

TEST_CASE("conv2d through cuDNN on a real GPU: one algorithm query per shape and pass, the same result again", "[gpu]") {
#if CSGIS_HAS_CUDA
  if (!cuda_available()) {
    std::cout << "SKIPPED: no CUDA device" << std::endl;
    return;
  }
  Context ctx(0);
  ContextGuard guard(ctx);
  ctx.use_cudnn = true;
  Generator gen(11);
  Tensor x = Tensor::randn({3, 5, 17, 13}, &gen, DType::F32, Device::cuda()).set_requires_grad(true);
  Tensor w = Tensor::randn({7, 5, 3, 3}, &gen, DType::F32, Device::cuda()).set_requires_grad(true);
  Tensor b = Tensor::randn({7}, &gen, DType::F32, Device::cuda()).set_requires_grad(true);
  auto step = [&](int64_t dilation) {
    Tensor y = conv2d(x, w, b, Conv2dParams::same(3, dilation));
    y.backward(Tensor::ones(y.shape()).to(Device::cuda()));
    std::vector<float> out = y.to_vector<float>();
    for (Tensor* t : {&x, &w, &b}) {
      const std::vector<float> g = t->grad().to_vector<float>();
      out.insert(out.end(), g.begin(), g.end());
      t->zero_grad();
    }
    return out;
  };
  const std::vector<float> first = step(1);
  const size_t after_first = cudnn::cached_choices(ctx.cudnn_handle());
  CHECK(after_first == 3);  // forward, backward data, backward filter
  CHECK(step(1) == first);
  CHECK(cudnn::cached_choices(ctx.cudnn_handle()) == after_first);
  step(2);  // another dilation is another shape
  CHECK(cudnn::cached_choices(ctx.cudnn_handle()) == 2 * after_first);
  // TF32 tensor cores: its own choices, results within TF32's rounding (10-bit mantissa inputs).
  ctx.cudnn_tf32 = true;
  const std::vector<float> tf32 = step(1);
  CHECK(cudnn::cached_choices(ctx.cudnn_handle()) == 3 * after_first);
  REQUIRE(tf32.size() == first.size());
  double err = 0, ref = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    err += double(tf32[i] - first[i]) * double(tf32[i] - first[i]);
    ref += double(first[i]) * double(first[i]);
  }
  CHECK(std::sqrt(err / ref) < 5e-3);
#endif
}
