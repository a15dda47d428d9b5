// `csgis bench smoother`, run as a user would (the built binary): one JSON line with a positive
// median for CPU and SIMT methods, one-line errors for unknown methods and for methods the chosen
// device has no kernels for.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#ifndef CSGIS_DRIVER
#error "CSGIS_DRIVER (path of the built csgis binary) is set by tools/CMakeLists.txt"
#endif

namespace {

struct BenchRun {
  int rc;
  std::string out, err;
};

BenchRun run_bench(const std::string& args) {
  char tmpl[] = "/tmp/csgis_bench_test_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl, out = dir + "/out.txt", err = dir + "/err.txt";
  const std::string cmd = std::string("OMP_NUM_THREADS=2 '") + CSGIS_DRIVER + "' bench smoother " + args + " >'" +
                          out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(status != -1);
  auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  BenchRun r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace

TEST_CASE("bench smoother: one JSON line per run on cpu and simt", "[unit]") {
  struct Case {
    const char *method, *device, *extra;
    int size;
  };
  const Case cases[] = {{"gf", "cpu", "--repeats 1", 32},
                        {"rgf", "cpu", "--repeats 2 --rgf-iterations 2", 24},
                        {"l0", "cpu", "--repeats 1", 16},
                        {"gf", "simt", "--repeats 1", 32},
                        {"bf", "simt", "--repeats 1", 16},
                        {"l0", "simt", "--repeats 1", 16},
                        {"ils", "simt", "--repeats 1 --ils-iterations 2", 16}};
  for (const Case& c : cases) {
    const std::string args = std::string("--method ") + c.method + " --device " + c.device + " --size " +
                             std::to_string(c.size) + " " + c.extra;
    INFO(args);
    const BenchRun r = run_bench(args);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    REQUIRE(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j.at("median_ms").get<double>() > 0);
    CHECK(j.at("method").get<std::string>() == c.method);
    CHECK(j.at("device").get<std::string>() == c.device);
    CHECK(j.at("size").get<int>() == c.size);
    CHECK(j.at("repeats").get<int>() >= 1);
    CHECK(!j.at("cpu_model").get<std::string>().empty());
  }
}

TEST_CASE("bench smoother: unknown methods and methods without GPU kernels fail in one line", "[unit]") {
  const BenchRun unknown = run_bench("--method nope --size 16 --repeats 1");
  CHECK(unknown.rc != 0);
  CHECK(unknown.err.find("unknown --method 'nope'") != std::string::npos);
  CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
  const BenchRun no_kernels = run_bench("--method rtv --size 16 --repeats 1 --device simt");
  CHECK(no_kernels.rc != 0);
  CHECK(no_kernels.err.find("no implementation on simt") != std::string::npos);
  CHECK(std::count(no_kernels.err.begin(), no_kernels.err.end(), '\n') == 1);
  CHECK(no_kernels.out.empty());
}
