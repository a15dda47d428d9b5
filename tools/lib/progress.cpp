#include "tools/lib/progress.h"

#include <unistd.h>

#include <cmath>

namespace csgis::tools {

Progress::Progress(std::string label, int64_t total, std::string unit, int64_t start)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), start_(start),
      tty_(isatty(fileno(stderr)) != 0), t0_(std::chrono::steady_clock::now()), last_print_(t0_) {}

std::string Progress::format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  }
  return buf;
}

void Progress::update(int64_t done, const std::string& status) {
  const auto now = std::chrono::steady_clock::now();
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  // Terminal: redraw at most 10 times a second. Logs: one line every 10 s (and at the end).
  const bool due = done >= total_ || (tty_ ? since_print >= 0.1 : since_print >= 10.0);
  if (!due || done == last_done_) return;
  last_print_ = now;
  last_done_ = done;
  const double elapsed = std::chrono::duration<double>(now - t0_).count();
  const double rate = elapsed > 0 ? double(done - start_) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done) / rate : NAN;
  const double frac = total_ > 0 ? double(done) / double(total_) : 1.0;
  char head[160];
  std::snprintf(head, sizeof head, "%s %lld/%lld %s (%.0f%%) %.2f %s/s ETA %s", label_.c_str(),
                (long long)done, (long long)total_, unit_.c_str(), 100 * frac, rate, unit_.c_str(),
                format_duration(eta).c_str());
  if (tty_) {
    const int width = 24;
    const int filled = int(std::lround(frac * width));
    std::string bar = "[" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "]";
    std::fprintf(stderr, "\r\033[K%s %s %s", bar.c_str(), head, status.c_str());
  } else {
    std::fprintf(stderr, "%s %s\n", head, status.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& status) {
  update(total_, status);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  if (tty_) std::fprintf(stderr, "\n");
  std::fprintf(stderr, "%s done in %s\n", label_.c_str(), format_duration(elapsed).c_str());
}

}  // namespace csgis::tools
