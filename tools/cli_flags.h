// Flags that several commands share, each defined once here so that its name, help text and
// checks are the same in every command (tests/tools/test_cli_consistency.cpp holds them to it).
// The rule for outputs: `-o, --out` names where a command writes; where it may be left out the
// default is a folder under runs/ named after the input (train: runs/<config name>, eval:
// runs/eval/<data folder name>).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "tools/lib/tiled_inference.h"

namespace csgis::tools::flags {

// Help of --size wherever a command takes one (bench, build-dataset).
inline constexpr const char* kSizeHelp = "width = height of each image in pixels";

// Range checks with a plain message ("--size: expected a number > 0, got '0'"); CLI11's own
// PositiveNumber prints the whole range of a double.
CLI::Validator positive();
CLI::Validator non_negative();

// --threads N: CPU threads of the command; 0 (the default) keeps OMP_NUM_THREADS, else all cores.
CLI::Option* threads(CLI::App* cmd, int& threads);
// Applies --threads (before any parallel work) and returns the number of threads in use.
int apply_threads(int threads);

// --isa: the CPU code path of this command (avx512, avx2, generic); empty (the default) keeps the
// process's (CSGIS_CPU_ISA, else the best this CPU has).
CLI::Option* isa(CLI::App* cmd, std::string& isa);
// Applies --isa to the current context (a one-line error when the CPU lacks the path) and returns
// the path in use, for the JSON line.
const char* apply_isa(const std::string& isa);

// --device: cpu, cuda, cuda:N or simt.
CLI::Option* device(CLI::App* cmd, std::string& device);
// --weights: the network's weights, with the default the inference commands look for.
CLI::Option* weights(CLI::App* cmd, std::string& weights);
// --tile and --overlap of tiled inference (tools/lib/tiled_inference.h).
void tiling(CLI::App* cmd, TileOptions& tile);
// --data: a data set folder (input/ + gt/, the rest optional).
CLI::Option* data(CLI::App* cmd, std::string& data);
// --limit N: N samples spread evenly over the set.
CLI::Option* limit(CLI::App* cmd, int64_t& limit);
// --repeats and (when warmup is given) --warmup of the benchmarks.
void timing(CLI::App* cmd, int& repeats, int* warmup);

}  // namespace csgis::tools::flags
