// Running the built csgis driver from a test, as a user would: a scratch folder, the command via
// std::system, exit code and captured stdout/stderr.
#pragma once
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/data/data_test_util.h"

#ifndef CSGIS_DRIVER
#error "CSGIS_DRIVER (path of the built csgis binary) is set by tools/CMakeLists.txt"
#endif

namespace csgis::test_cli {

// A scratch folder per test (removed with its contents) and a file's bytes: the data tests' helpers.
using Scratch = csgis::data::testing::TempDir;
inline std::string slurp(const std::string& path) { return csgis::data::testing::read_bytes(path); }

struct Run {
  int rc;
  std::string out, err;
};

// Runs `csgis ARGS` with stdout and stderr captured in the scratch directory; in folder `cwd` when
// one is given (for defaults relative to the working directory).
// `env`: extra VAR=value assignments for the command.
inline Run csgis_run(const Scratch& dir, const std::string& args, const std::string& cwd = "",
                     const std::string& env = "") {
  const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = (cwd.empty() ? std::string() : "cd '" + cwd + "' && ") + "OMP_NUM_THREADS=2 " + env + " '" +
                          CSGIS_DRIVER + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(status != -1);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

inline size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

}  // namespace csgis::test_cli
