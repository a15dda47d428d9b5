// Data-parallel training under mpirun (tag [mpi], ctest label mpi): 2 ranks on this machine.
// Equivalence with one rank of the global batch, faults (a killed rank, a hung rank), resume on
// another number of ranks, and the start errors (configs that differ, too few samples).
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/io/safetensors.h"
#include "tests/tools/cli_test_util.h"

#include <functional>

#ifndef CSGIS_MPIEXEC
#error "CSGIS_MPIEXEC (the mpirun found by CMake, or empty) is set by tests/CMakeLists.txt"
#endif

using namespace csgis;
using test_cli::Run;
using test_cli::Scratch;

namespace {

// The recon-only loss (every term a per-sample mean) of a tiny network: N ranks of batch B then
// average exactly what one rank of batch N * B computes.
std::string tiny_config(int batch, bool sync_bn, int steps, const std::string& source = "procedural") {
  return std::string(R"({"model": {"dim": 8, "feature_blocks": 1, "smooth_blocks": 1, "enhance_blocks": 1},
 "data": {"source": ")") + source + R"(", "val_source": "procedural", "sample_size": 48, "patch": 32, "batch": )" +
         std::to_string(batch) + R"(, "workers": 0, "val_count": 2, "val_size": 32},
 "loss": {"lambda_edge": 0, "dtv": false},
 "distributed": {"sync_batchnorm": )" + (sync_bn ? "true" : "false") + R"(, "bucket_mb": 0.01},
 "steps": )" + std::to_string(steps) + R"(, "seed": 3, "log_interval": 1, "val_interval": 1000, "checkpoint_interval": 1})";
}

std::string write(const Scratch& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

// `mpirun -np N csgis ARGS` (or MPMD `spec` as given), output captured; 1 thread a rank. No
// assertions inside: the fault tests run it on a thread of their own (Catch2's are not thread-safe).
Run mpirun_unchecked(const Scratch& dir, const std::string& spec) {
  const std::string out = dir / "mpi_out.txt", err = dir / "mpi_err.txt";
  const std::string cmd = std::string("OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '") +
                          CSGIS_MPIEXEC + "' --oversubscribe " + spec + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  return {status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, test_cli::slurp(out), test_cli::slurp(err)};
}

Run mpirun(const Scratch& dir, const std::string& spec) {
  REQUIRE(std::string(CSGIS_MPIEXEC) != "");  // ctest's mpi label exists only when CMake found mpirun
  return mpirun_unchecked(dir, spec);
}

std::string driver() { return std::string("'") + CSGIS_DRIVER + "'"; }

// The largest difference between the model tensors of two checkpoints, but for the biases of
// convolutions that feed a BatchNorm and the running means: BatchNorm cancels such a bias, so its
// true gradient is 0 and what backward computes for it is rounding noise, which Adam turns into
// steps of +-lr whatever its size; the running mean follows that bias. `skipped` counts them.
double max_param_diff(const std::string& a, const std::string& b, size_t* count, size_t* skipped) {
  const SafetensorsFile fa = load_safetensors(a), fb = load_safetensors(b);
  double m = 0;
  *count = *skipped = 0;
  for (size_t i = 0; i < fa.tensors.size(); ++i) {
    const auto& [name, t] = fa.tensors[i];
    if (name.rfind("model.", 0) != 0 || t.dtype() != DType::F32) continue;
    const std::string next = i + 1 < fa.tensors.size() ? fa.tensors[i + 1].first : "";
    const bool feeds_bn = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0 &&
                          next.size() > 7 && next.compare(next.size() - 7, 7, ".weight") == 0 &&
                          fa.find(next.substr(0, next.size() - 7) + ".running_mean") != nullptr;
    if (feeds_bn || name.find(".running_mean") != std::string::npos) {
      ++*skipped;
      continue;
    }
    const Tensor* u = fb.find(name);
    REQUIRE(u != nullptr);
    const std::vector<float> x = t.to_vector<float>(), y = u->to_vector<float>();
    for (size_t k = 0; k < x.size(); ++k) m = std::max(m, double(std::abs(x[k] - y[k])));
    ++*count;
  }
  return m;
}

// The pid of rank `rank` of a run whose command line holds `marker` (from /proc/PID/environ).
int find_rank_pid(const std::string& marker, int rank) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = e.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = test_cli::slurp("/proc/" + pid + "/cmdline");
    if (cmdline.find(marker) == std::string::npos || cmdline.find("csgis") == std::string::npos ||
        cmdline.find("mpirun") != std::string::npos || cmdline.find("orterun") != std::string::npos)
      continue;
    std::string env = test_cli::slurp("/proc/" + pid + "/environ");
    std::replace(env.begin(), env.end(), '\0', '\n');
    if (env.find("\nOMPI_COMM_WORLD_RANK=" + std::to_string(rank) + "\n") != std::string::npos) return std::stoi(pid);
  }
  return -1;
}

bool wait_for(const std::function<bool()>& cond, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

// A 2-rank training of 100,000 steps on a thread of its own (its mpirun output in `result`), for
// the fault tests. If a test stops early (a failed REQUIRE), the destructor kills the job's
// processes and joins, so the test binary neither hangs nor terminates on a joinable thread.
struct LongJob {
  Scratch& dir;
  std::string cfg, out;
  Run result;
  std::thread job;
  LongJob(Scratch& d, const std::string& name, const std::string& flags)
      : dir(d), cfg(write(d, "long.json", tiny_config(2, false, 100000))), out(d / name) {
    job = std::thread([this, flags] {
      result = mpirun_unchecked(dir, "-np 2 " + driver() + " train --config '" + cfg + "' -o '" + out + "' --quiet" +
                                         flags);
    });
  }
  // Rank 1's pid, once the run has written a checkpoint.
  int rank1_after_checkpoint() {
    REQUIRE(wait_for([&] { return std::filesystem::exists(out + "/checkpoint.safetensors"); }, 60));
    const int pid = find_rank_pid(out, 1);
    REQUIRE(pid > 0);
    return pid;
  }
  ~LongJob() {
    if (!job.joinable()) return;
    const std::string kill = "pkill -KILL -f '" + out + "' >/dev/null 2>&1";
    if (std::system(kill.c_str()) == -1) std::abort();
    job.join();
  }
};

}  // namespace

TEST_CASE("mpirun -np 2, batch B, sync_batchnorm: the parameters of one rank with batch 2B", "[mpi]") {
  Scratch dir;
  const std::string two = write(dir, "two.json", tiny_config(2, true, 4)),
                    one = write(dir, "one.json", tiny_config(4, true, 4));
  const Run r2 = mpirun(dir, "-np 2 " + driver() + " train --config '" + two + "' -o '" + (dir / "r2") + "' --quiet");
  INFO(r2.out << r2.err);
  REQUIRE(r2.rc == 0);
  // Rank 0 alone reports, and says the global batch.
  CHECK_THAT(r2.out, Catch::Contains("2 ranks (mpi), per-rank batch 2, global batch 4"));
  CHECK(test_cli::lines(r2.out) == 3);
  const Run r1 = test_cli::csgis_run(dir, "train --config '" + one + "' -o '" + (dir / "r1") + "' --quiet");
  REQUIRE(r1.rc == 0);
  size_t count = 0, skipped = 0;
  const double diff =
      max_param_diff(dir / "r1/checkpoint.safetensors", dir / "r2/checkpoint.safetensors", &count, &skipped);
  CHECK(count > 50);
  CHECK(skipped < count / 2);
  // Float tolerance: the two runs sum the same gradients in another order (per rank, then across);
  // 4 Adam steps of lr 1e-3 move the weights by ~4e-3, and the runs agree to ~1e-7.
  CHECK(diff < 1e-6);
  // Per-rank statistics differ from the global batch's: the same test then sees a difference.
  const std::string nosync = write(dir, "nosync.json", tiny_config(2, false, 4));
  const Run r3 = mpirun(dir, "-np 2 " + driver() + " train --config '" + nosync + "' -o '" + (dir / "r3") + "' --quiet");
  REQUIRE(r3.rc == 0);
  CHECK(max_param_diff(dir / "r1/checkpoint.safetensors", dir / "r3/checkpoint.safetensors", &count, &skipped) > 1e-4);
}

TEST_CASE("mpirun: a killed rank ends the job, the checkpoint is intact, and 1 rank resumes it", "[mpi]") {
  Scratch dir;
  REQUIRE(std::string(CSGIS_MPIEXEC) != "");
  LongJob run(dir, "killed", "");
  const std::string &cfg = run.cfg, &out = run.out;
  const Run& result = run.result;
  const int victim = run.rank1_after_checkpoint();
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(victim, SIGKILL);
  run.job.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));
  CHECK(result.rc != 0);
  CHECK_THAT(result.err, Catch::Contains("rank 1"));  // mpirun names the rank that died
  // The checkpoint loads (it was written atomically) and a one-rank run continues from it.
  const SafetensorsFile ckpt = load_safetensors(out + "/checkpoint.safetensors");
  const int64_t step = std::stoll(ckpt.metadata.at("step"));
  CHECK(step >= 1);
  const Run r = test_cli::csgis_run(dir, "train --config '" + cfg + "' -o '" + out + "' --quiet --resume '" + out +
                                             "/checkpoint.safetensors' --steps " + std::to_string(step + 2));
  INFO(r.err);
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("trained steps " + std::to_string(step + 1) + ".." + std::to_string(step + 2)));
  // And back to 2 ranks from the 1-rank checkpoint.
  const Run r2 = mpirun(dir, "-np 2 " + driver() + " train --config '" + cfg + "' -o '" + out + "' --quiet --resume '" +
                                 out + "/checkpoint.safetensors' --steps " + std::to_string(step + 3));
  INFO(r2.err);
  CHECK(r2.rc == 0);
  CHECK_THAT(r2.out, Catch::Contains("trained steps " + std::to_string(step + 3) + ".." + std::to_string(step + 3)));
}

TEST_CASE("mpirun: a hung rank ends the job after --collective-timeout, naming rank and operation", "[mpi]") {
  Scratch dir;
  REQUIRE(std::string(CSGIS_MPIEXEC) != "");
  LongJob run(dir, "hung", " --collective-timeout 3");
  const std::string& out = run.out;
  const Run& result = run.result;
  const int victim = run.rank1_after_checkpoint();
  ::kill(victim, SIGSTOP);
  const auto t0 = std::chrono::steady_clock::now();
  run.job.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(45));
  CHECK(result.rc != 0);
  CHECK_THAT(result.err, Catch::Contains("rank 0 of 2:"));
  CHECK_THAT(result.err, Catch::Contains("did not complete within the collective timeout of 3 s"));
  CHECK(load_safetensors(out + "/checkpoint.safetensors").metadata.count("step") == 1);
}

TEST_CASE("mpirun: ranks with different configs, or more ranks than the data has batches, stop at once", "[mpi]") {
  Scratch dir;
  const std::string a = write(dir, "a.json", tiny_config(2, false, 3)), b = write(dir, "b.json", tiny_config(2, true, 3));
  const auto t0 = std::chrono::steady_clock::now();
  Run r = mpirun(dir, "-np 1 " + driver() + " train --config '" + a + "' -o '" + (dir / "ab") + "' --quiet : -np 1 " +
                          driver() + " train --config '" + b + "' -o '" + (dir / "ab") + "' --quiet");
  CHECK(r.rc != 0);
  CHECK_THAT(r.err, Catch::Contains("rank 1 was started with another config or other flags than rank 0"));
  CHECK(!std::filesystem::exists(dir / "ab"));  // the run folder is not touched
  // Rank 0 alone says it, in one line (the rest is mpirun's own report).
  CHECK(r.err.find("csgis: error:") == r.err.rfind("csgis: error:"));

  // Per-rank thread counts are not part of the config the ranks must share.
  r = mpirun(dir, "-np 1 " + driver() + " train --config '" + a + "' -o '" + (dir / "threads") + "' --quiet --threads 1 : -np 1 " +
                      driver() + " train --config '" + a + "' -o '" + (dir / "threads") + "' --quiet --threads 2");
  CHECK(r.rc == 0);
  // A task that trains on one process only: every rank stops, rank 0 says why.
  const std::string seg = write(dir, "seg.json", R"({"task": "segment", "steps": 2})");
  r = mpirun(dir, "-np 2 " + driver() + " train --config '" + seg + "' -o '" + (dir / "seg") + "' --quiet");
  CHECK(r.rc != 0);
  CHECK_THAT(r.err, Catch::Contains("rank 0 of 2: config '" + seg + "': task \"segment\" trains on one process"));
  CHECK(r.err.find("csgis: error:") == r.err.rfind("csgis: error:"));

  // Three samples cannot make one global batch of 2 ranks x 2.
  const Run built = test_cli::csgis_run(dir, "build-dataset --procedural --count 3 --size 48 -o '" + (dir / "three") + "'");
  REQUIRE(built.rc == 0);
  const std::string small = write(dir, "small.json", tiny_config(2, false, 3, dir / "three"));
  r = mpirun(dir, "-np 2 " + driver() + " train --config '" + small + "' -o '" + (dir / "small") + "' --quiet");
  CHECK(r.rc != 0);
  CHECK_THAT(r.err, Catch::Contains("fewer than one global batch of 4 (2 ranks x batch 2)"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));  // no rank waited for a timeout
}
