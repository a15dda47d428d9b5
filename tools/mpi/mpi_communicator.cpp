// The MPI backend of tools/lib/distributed.h, built as the module libcsgis_mpi.so that the driver
// loads only when a launcher started it. Only the thread that opened it calls MPI (FUNNELED).
//
// Every collective is non-blocking and polled against a deadline, so that a rank that died or hangs
// ends the job with a message instead of leaving the others blocked: MPI_Test drives the progress
// of Open MPI's non-blocking collectives, which move no data between calls.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "tools/lib/distributed.h"

namespace csgis::dist {
namespace {

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
    // Errors come back as codes (and end the job through fail()), not as MPI's own abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  ~MpiCommunicator() override {
    // A collective still pending means an error path left a step half done; MPI forbids freeing
    // it, and finalising with it would hang or be erroneous: end the job instead.
    for (auto& [id, op] : pending_)
      if (op.request != MPI_REQUEST_NULL) abort(3);
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string backend() const override { return "mpi"; }

  int64_t start_allreduce_sum(float* data, int64_t n, const std::string& what) override {
    Pending op{MPI_REQUEST_NULL, what, std::chrono::steady_clock::now()};
    check(MPI_Iallreduce(MPI_IN_PLACE, data, int(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &op.request), what);
    const int64_t id = next_id_++;
    pending_.emplace(id, std::move(op));
    return id;
  }

  void progress() override {
    for (auto& [id, op] : pending_) {
      int done = 0;
      check(MPI_Test(&op.request, &done, MPI_STATUS_IGNORE), op.what);
    }
  }

  void wait(int64_t handle) override {
    auto it = pending_.find(handle);
    if (it == pending_.end()) return;
    await(it->second.request, it->second.what, it->second.started);
    pending_.erase(it);
  }

  std::vector<double> allgather(const std::vector<double>& local, const std::string& what) override {
    std::vector<double> all(local.size() * size_t(size_));
    MPI_Request r;
    check(MPI_Iallgather(local.data(), int(local.size()), MPI_DOUBLE, all.data(), int(local.size()), MPI_DOUBLE,
                         MPI_COMM_WORLD, &r), what);
    await(r, what, std::chrono::steady_clock::now());
    return all;
  }

  void broadcast(void* data, size_t bytes, int root, const std::string& what) override {
    // In pieces below 2 GiB: MPI counts are ints.
    constexpr size_t kPiece = size_t(1) << 30;
    for (size_t at = 0; at < bytes; at += kPiece) {
      MPI_Request r;
      check(MPI_Ibcast(static_cast<char*>(data) + at, int(std::min(kPiece, bytes - at)), MPI_BYTE, root,
                       MPI_COMM_WORLD, &r), what);
      await(r, what, std::chrono::steady_clock::now());
    }
  }

  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  struct Pending {
    MPI_Request request;
    std::string what;
    std::chrono::steady_clock::time_point started;
  };

  // Polls until done: busy at first (a collective between two ready ranks takes microseconds), then
  // with short sleeps so a rank waiting for a slow one leaves it the CPU.
  void await(MPI_Request& r, const std::string& what, std::chrono::steady_clock::time_point started) {
    using clock = std::chrono::steady_clock;
    const auto deadline = started + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout()));
    for (int polls = 0;; ++polls) {
      int done = 0;
      check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      if (clock::now() > deadline) {
        std::fprintf(stderr,
                     "csgis: rank %d of %d: %s did not complete within the collective timeout of %g s: another rank "
                     "has died or hangs (csgis train --collective-timeout); ending the job, the last checkpoint is "
                     "intact\n",
                     rank_, size_, what.c_str(), timeout());
        abort(3);
      }
      if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(polls > 20000 ? 500 : 20));
    }
  }

  void check(int code, const std::string& what) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    std::fprintf(stderr, "csgis: rank %d of %d: %s failed: %.*s\n", rank_, size_, what.c_str(), length, text);
    abort(3);
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  int64_t next_id_ = 1;
  std::map<int64_t, Pending> pending_;
};

}  // namespace
}  // namespace csgis::dist

extern "C" __attribute__((visibility("default"))) csgis::dist::Communicator* csgis_mpi_open(char* error,
                                                                                             size_t error_size) {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    std::snprintf(error, error_size, "MPI_Init_thread failed");
    return nullptr;
  }
  if (provided < MPI_THREAD_FUNNELED) {
    std::snprintf(error, error_size, "this MPI offers thread level %d, csgis needs MPI_THREAD_FUNNELED", provided);
    MPI_Finalize();
    return nullptr;
  }
  return new csgis::dist::MpiCommunicator();
}
