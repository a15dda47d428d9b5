// Error type and checks used across the engine: every failure names what was expected.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace csgis {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace csgis

// CSGIS_CHECK(cond, msg...): throws csgis::Error("<msg> (check `cond` failed at file:line)").
#define CSGIS_CHECK(cond, ...)                                                             \
  do {                                                                                     \
    if (!(cond))                                                                           \
      throw ::csgis::Error(::csgis::detail::concat(__VA_ARGS__, " (check `" #cond          \
                                                                "` failed at ", __FILE__, \
                                                   ":", __LINE__, ")"));                   \
  } while (0)

#define CSGIS_FAIL(...) throw ::csgis::Error(::csgis::detail::concat(__VA_ARGS__))
