// Error type and checks used across the engine: every failure names what was expected.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

// Messages are one line whatever they quote: control characters that came in with user data (a
// JSON key holding "\n", a file name with a tab) are shown escaped, as \n, \t or \xNN.
inline std::string one_line(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  static const char* hex = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    else out += ch;
  }
  return out;
}

// what() is the message for the user (plain words: what, where, what was expected). A failed
// CSGIS_CHECK also records where() it failed (the condition and source line): that is for
// developers, so the driver shows it only with --verbose, never inside the message.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string where = {})
      : std::runtime_error(message.empty() ? "internal error (rerun with --verbose to see where)" : one_line(message)),
        where_(std::move(where)) {}
  const std::string& where() const noexcept { return where_; }

 private:
  std::string where_;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

// nlohmann::json's messages start with an id such as "[json.exception.parse_error.101] ": users
// need the rest ("parse error at line 1, column 3: ...").
inline std::string plain_json_error(const std::string& what) {
  if (what.rfind("[json.exception.", 0) != 0) return what;
  const size_t end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

}  // namespace csgis

// CSGIS_CHECK(cond, msg...): throws csgis::Error("<msg>") with where() = "check `cond` failed at file:line".
#define CSGIS_CHECK(cond, ...)                                                                           \
  do {                                                                                                   \
    if (!(cond))                                                                                         \
      throw ::csgis::Error(::csgis::detail::concat(__VA_ARGS__),                                         \
                           ::csgis::detail::concat("check `" #cond "` failed at ", __FILE__, ":", __LINE__)); \
  } while (0)

// CSGIS_FAIL(msg...): throws csgis::Error("<msg>") with where() = "at file:line".
#define CSGIS_FAIL(...) \
  throw ::csgis::Error(::csgis::detail::concat(__VA_ARGS__), ::csgis::detail::concat("at ", __FILE__, ":", __LINE__))
#pragma GCC visibility pop
