// libFuzzer target: the safetensors parser (engine/io/safetensors.cpp), which reads every weight
// file and checkpoint. An accepted file must hold exactly what it claims: every tensor's bytes are
// read (ASan sees any read outside the buffer) and the file written back from the parsed tensors
// parses to the same names, shapes, values and metadata.
#include <cstring>
#include <string>

#include "engine/io/safetensors.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr const char* kTarget = "fuzz_safetensors";

// The bytes save_safetensors would write: the header, then each tensor's data in order.
std::string serialise(const csgis::SafetensorsFile& f) {
  std::string out = csgis::safetensors_header(f.tensors, f.metadata);
  for (const auto& [name, t] : f.tensors) {
    const auto* p = static_cast<const char*>(t.raw_data());
    out.append(p, t.nbytes());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using csgis::fuzz::require;
  csgis::SafetensorsFile f;
  try {
    f = csgis::parse_safetensors("fuzz.safetensors", data, size);
  } catch (const std::exception& e) {
    csgis::fuzz::check_refusal(e, kTarget);
    return 0;
  }
  // Touch every byte of every tensor.
  unsigned checksum = 0;
  for (const auto& [name, t] : f.tensors) {
    require(t.is_contiguous(), kTarget, "a parsed tensor is not contiguous");
    const auto* p = static_cast<const unsigned char*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) checksum += p[i];
  }
  (void)checksum;
  std::string again;
  try {
    again = serialise(f);
  } catch (const std::exception& e) {  // e.g. a dtype that is read but not written: a refusal, one line
    csgis::fuzz::check_refusal(e, kTarget);
    return 0;
  }
  const csgis::SafetensorsFile g =
      csgis::parse_safetensors("fuzz-again.safetensors", reinterpret_cast<const uint8_t*>(again.data()), again.size());
  require(g.tensors.size() == f.tensors.size(), kTarget, "tensor count changed in a round trip");
  require(g.metadata == f.metadata, kTarget, "metadata changed in a round trip");
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const csgis::Tensor& a = f.tensors[i].second;
    const csgis::Tensor* b = g.find(f.tensors[i].first);
    require(b != nullptr, kTarget, "a tensor's name was lost in a round trip");
    require(a.shape() == b->shape() && a.dtype() == b->dtype(), kTarget, "shape or dtype changed in a round trip");
    require(std::memcmp(a.raw_data(), b->raw_data(), a.nbytes()) == 0, kTarget, "values changed in a round trip");
  }
  return 0;
}
