// Sub-commands of the csgis driver. Each add_*_command registers its CLI11 sub-command on `app`
// and returns a Runner: called after parsing, it runs the command and returns its exit code when
// that command was chosen, and -1 otherwise.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace csgis::tools {

using Runner = std::function<int()>;
Runner add_train_command(CLI::App& app);
Runner add_bench_command(CLI::App& app);
Runner add_smooth_command(CLI::App& app);   // cmd_smooth.cpp
Runner add_enhance_command(CLI::App& app);  // cmd_smooth.cpp
Runner add_eval_command(CLI::App& app);     // cmd_eval.cpp
Runner add_tune_gf_command(CLI::App& app);  // cmd_eval.cpp
Runner add_metrics_command(CLI::App& app);  // cmd_metrics.cpp
Runner add_build_dataset_command(CLI::App& app);  // cmd_build_dataset.cpp
Runner add_convert_command(CLI::App& app);        // cmd_convert.cpp

}  // namespace csgis::tools
