#include "tools/lib/distributed.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "engine/error.h"

namespace csgis::dist {

namespace {

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string backend() const override { return "local"; }
  int64_t start_allreduce_sum(float*, int64_t, const std::string&) override { return 0; }
  void progress() override {}
  void wait(int64_t) override {}
  std::vector<double> allgather(const std::vector<double>& local, const std::string&) override { return local; }
  void broadcast(void*, size_t, int, const std::string&) override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

// The directory of the running executable: libcsgis_mpi.so is built (and installed) beside it.
std::filesystem::path executable_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(".") : exe.parent_path();
}

}  // namespace

// A process manager's variables (Open MPI's mpirun, PMIx, PMI-1/2) say a launcher started us. A
// Slurm allocation alone does not: a plain command in a batch script is one process.
std::string mpi_launcher() {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK"))
    return std::getenv("SLURM_STEP_ID") || std::getenv("SLURM_STEPID") ? "srun" : "mpirun";
  return "";
}

namespace {
// The world size the launcher announced, or 0 when it did not say.
int announced_world_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return 0;
}
}  // namespace

std::unique_ptr<Communicator> local_communicator() { return std::make_unique<LocalCommunicator>(); }

std::unique_ptr<Communicator> open_communicator() {
  const std::string launcher = mpi_launcher();
  if (launcher.empty()) return local_communicator();
  const std::filesystem::path module = executable_dir() / "libcsgis_mpi.so";
  CSGIS_CHECK(std::filesystem::exists(module), "started by ", launcher, ", but this build has no MPI backend (",
              module.string(), " is missing: Open MPI was not found when csgis was built; install libopenmpi-dev, "
              "reconfigure and rebuild)");
  // RTLD_GLOBAL: Open MPI loads its own components with dlopen and needs libmpi's symbols visible.
  void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_GLOBAL);
  CSGIS_CHECK(handle, "started by ", launcher, ", but the MPI backend ", module.string(), " does not load: ",
              dlerror(), " (is Open MPI installed on this machine?)");
  using OpenFn = Communicator* (*)(char*, size_t);
  auto open = reinterpret_cast<OpenFn>(dlsym(handle, "csgis_mpi_open"));
  CSGIS_CHECK(open, "the MPI backend ", module.string(), " lacks csgis_mpi_open: a stale build?");
  char error[512] = {0};
  Communicator* comm = open(error, sizeof error);
  CSGIS_CHECK(comm, "started by ", launcher, ", but MPI did not start: ", error);
  std::unique_ptr<Communicator> owned(comm);  // the module stays loaded for the process's life
  const int announced = announced_world_size();
  // srun without a PMI plugin starts N processes that each see a world of one: N rank 0s.
  CSGIS_CHECK(announced <= 0 || announced == owned->size(), "started by ", launcher, " as one of ", announced,
              " processes, but MPI sees a world of ", owned->size(),
              ": the launcher and Open MPI do not talk (with srun, try --mpi=pmix)");
  return owned;
}

std::string start_check(Communicator& comm, bool failed, const std::string& shared_text) {
  comm.run_started = !failed;
  if (comm.size() == 1) return "";
  // FNV-1a (the same on every machine and build), 52 bits of it: exact in a double.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : shared_text) h = (h ^ ch) * 0x100000001b3ULL;
  const double mine = failed ? 0.0 : double(h & ((uint64_t(1) << 52) - 1));
  const std::vector<double> all = comm.allgather({failed ? 1.0 : 0.0, mine}, "the start check of every rank");
  std::string failed_ranks;
  int differs = -1;
  for (int r = 0; r < comm.size(); ++r) {
    if (all[2 * size_t(r)] != 0) failed_ranks += (failed_ranks.empty() ? "" : ", ") + std::to_string(r);
    else if (differs < 0 && all[0] == 0 && all[2 * size_t(r) + 1] != all[1]) differs = r;
  }
  comm.rank0_reports = comm.rank() != 0 && (all[0] != 0 || (failed_ranks.empty() && differs >= 0));
  std::string problem;
  if (!failed_ranks.empty())
    problem = "rank(s) " + failed_ranks + " could not start (each printed its error): no rank trains";
  else if (differs >= 0)
    problem = "rank " + std::to_string(differs) +
              " was started with another config or other flags than rank 0 (the hashes of the effective configs "
              "differ): every rank must get the same";
  comm.run_started = problem.empty();
  return problem;
}

}  // namespace csgis::dist
