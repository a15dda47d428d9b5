// Data-parallel pieces that need no MPI: loader shards, synchronised BatchNorm between two threads
// standing for two ranks, the gradient buckets, the start check of one process, and the driver's
// error when a launcher starts it without the MPI backend.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "data/dataset.h"
#include "data/loader.h"
#include "data/procedural.h"
#include "engine/context.h"
#include "engine/ops.h"
#include "tests/data/data_test_util.h"
#include "tests/tools/cli_test_util.h"
#include "tools/lib/data_parallel.h"
#include "tools/lib/distributed.h"

using namespace csgis;

namespace {

std::shared_ptr<data::ProceduralSource> finite_source(int64_t count) {
  data::ProceduralConfig pc;
  pc.size = 30;
  pc.seed = 5;
  return std::make_shared<data::ProceduralSource>(pc, data::testing::synthetic_textures(4), count);
}

data::LoaderConfig shard_config(int batch, int rank, int count) {
  data::LoaderConfig lc;
  lc.batch_size = batch;
  lc.workers = 0;
  lc.seed = 13;
  lc.augment.patch = 24;
  lc.shard_rank = rank;
  lc.shard_count = count;
  return lc;
}

// Two threads meeting in gather(): each hands in its vector and gets both, in rank order.
class TwoRankGather {
 public:
  std::vector<double> gather(int rank, const std::vector<double>& mine) {
    std::unique_lock<std::mutex> lk(mu_);
    const uint64_t round = round_;
    parts_[rank] = mine;
    if (++arrived_ == 2) {
      result_ = parts_[0];
      result_.insert(result_.end(), parts_[1].begin(), parts_[1].end());
      arrived_ = 0;
      ++round_;
      cv_.notify_all();
    } else {
      cv_.wait(lk, [&] { return round_ != round; });
    }
    return result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<double> parts_[2], result_;
  int arrived_ = 0;
  uint64_t round_ = 0;
};

// A communicator of two threads standing for two ranks: each collective blocks until both threads
// are in it (TwoRankGather), so a test can run the real hooks and buckets without MPI.
class ThreadCommunicator final : public dist::Communicator {
 public:
  ThreadCommunicator(TwoRankGather& meet, int rank) : meet_(meet), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return 2; }
  int local_rank() const override { return rank_; }
  int local_size() const override { return 2; }
  std::string backend() const override { return "threads"; }
  int64_t start_allreduce_sum(float* data, int64_t n, const std::string&) override {
    const std::vector<double> all = meet_.gather(rank_, std::vector<double>(data, data + n));
    for (int64_t i = 0; i < n; ++i) data[i] = float(all[size_t(i)] + all[size_t(n + i)]);
    ++started_;
    return 0;
  }
  void progress() override {}
  void wait(int64_t) override {}
  std::vector<double> allgather(const std::vector<double>& local, const std::string&) override {
    return meet_.gather(rank_, local);
  }
  void broadcast(void* data, size_t bytes, int root, const std::string&) override {
    std::vector<double> mine(bytes);
    for (size_t i = 0; i < bytes; ++i) mine[i] = static_cast<unsigned char*>(data)[i];
    const std::vector<double> all = meet_.gather(rank_, mine);
    for (size_t i = 0; i < bytes; ++i) static_cast<unsigned char*>(data)[i] = (unsigned char)all[size_t(root) * bytes + i];
  }
  [[noreturn]] void abort(int) override { std::abort(); }
  int started_ = 0;

 private:
  TwoRankGather& meet_;
  int rank_;
};

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to(DType::F64).to_vector<double>(), y = b.to(DType::F64).to_vector<double>();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

}  // namespace

TEST_CASE("loader shards: disjoint, covering the epoch, and K shards of B = one loader of K * B", "[unit]") {
  const auto source = finite_source(13);  // 13 samples: 3 global batches of 4 per epoch, one dropped
  const int ranks = 2, B = 2;
  data::Loader whole(source, shard_config(B * ranks, 0, 1));
  std::vector<std::unique_ptr<data::Loader>> shards;
  for (int r = 0; r < ranks; ++r) shards.push_back(std::make_unique<data::Loader>(source, shard_config(B, r, ranks)));
  REQUIRE(shards[0]->batches_per_epoch() == 3);
  for (int64_t b = 0; b < 6; ++b) {  // two epochs
    const data::Batch all = whole.next();
    std::set<int64_t> epoch_seen;
    for (int r = 0; r < ranks; ++r) {
      const data::Batch part = shards[size_t(r)]->next();
      // The same samples and augmentations, bit for bit, as the matching half of the whole batch.
      CHECK(max_abs_diff(part.input, all.input.slice(0, r * B, (r + 1) * B)) == 0);
      CHECK(max_abs_diff(part.gt, all.gt.slice(0, r * B, (r + 1) * B)) == 0);
      for (int j = 0; j < B; ++j) CHECK(shards[size_t(r)]->sample_index(b, j) == whole.sample_index(b, r * B + j));
    }
  }
  // Over one epoch the shards' samples are disjoint and cover all but the 13 mod 4 dropped ones.
  std::set<int64_t> seen;
  for (int64_t b = 0; b < 3; ++b)
    for (int r = 0; r < ranks; ++r)
      for (int j = 0; j < B; ++j) CHECK(seen.insert(shards[size_t(r)]->sample_index(b, j)).second);
  CHECK(seen.size() == 12);
  // More ranks x batch than samples: one line that says so.
  CHECK_THROWS_WITH(data::Loader(finite_source(3), shard_config(2, 1, 2)),
                    Catch::Contains("fewer than one global batch of 4 (2 ranks x batch 2)"));
  CHECK_THROWS_WITH(data::Loader(finite_source(8), shard_config(2, 2, 2)), Catch::Contains("shard 2 of 2"));
}

TEST_CASE("sync_batch_norm2d: two ranks of half a batch compute what one BatchNorm of the whole batch does",
          "[unit]") {
  Generator g(31);
  const int64_t C = 5;
  // Odd sizes, an offset mean and a varied scale per channel.
  const Tensor x = Tensor::randn({6, C, 7, 3}, &g) * 1.7 + 0.4;
  const Tensor w0 = Tensor::rand({C}, 0.5, 1.5, &g), b0 = Tensor::randn({C}, &g);
  const Tensor dy = Tensor::randn(x.shape(), &g);

  // Reference: plain BatchNorm over the six samples.
  Tensor rm = Tensor::zeros({C}), rv = Tensor::ones({C});
  Tensor xr = x.clone().set_requires_grad(true), wr = w0.clone().set_requires_grad(true),
         br = b0.clone().set_requires_grad(true);
  const Tensor yr = batch_norm2d(xr, wr, br, rm, rv, true, 0.1, 1e-5);
  yr.backward(dy);

  // Two ranks of three samples each.
  TwoRankGather meet;
  Tensor y[2], dx[2], dw[2], db[2], rms[2], rvs[2];
  auto rank = [&](int r) {
    Context ctx(0, nullptr, 1);
    ContextGuard guard(ctx);
    rms[r] = Tensor::zeros({C});
    rvs[r] = Tensor::ones({C});
    Tensor xs = x.slice(0, 3 * r, 3 * r + 3).contiguous().set_requires_grad(true);
    Tensor w = w0.clone().set_requires_grad(true), b = b0.clone().set_requires_grad(true);
    y[r] = sync_batch_norm2d(xs, w, b, rms[r], rvs[r],
                             [&meet, r](const std::vector<double>& v) { return meet.gather(r, v); }, 0.1, 1e-5);
    y[r].backward(dy.slice(0, 3 * r, 3 * r + 3).contiguous());
    dx[r] = xs.grad();
    dw[r] = w.grad();
    db[r] = b.grad();
  };
  std::thread t0(rank, 0), t1(rank, 1);
  t0.join();
  t1.join();
  for (int r = 0; r < 2; ++r) {
    CHECK(max_abs_diff(y[r], yr.slice(0, 3 * r, 3 * r + 3)) < 2e-6);
    CHECK(max_abs_diff(dx[r], xr.grad().slice(0, 3 * r, 3 * r + 3)) < 2e-6);
    // Running statistics: the global ones, identical on both ranks.
    CHECK(max_abs_diff(rms[r], rm) < 1e-6);
    CHECK(max_abs_diff(rvs[r], rv) < 1e-6);
    CHECK(max_abs_diff(rms[r], rms[0]) == 0);
  }
  // Weight and bias gradients are each rank's share: their sum is the whole batch's.
  CHECK(max_abs_diff(dw[0] + dw[1], wr.grad()) < 1e-5);
  CHECK(max_abs_diff(db[0] + db[1], br.grad()) < 1e-5);
}

TEST_CASE("sync_batch_norm2d: float64 finite-difference gradient check with one rank", "[gradcheck]") {
  Generator g(8);
  const int64_t C = 3;
  Tensor x = Tensor::randn({3, C, 4, 5}, &g, DType::F64).set_requires_grad(true);
  Tensor w = Tensor::rand({C}, 0.5, 1.5, &g, DType::F64).set_requires_grad(true);
  Tensor b = Tensor::randn({C}, &g, DType::F64).set_requires_grad(true);
  const Tensor probe = Tensor::randn({3, C, 4, 5}, &g, DType::F64);
  const BatchNormAllGather self = [](const std::vector<double>& v) { return v; };
  auto loss = [&](const Tensor& xi, const Tensor& wi, const Tensor& bi) {
    Tensor none_m, none_v;
    return sum(sync_batch_norm2d(xi, wi, bi, none_m, none_v, self) * probe);
  };
  loss(x, w, b).backward();
  const Tensor gx = x.grad(), gw = w.grad();
  const double h = 1e-6;
  for (int64_t i : {0, 17, 41, 59}) {
    Tensor xp = x.detach().clone(), xm = x.detach().clone();
    xp.data<double>()[i] += h;
    xm.data<double>()[i] -= h;
    const double fd = (loss(xp, w.detach(), b.detach()).item() - loss(xm, w.detach(), b.detach()).item()) / (2 * h);
    CHECK(gx.data<double>()[i] == Approx(fd).margin(1e-6));
  }
  for (int64_t c = 0; c < C; ++c) {
    Tensor wp = w.detach().clone(), wm = w.detach().clone();
    wp.data<double>()[c] += h;
    wm.data<double>()[c] -= h;
    const double fd = (loss(x.detach(), wp, b.detach()).item() - loss(x.detach(), wm, b.detach()).item()) / (2 * h);
    CHECK(gw.data<double>()[c] == Approx(fd).margin(1e-6));
  }
}

TEST_CASE("gradient buckets: last parameter first, at most the cap, a large parameter alone", "[unit]") {
  auto comm = dist::local_communicator();
  std::vector<Tensor> params;
  for (int64_t n : {10, 300, 20, 20, 5}) params.push_back(Tensor::zeros({n}).set_requires_grad(true));
  // 100 floats a bucket: [4 3 2] (45 floats), [1] (300, alone), [0].
  dist::GradientAverager avg(params, *comm, 100 * sizeof(float));
  const std::vector<std::vector<size_t>> want{{4, 3, 2}, {1}, {0}};
  CHECK(avg.buckets() == want);
  // One process: finish() leaves the gradients as they are.
  params[2].set_grad(Tensor::full({20}, 3.0));
  avg.begin_step(1);
  avg.finish();
  CHECK(params[2].grad().to_vector<float>()[7] == 3.0f);
  CHECK(dist::start_check(*comm, false, "x").empty());
  CHECK(dist::mpi_launcher().empty() == (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr &&
                                         std::getenv("PMIX_RANK") == nullptr && std::getenv("PMI_SIZE") == nullptr));
}

TEST_CASE("csgis train under a launcher without the MPI backend: one line that names what is missing", "[unit]") {
  test_cli::Scratch dir;
  // The driver alone in a folder, without libcsgis_mpi.so beside it.
  std::filesystem::copy_file(CSGIS_DRIVER, dir / "csgis");
  const std::string cmd = "OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 '" + (dir / "csgis") +
                          "' train --config '" + std::string(CSGIS_SOURCE_DIR) + "/configs/quickstart.json' -o '" +
                          (dir / "run") + "' --quiet 2>'" + (dir / "err.txt") + "' >/dev/null";
  const int status = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(status) == 1);
  const std::string err = test_cli::slurp(dir / "err.txt");
  CHECK_THAT(err, Catch::Contains("started by mpirun, but this build has no MPI backend"));
  CHECK_THAT(err, Catch::Contains("libcsgis_mpi.so is missing"));
  CHECK(test_cli::lines(err) == 1);
  CHECK(!std::filesystem::exists(dir / "run"));
}

TEST_CASE("gradient buckets on two ranks: the mean of both, started during backward, unused parameters left alone",
          "[unit]") {
  TwoRankGather meet;
  Tensor grads[2][3];
  int started[2] = {0, 0}, early[2] = {0, 0};
  auto rank = [&](int r) {
    Context ctx(0, nullptr, 1);
    ContextGuard guard(ctx);
    ThreadCommunicator comm(meet, r);
    Generator g(40 + uint64_t(r));  // each rank its own parameters before the broadcast, its own data
    std::vector<Tensor> params{Tensor::randn({4}, &g).set_requires_grad(true),  // never in the loss
                               Tensor::randn({7}, &g).set_requires_grad(true),
                               Tensor::randn({5, 3}, &g).set_requires_grad(true)};
    dist::broadcast_from_rank0(comm, params, "start");
    // 8 floats a bucket, last parameter first: [2] (15, alone), [1] (7), [0] (4).
    dist::GradientAverager avg(params, comm, 8 * sizeof(float));
    REQUIRE(avg.buckets() == std::vector<std::vector<size_t>>{{2}, {1}, {0}});
    const Tensor x = Tensor::randn({7}, &g), y = Tensor::randn({5, 3}, &g);
    const Tensor loss = sum(square(params[1] * x)) + sum(params[2] * y) * 0.5;
    avg.begin_step(1);
    loss.backward();
    early[r] = avg.started_during_backward();
    avg.finish();
    started[r] = comm.started_;
    for (int i = 0; i < 3; ++i) grads[r][i] = params[size_t(i)].grad();
    // The expected mean, from this rank's own gradient and the other's data.
    if (r == 0) {
      Generator other(41);
      Tensor::randn({7}, &other), Tensor::randn({5, 3}, &other), Tensor::randn({4}, &other);
      const Tensor x1 = Tensor::randn({7}, &other), y1 = Tensor::randn({5, 3}, &other);
      const Tensor want1 = (params[1].detach() * 2 * square(x) + params[1].detach() * 2 * square(x1)) * 0.5;
      const Tensor want2 = (y * 0.5 + y1 * 0.5) * 0.5;
      CHECK(max_abs_diff(grads[0][1], want1) < 1e-6);
      CHECK(max_abs_diff(grads[0][2], want2) < 1e-6);
    }
  };
  std::thread t0(rank, 0), t1(rank, 1);
  t0.join();
  t1.join();
  for (int r = 0; r < 2; ++r) {
    CHECK(started[r] == 3);  // every bucket, the unused parameter's too (its flag says "no gradient")
    CHECK(early[r] == 2);    // the two buckets with gradients started before backward ended
    CHECK(!grads[r][0].defined());
    for (int i = 1; i < 3; ++i) CHECK(max_abs_diff(grads[r][i], grads[0][i]) == 0);
  }
}
