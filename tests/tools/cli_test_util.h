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

#ifndef CSGIS_DRIVER
#error "CSGIS_DRIVER (path of the built csgis binary) is set by tools/CMakeLists.txt"
#endif

namespace csgis::test_cli {

struct Scratch {
  std::string path;
  Scratch() {
    char tmpl[] = "/tmp/csgis_cli_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Run {
  int rc;
  std::string out, err;
};

// Runs `csgis ARGS` with stdout and stderr captured in the scratch directory; in folder `cwd` when
// one is given (for defaults relative to the working directory).
inline Run csgis_run(const Scratch& dir, const std::string& args, const std::string& cwd = "") {
  const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = (cwd.empty() ? std::string() : "cd '" + cwd + "' && ") + "OMP_NUM_THREADS=2 '" +
                          CSGIS_DRIVER + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(status != -1);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

inline size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

}  // namespace csgis::test_cli
