// csgis: the one driver. `csgis --help` lists the commands; `csgis <command> --help` explains each flag.
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "csgis_git_commit.h"  // generated at build time by tools/version.cmake
#include "engine/error.h"
#include "engine/cpu_isa.h"
#include "tools/commands.h"

namespace {

// The CPU code path (engine/cpu_isa.h: AVX-512 or AVX2 micro-kernels or portable loops, chosen at
// start), this CPU and the AVX-512 parts it offers.
std::string cpu_model() {
  std::FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (!f) return "unknown CPU";
  char line[512];
  std::string model = "unknown CPU";
  while (std::fgets(line, sizeof line, f)) {
    const std::string l(line);
    if (l.rfind("model name", 0) != 0) continue;
    const size_t colon = l.find(':');
    if (colon != std::string::npos) model = l.substr(l.find_first_not_of(" \t", colon + 1));
    while (!model.empty() && (model.back() == '\n' || model.back() == ' ')) model.pop_back();
    break;
  }
  std::fclose(f);
  return model;
}

std::string cpu_isa_line() {
  std::string avx512;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) avx512 += " F";
  if (__builtin_cpu_supports("avx512bw")) avx512 += " BW";
  if (__builtin_cpu_supports("avx512vnni")) avx512 += " VNNI";
  if (__builtin_cpu_supports("avx512bf16")) avx512 += " BF16";
  return csgis::cpu_isa_report() + " (compiled for x86-64-v3; CSGIS_CPU_ISA=avx512|avx2|generic overrides)\nThis CPU: " +
         cpu_model() + "; AVX-512:" + (avx512.empty() ? std::string(" none") : avx512);
}

std::string version_text() {
  return std::string("csgis ") + CSGIS_VERSION + " (commit " + CSGIS_GIT_COMMIT + ", " + CSGIS_BUILD_TYPE +
         " build)\nCUDA: " + CSGIS_CUDA_STATE + "\nCPU kernels: " + cpu_isa_line();
}

}  // namespace

int main(int argc, char** argv) {
  try {  // CSGIS_CPU_ISA naming a path this CPU or build lacks: one clear line before anything runs
    csgis::selected_cpu_isa();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csgis: error: %s\n", e.what());
    return 1;
  }
  CLI::App app{"csgis: train and run CSGIS-Net image smoothing; benchmark the engine's kernels"};
  app.require_subcommand(1);
  // Parse errors as one line, like every other error of the driver.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("csgis: error: ") + csgis::one_line(e.what()) + " (see --help)\n";
  });
  app.set_version_flag("--version", version_text());
  bool verbose = false;
  app.add_flag("--verbose", verbose, "on an error, also print where in the source it was detected (for bug reports)");
  app.fallthrough();  // --verbose may follow the command too
  // Each add_*_command registers its sub-command and returns what runs when it is chosen.
  const std::vector<csgis::tools::Runner> runners = {
      csgis::tools::add_train_command(app),
      csgis::tools::add_bench_command(app),
      csgis::tools::add_smooth_command(app),
      csgis::tools::add_enhance_command(app),
      csgis::tools::add_eval_command(app),
      csgis::tools::add_tune_gf_command(app),
      csgis::tools::add_metrics_command(app),
      csgis::tools::add_build_dataset_command(app),
      csgis::tools::add_convert_command(app),
  };
  // An unknown first word is a misspelt command: name them all (CLI11 would only say that one is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "csgis: error: unknown command '%s' (commands: %s; see --help)\n",
                   csgis::one_line(argv[1]).c_str(), names.c_str());
      return 109;  // CLI11's exit code for arguments it does not expect
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const auto& run : runners) {
      const int rc = run();
      if (rc >= 0) return rc;  // the runner of the chosen command; others return -1
    }
  } catch (const csgis::Error& e) {
    std::fprintf(stderr, "csgis: error: %s\n", e.what());
    if (verbose && !e.where().empty()) std::fprintf(stderr, "csgis: (%s)\n", e.where().c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "csgis: error: out of memory (a smaller --tile, batch or image size needs less)\n");
    return 1;
  } catch (const std::exception& e) {  // not ours (the standard library, a parser): one line all the same
    std::fprintf(stderr, "csgis: error: %s\n", csgis::one_line(e.what()).c_str());
    return 1;
  }
  return 1;
}
