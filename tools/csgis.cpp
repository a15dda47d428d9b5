// csgis: the one driver. `csgis --help` lists the commands; `csgis <command> --help` explains each flag.
#include <cstdio>
#include <exception>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"csgis: train and run CSGIS-Net image smoothing; benchmark the engine's kernels"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, csgis::tools::Runner>> commands;
  csgis::tools::Runner bench = csgis::tools::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (app.got_subcommand("bench")) return bench();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csgis: error: %s\n", e.what());
    return 1;
  }
  return 1;
}
