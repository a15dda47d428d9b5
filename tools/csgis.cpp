// csgis: the one driver. `csgis --help` lists the commands; `csgis <command> --help` explains each flag.
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"csgis: train and run CSGIS-Net image smoothing; benchmark the engine's kernels"};
  app.require_subcommand(1);
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
  };
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csgis: error: %s\n", e.what());
    return 1;
  }
  return 1;
}
