// An input file opened for the C decoders (libpng, libjpeg): a missing or unreadable file is one
// line naming it with the system's reason, and the FILE is closed however decoding ends.
#pragma once
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/error.h"

namespace csgis::data {

struct InputFile {
  std::FILE* f = nullptr;
  explicit InputFile(const std::string& path) : f(std::fopen(path.c_str(), "rb")) {
    if (!f) CSGIS_FAIL("cannot read '", path, "': ", std::strerror(errno));
  }
  ~InputFile() {
    if (f) std::fclose(f);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
};

}  // namespace csgis::data
