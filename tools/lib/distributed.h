// Data-parallel training: who this process is among the ranks, and the collectives the trainer needs.
//
// A plain `csgis train` is one process: local_communicator(), no MPI anywhere. Under a launcher
// (`mpirun`, `srun`: its environment says so) open_communicator() loads the MPI backend, the module
// libcsgis_mpi.so built beside the driver, with dlopen: so the driver itself links no MPI and runs
// where Open MPI is not installed, and a launch without it fails with one line that says what is
// missing instead of a loader error.
//
// Every collective of the MPI backend waits at most timeout() seconds (csgis train
// --collective-timeout): a rank that died or hangs ends the whole job with a message naming this
// rank, the world size and the operation (MPI_Abort), never a wait for ever.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace csgis::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // rank among the processes of this machine (its CUDA device)
  virtual int local_size() const = 0;  // processes on this machine
  virtual std::string backend() const = 0;

  // Sum all-reduce of n floats in place, started now and finished by wait(): the caller may compute
  // meanwhile (and call progress() now and then, which lets MPI move the data along). Operations
  // must be started in the same order on every rank. `what` names the operation in a timeout.
  virtual int64_t start_allreduce_sum(float* data, int64_t n, const std::string& what) = 0;
  virtual void progress() = 0;
  virtual void wait(int64_t handle) = 0;

  // Every rank's `local` (equal lengths), concatenated in rank order, on every rank.
  virtual std::vector<double> allgather(const std::vector<double>& local, const std::string& what) = 0;
  // Bytes from `root` into `data` on every rank.
  virtual void broadcast(void* data, size_t bytes, int root, const std::string& what) = 0;
  // Ends every rank of the job now: after a fatal error on one rank that the others cannot see.
  [[noreturn]] virtual void abort(int code) = 0;

  // Set on the other ranks when the start of a run failed in a way rank 0 reports (it failed too, or
  // the configs differ): the driver then leaves the message to rank 0.
  bool rank0_reports = false;
  // Set once every rank has passed the start of a run: from then on an error on one rank must end
  // the whole job (abort), since the others wait for it in the next collective.
  bool run_started = false;

  void set_timeout(double seconds) { timeout_s_ = seconds; }
  double timeout() const { return timeout_s_; }

 protected:
  double timeout_s_ = 300;
};

// The launcher that started this process ("mpirun" or "srun", from its environment), or "" when
// none did.
std::string mpi_launcher();
// One process, world size 1: every collective is a no-op.
std::unique_ptr<Communicator> local_communicator();
// local_communicator() without a launcher, else the MPI backend (MPI_Init here); a launch without
// a usable backend fails with a one-line error.
std::unique_ptr<Communicator> open_communicator();

// The start check of a data-parallel run: one collective that every rank calls exactly once, as
// its setup succeeded (failed = false) or threw (failed = true), with the text every rank must share
// (the effective config). Returns "" when every rank succeeded with the same text, else what went
// wrong: the ranks that failed (their own errors are theirs to print), or the first rank whose text
// differs from rank 0's. So all ranks stop together and none waits in a collective for a rank that
// already left. Sets comm.rank0_reports and comm.run_started.
std::string start_check(Communicator& comm, bool failed, const std::string& shared_text);

}  // namespace csgis::dist

// The MPI backend's entry point (libcsgis_mpi.so): a communicator, or null with `error` filled.
extern "C" csgis::dist::Communicator* csgis_mpi_open(char* error, size_t error_size);
