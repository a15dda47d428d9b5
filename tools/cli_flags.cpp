#include "tools/cli_flags.h"

#include <omp.h>

#include "engine/context.h"
#include "engine/cpu_isa.h"

namespace csgis::tools::flags {

namespace {
CLI::Validator number_check(bool (*ok)(double), const char* expected, const char* name) {
  return CLI::Validator(
      [ok, expected](std::string& text) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && ok(v)) return {};
        return std::string("expected ") + expected + ", got '" + text + "'";
      },
      name);
}
}  // namespace

CLI::Validator positive() {
  return number_check([](double v) { return v > 0; }, "a number > 0", "POSITIVE");
}
CLI::Validator non_negative() {
  return number_check([](double v) { return v >= 0; }, "a number >= 0", "NONNEGATIVE");
}

CLI::Option* threads(CLI::App* cmd, int& threads) {
  return cmd->add_option("--threads", threads,
                         "CPU threads (0: OMP_NUM_THREADS when it is set, else every core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
}

int apply_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  return omp_get_max_threads();
}

CLI::Option* isa(CLI::App* cmd, std::string& isa) {
  return cmd->add_option("--isa", isa,
                         "CPU code path: avx512, avx2 or generic (default: CSGIS_CPU_ISA, else the best this CPU "
                         "has; `csgis --version` says which)");
}

const char* apply_isa(const std::string& isa) {
  Context& ctx = current_context();
  if (!isa.empty()) ctx.set_cpu_isa(parse_cpu_isa(isa, "--isa"));
  return cpu_isa_name(ctx.cpu_isa());
}

CLI::Option* device(CLI::App* cmd, std::string& device) {
  return cmd->add_option("--device", device, "where it runs: cpu, cuda, cuda:N or simt (emulated CUDA, slow)")
      ->capture_default_str();
}

CLI::Option* weights(CLI::App* cmd, std::string& weights) {
  return cmd->add_option(
      "--weights", weights,
      std::string("network weights (.safetensors: a run's best.safetensors or checkpoint.safetensors from ") +
          "csgis train, or a PyTorch export); default: " +
          kDefaultWeights + " in the source tree, then in the current directory");
}

void tiling(CLI::App* cmd, TileOptions& tile) {
  cmd->add_option("--tile", tile.tile, "largest window side in pixels for large images (bounds memory); the fewest windows of this side are used, shrunk to what still covers the image")->capture_default_str();
  cmd->add_option("--overlap", tile.overlap,
                  "minimum overlap of neighbouring windows in pixels (< tile / 2); wider hides seams better")
      ->capture_default_str();
}

CLI::Option* data(CLI::App* cmd, std::string& data) {
  return cmd->add_option("--data", data,
                         "data set folder: input/ and gt/ with the same stems (edge/, seg/, over/ optional)")
      ->required();
}

CLI::Option* limit(CLI::App* cmd, int64_t& limit) {
  return cmd->add_option("--limit", limit, "use N samples spread evenly over the set (every (size/N)-th by name; 0: all)")
      ->check(non_negative())
      ->capture_default_str();
}

void timing(CLI::App* cmd, int& repeats, int* warmup) {
  if (warmup)
    cmd->add_option("--warmup", *warmup, "untimed runs first")->check(non_negative())->capture_default_str();
  cmd->add_option("--repeats", repeats, "timed runs; the median is reported")->check(positive())->capture_default_str();
}

}  // namespace csgis::tools::flags
