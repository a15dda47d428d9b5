// What every fuzz target checks beyond "no crash, no sanitizer report": a refusal is a one-line
// message in plain words (the promise of docs/reliability.md). A violation aborts, so libFuzzer
// keeps the input as a crash like any memory error.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace csgis::fuzz {

inline void check_refusal(const std::exception& e, const char* target) {
  const char* m = e.what();
  const size_t n = std::strlen(m);
  // Empty, multi-line, or ending in a bare colon (a reason that was lost) are all defects.
  const bool bad = n == 0 || std::strchr(m, '\n') != nullptr || (n >= 2 && m[n - 2] == ':' && m[n - 1] == ' ') ||
                   m[n - 1] == ':';
  if (bad) {
    std::fprintf(stderr, "%s: refusal is not one plain line: [%s]\n", target, m);
    std::abort();
  }
}

inline void require(bool ok, const char* target, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: invariant broken: %s\n", target, what);
    std::abort();
  }
}

}  // namespace csgis::fuzz
