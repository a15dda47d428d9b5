// Sub-commands of the csgis driver. Each registers its CLI11 sub-command and returns the
// function to run when it is selected.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace csgis::tools {

using Runner = std::function<int()>;
Runner add_bench_command(CLI::App& app);

}  // namespace csgis::tools
