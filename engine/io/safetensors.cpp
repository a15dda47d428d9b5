#include "engine/io/safetensors.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "engine/io/half.h"

// The format is little-endian; tensor bytes are copied verbatim between file and memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace csgis {

namespace {

// ordered_json keeps the header's key order, which breaks offset ties (several empty tensors at
// one offset) in the order the writer listed them.
using Json = nlohmann::ordered_json;

// A malicious length prefix must not make us allocate or scan gigabytes of "header".
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct FileDType {
  const char* name;
  DType dtype;  // as stored in the file
};
constexpr FileDType kDTypes[] = {
    {"F32", DType::F32}, {"F64", DType::F64}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"I64", DType::I64}};
// Valid safetensors dtypes csgis has no tensor type for: refused by name so the message says
// "unsupported" rather than suggesting the file is corrupt.
const char* const kUnsupported[] = {"BOOL", "U8",   "I8",      "I16",     "U16",     "I32",     "U32", "U64",
                                    "C64",  "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"};

const char* file_dtype_name(DType t) {
  for (const auto& d : kDTypes)
    if (d.dtype == t) return d.name;
  return "?";
}

template <typename... Args>
[[noreturn]] void bad(const std::string& file, Args&&... args) {
  CSGIS_FAIL("safetensors '", file, "': ", std::forward<Args>(args)...);
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  int64_t numel = 1;
  uint64_t begin = 0, end = 0;
};

DType parse_dtype(const std::string& file, const std::string& tensor, const std::string& s) {
  for (const auto& d : kDTypes)
    if (s == d.name) return d.dtype;
  for (const char* u : kUnsupported)
    if (s == u) bad(file, "tensor '", tensor, "': unsupported dtype '", s, "' (csgis reads F32, F64, F16, BF16, I64)");
  bad(file, "tensor '", tensor, "': unknown dtype '", s, "'");
}

Entry parse_entry(const std::string& file, const std::string& name, const Json& v, uint64_t data_size) {
  if (!v.is_object()) bad(file, "entry for tensor '", name, "' is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!v.contains(key)) bad(file, "tensor '", name, "': missing \"", key, "\"");
  Entry e;
  e.name = name;
  const Json& dt = v["dtype"];
  if (!dt.is_string()) bad(file, "tensor '", name, "': \"dtype\" is not a string");
  e.dtype = parse_dtype(file, name, dt.get<std::string>());

  const Json& shape = v["shape"];
  if (!shape.is_array()) bad(file, "tensor '", name, "': \"shape\" is not an array");
  for (const Json& d : shape) {
    if (!d.is_number_integer()) bad(file, "tensor '", name, "': \"shape\" holds a non-integer ", d.dump());
    if (d.is_number_unsigned()) {
      if (d.get<uint64_t>() > uint64_t(INT64_MAX)) bad(file, "tensor '", name, "': dimension ", d.dump(), " too large");
    } else if (d.get<int64_t>() < 0) {
      bad(file, "tensor '", name, "': negative dimension ", d.dump(), " in shape");
    }
    e.shape.push_back(d.get<int64_t>());
    // Overflow here would let a huge shape masquerade as a small byte count.
    if (__builtin_mul_overflow(e.numel, e.shape.back(), &e.numel))
      bad(file, "tensor '", name, "': shape ", shape.dump(), " has too many elements");
  }

  const Json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_integer() || !off[1].is_number_integer())
    bad(file, "tensor '", name, "': \"data_offsets\" is not an array of two integers");
  if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    bad(file, "tensor '", name, "': negative data_offsets ", off.dump());
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.begin > e.end) bad(file, "tensor '", name, "': data_offsets ", off.dump(), " begin after end");
  if (e.end > data_size)
    bad(file, "tensor '", name, "': data_offsets ", off.dump(), " outside the file (data section is ", data_size,
        " bytes)");
  uint64_t need = 0;
  if (__builtin_mul_overflow(uint64_t(e.numel), uint64_t(dtype_size(e.dtype)), &need))
    bad(file, "tensor '", name, "': shape ", shape_str(e.shape), " has too many bytes");
  if (need != e.end - e.begin)
    bad(file, "tensor '", name, "': shape/size mismatch: shape ", shape_str(e.shape), " of ", dt.get<std::string>(),
        " needs ", need, " bytes but data_offsets span ", e.end - e.begin, " bytes");
  return e;
}

// nlohmann keeps the last of two equal keys without a word. A callback sees every key as it is
// parsed; one set of seen keys per open object catches duplicates at any depth.
struct DuplicateFinder {
  std::vector<std::set<std::string>> open;
  std::string duplicate;
  int duplicate_depth = 0;

  bool operator()(int depth, Json::parse_event_t ev, Json& parsed) {
    using E = Json::parse_event_t;
    if (ev == E::object_start) {
      open.emplace_back();
    } else if (ev == E::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (ev == E::key && !open.empty() && duplicate.empty()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!open.back().insert(k).second) {
        duplicate = k;
        duplicate_depth = depth;
      }
    }
    return true;
  }
};

// Copies the entry's bytes into a new CPU tensor, widening half types to float32.
Tensor make_tensor(const Entry& e, const uint8_t* src) {
  const bool half = e.dtype == DType::F16 || e.dtype == DType::BF16;
  Tensor t = Tensor::empty(e.shape, half ? DType::F32 : e.dtype, Device::cpu());
  if (e.numel == 0) return t;
  if (!half) {
    std::memcpy(t.raw_data(), src, size_t(e.end - e.begin));
    return t;
  }
  float* out = t.data<float>();
  for (int64_t i = 0; i < e.numel; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);  // file data need not be 2-byte aligned
    out[i] = e.dtype == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
  }
  return t;
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

SafetensorsFile parse_safetensors(const std::string& file, const uint8_t* bytes, size_t n) {
  if (n < 8) bad(file, "file is ", n, " bytes, too short for the 8-byte header length");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes, 8);
  if (header_len > kMaxHeaderBytes)
    bad(file, "not a safetensors file: its first 8 bytes give a header of ", header_len,
        " bytes (at most ", kMaxHeaderBytes, " expected)");
  if (header_len > n - 8)
    bad(file, "header length ", header_len, " exceeds the ", n - 8, " bytes that follow it");
  const char* hbeg = reinterpret_cast<const char*>(bytes + 8);
  const uint8_t* data = bytes + 8 + header_len;
  const uint64_t data_size = n - 8 - header_len;

  DuplicateFinder dups;
  Json header;
  try {
    header = Json::parse(hbeg, hbeg + header_len, std::ref(dups));
  } catch (const Json::exception& ex) {
    bad(file, "header is not valid JSON: ", plain_json_error(ex.what()));
  }
  if (!dups.duplicate.empty()) {
    if (dups.duplicate_depth == 1) bad(file, "duplicate tensor name '", dups.duplicate, "' in header");
    bad(file, "duplicate key '", dups.duplicate, "' in header");
  }
  if (!header.is_object()) bad(file, "header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) bad(file, "__metadata__ is not a JSON object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string()) bad(file, "__metadata__ value for '", k, "' is not a string: ", s.dump());
        out.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(file, name, v, data_size));
  }

  // The tensors must tile the data section exactly: overlaps would alias weights, gaps and
  // trailing bytes mean the header and data disagree (truncated or spliced files).
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < pos) bad(file, "tensors '", prev->name, "' and '", e.name, "' overlap in the data section");
    if (e.begin > pos) bad(file, "gap of ", e.begin - pos, " bytes before tensor '", e.name,
                               "' that belong to no tensor (an entry missing from the header, or an altered file)");
    pos = e.end;
    prev = &e;
  }
  if (pos != data_size) bad(file, "gap of ", data_size - pos,
                                 " bytes after the last tensor that belong to no tensor (an entry missing from the header, or "
                                 "an altered file)");

  out.tensors.reserve(entries.size());
  for (const Entry& e : entries) out.tensors.emplace_back(e.name, make_tensor(e, data + e.begin));
  return out;
}

SafetensorsFile load_safetensors(const std::string& path) {
  // One read of the whole file: checkpoints are tens of MB, and parsing from memory keeps every
  // bounds check in one place (parse_safetensors).
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) CSGIS_FAIL("cannot open safetensors file '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(f.get()), &st) != 0) CSGIS_FAIL("cannot stat '", path, "': ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) CSGIS_FAIL("safetensors '", path, "' is not a regular file");
  std::vector<uint8_t> bytes(size_t(st.st_size));
  if (!bytes.empty() && std::fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
    CSGIS_FAIL("cannot read '", path, "': ", std::ferror(f.get()) ? std::strerror(errno) : "file shrank while reading");
  return parse_safetensors(path, bytes.data(), bytes.size());
}

std::string safetensors_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  Json h = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    h["__metadata__"] = m;
  }
  uint64_t offset = 0;
  std::set<std::string> seen;
  for (const auto& [name, t] : tensors) {
    CSGIS_CHECK(name != "__metadata__", "save_safetensors: '__metadata__' is reserved, not a tensor name");
    CSGIS_CHECK(seen.insert(name).second, "save_safetensors: duplicate tensor name '", name, "'");
    CSGIS_CHECK(t.defined(), "save_safetensors: tensor '", name, "' is undefined");
    const uint64_t nbytes = t.nbytes();
    h[name] = {{"dtype", file_dtype_name(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string json;
  try {
    json = h.dump();  // strict: invalid UTF-8 in names or metadata throws instead of being written
  } catch (const Json::exception& ex) {
    CSGIS_FAIL("save_safetensors: tensor names and metadata must be valid UTF-8 (", ex.what(), ")");
  }
  // Pad with spaces (valid trailing JSON whitespace) so the data section starts 8-byte aligned,
  // letting readers that mmap the file use the data in place.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t len = json.size();
  std::memcpy(out.data(), &len, 8);
  return out + json;
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string header = safetensors_header(tensors, metadata);
  AtomicFileWriter w(path);
  w.write(header.data(), header.size());
  std::vector<char> buf;
  for (const auto& [name, t0] : tensors) {
    if (t0.numel() == 0) continue;
    // detach(): a copy for saving must not join the autograd graph.
    const Tensor t = t0.device().is_host_memory() ? t0 : t0.detach().to(Device::cpu());
    if (t.is_contiguous()) {
      w.write(t.raw_data(), t.nbytes());
      continue;
    }
    // Strided gather done bytewise here so it works for every dtype (the engine's strided copy
    // covers float types only). Walks all indices but the last with an odometer; the last
    // dimension is one memcpy when its stride is 1.
    const size_t es = dtype_size(t.dtype());
    const Shape& shape = t.shape();
    const Shape& strides = t.strides();
    const int64_t nd = t.dim(), last = shape[nd - 1], last_stride = strides[nd - 1];
    buf.resize(t.nbytes());
    const char* base = static_cast<const char*>(t.raw_data());
    char* dst = buf.data();
    std::vector<int64_t> idx(size_t(nd), 0);
    for (;;) {
      int64_t off = 0;
      for (int64_t d = 0; d + 1 < nd; ++d) off += idx[d] * strides[d];
      const char* src = base + off * int64_t(es);
      if (last_stride == 1) {
        std::memcpy(dst, src, size_t(last) * es);
        dst += size_t(last) * es;
      } else {
        for (int64_t i = 0; i < last; ++i, dst += es) std::memcpy(dst, src + i * last_stride * int64_t(es), es);
      }
      int64_t d = nd - 2;
      while (d >= 0 && ++idx[d] == shape[d]) idx[d--] = 0;
      if (d < 0) break;
    }
    w.write(buf.data(), buf.size());
  }
  w.commit();
}

}  // namespace csgis
