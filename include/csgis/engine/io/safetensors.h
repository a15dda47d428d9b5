// The safetensors file format (as written by the Hugging Face `safetensors` library):
//   [u64 little-endian N][N bytes of UTF-8 JSON header][data section]
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} with
// offsets relative to the start of the data section, plus an optional "__metadata__" object of
// string -> string. Data is raw little-endian, row-major. A file is only accepted if its tensors
// tile the data section exactly (no overlaps, no gaps), so a corrupt or hostile file is refused
// up front with a message saying what is wrong instead of yielding garbage weights.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file order (by data offset)
  std::map<std::string, std::string> metadata;          // the "__metadata__" object
  const Tensor* find(const std::string& name) const;   // nullptr when absent
};

// Reads a whole file. Tensors come back contiguous on the CPU: F32, F64 and I64 as such; F16 and
// BF16 widened to F32 (the engine computes in float32). Throws csgis::Error naming the file and
// the defect for anything malformed or unsupported.
SafetensorsFile load_safetensors(const std::string& path);

// Same, from bytes already in memory; `name_for_errors` stands in for the path in messages.
SafetensorsFile parse_safetensors(const std::string& name_for_errors, const uint8_t* bytes, size_t n);

// Writes atomically (see atomic_file.h): an existing file is replaced only once the new one is
// complete. Tensors may live on any device and have any strides; they are written in the given
// order, contiguous, in their own dtype (F32, F64, I64; F16/BF16 tensors are written raw). Names
// must be unique and not "__metadata__".
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Serialised header (length prefix + padded JSON) for the given tensors, exposed for tests and for
// tools that want to inspect what would be written. Throws on the same inputs save_safetensors does.
std::string safetensors_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const std::map<std::string, std::string>& metadata = {});

}  // namespace csgis
#pragma GCC visibility pop
