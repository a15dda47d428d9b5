// Progress for long work: a one-line bar with rate and ETA redrawn in place on a terminal, and plain
// periodic lines otherwise (logs, CI), so output stays readable in both.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace csgis::tools {

class Progress {
 public:
  // `total` units of work named `unit` ("step", "image"); output goes to stderr.
  Progress(std::string label, int64_t total, std::string unit = "it", int64_t start = 0);
  // Marks `done` units complete; `status` is appended (e.g. "loss 0.123").
  void update(int64_t done, const std::string& status = "");
  void finish(const std::string& status = "");

  static std::string format_duration(double seconds);  // "1h02m", "3m07s", "12.3s"

 private:
  std::string label_, unit_;
  int64_t total_, start_;
  bool tty_;
  std::chrono::steady_clock::time_point t0_, last_print_;
  int64_t last_done_ = -1;
};

}  // namespace csgis::tools
