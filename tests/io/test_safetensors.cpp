// safetensors read/write, half-precision conversion and atomic file replacement.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "engine/io/atomic_file.h"
#include "engine/io/half.h"
#include "engine/io/safetensors.h"

using namespace csgis;
using Catch::Contains;

namespace {

// A fresh directory per test so parallel runs (ctest labels) never collide.
std::string temp_dir() {
  char tmpl[] = "/tmp/csgis_io_test_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) out.push_back(e->d_name);
  ::closedir(d);
  return out;
}

void remove_dir(const std::string& dir) {
  for (const auto& e : dir_entries(dir)) ::unlink((dir + "/" + e).c_str());
  ::rmdir(dir.c_str());
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_all(const std::string& path, const std::string& s) {
  std::ofstream f(path, std::ios::binary);
  f << s;
}

// A safetensors image: little-endian length prefix (`header_len` overrides it), header, data.
std::vector<uint8_t> image(const std::string& header, const std::vector<uint8_t>& data = {},
                           uint64_t header_len = UINT64_MAX) {
  const uint64_t n = header_len == UINT64_MAX ? header.size() : header_len;
  std::vector<uint8_t> b(8);
  for (int i = 0; i < 8; ++i) b[i] = uint8_t(n >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

SafetensorsFile parse(const std::vector<uint8_t>& b) { return parse_safetensors("bad.safetensors", b.data(), b.size()); }

std::vector<uint8_t> u16_bytes(const std::vector<uint16_t>& v) {
  std::vector<uint8_t> b;
  for (uint16_t x : v) {
    b.push_back(uint8_t(x & 0xff));
    b.push_back(uint8_t(x >> 8));
  }
  return b;
}

std::vector<int64_t> i64_values(const Tensor& t) {
  Tensor c = t.contiguous();
  const int64_t* p = c.data<int64_t>();
  return std::vector<int64_t>(p, p + c.numel());
}

bool is_f16_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

}  // namespace

TEST_CASE("safetensors: round trip of mixed tensors and metadata", "[unit]") {
  const std::string dir = temp_dir(), path = dir + "/model.safetensors";
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<double>{0.1, -0.2, 1e300}, {3});
  Tensor ids = Tensor::empty({2, 2}, DType::I64);
  for (int i = 0; i < 4; ++i) ids.data<int64_t>()[i] = int64_t(1) << (20 * i);
  ids.data<int64_t>()[3] = -7;
  Tensor base = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  Tensor transposed = base.transpose(0, 1);  // last-dim stride 4
  Tensor sliced = base.slice(1, 1, 3);       // rows of 2 with stride 1, row stride 4
  Tensor strided_i64 = ids.transpose(0, 1);
  Tensor scalar = Tensor::full({}, 42.5);
  Tensor empty = Tensor::empty({0, 3});
  REQUIRE_FALSE(transposed.is_contiguous());
  REQUIRE_FALSE(sliced.is_contiguous());

  std::vector<std::pair<std::string, Tensor>> in = {
      {"a", a},         {"b", b},           {"ids", ids},         {"transposed", transposed},
      {"sliced", sliced}, {"scalar", scalar}, {"empty", empty}, {"ids_t", strided_i64}};
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "h\u00e9llo \"quoted\""}};
  save_safetensors(path, in, meta);
  CHECK(dir_entries(dir) == std::vector<std::string>{"model.safetensors"});  // no temp left

  // Header padded so the data section is 8-byte aligned.
  const std::string raw = read_all(path);
  uint64_t hlen = 0;
  std::memcpy(&hlen, raw.data(), 8);
  CHECK(hlen % 8 == 0);
  CHECK(raw.size() == 8 + hlen + (6 + 12 + 6 + 1) * 4 + 3 * 8 + 2 * 4 * 8);  // f32s, f64s, i64s

  SafetensorsFile f = load_safetensors(path);
  CHECK(f.metadata == meta);
  REQUIRE(f.tensors.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    INFO(in[i].first);
    CHECK(f.tensors[i].first == in[i].first);  // file order == save order
    const Tensor& t = f.tensors[i].second;
    CHECK(t.shape() == in[i].second.shape());
    CHECK(t.dtype() == in[i].second.dtype());
    CHECK(t.device() == Device::cpu());
    CHECK(t.is_contiguous());
    if (t.dtype() == DType::I64)
      CHECK(i64_values(t) == i64_values(in[i].second));
    else if (t.dtype() == DType::F64)
      CHECK(t.to_vector<double>() == in[i].second.to_vector<double>());
    else
      CHECK(t.to_vector<float>() == in[i].second.to_vector<float>());
  }
  CHECK(f.find("scalar")->item() == 42.5);
  CHECK(f.find("missing") == nullptr);
  CHECK(i64_values(*f.find("ids_t")) == std::vector<int64_t>{1, int64_t(1) << 40, 1 << 20, -7});

  // Saving again replaces the file atomically; no metadata means no __metadata__ key.
  save_safetensors(path, {{"only", a}});
  SafetensorsFile g = load_safetensors(path);
  CHECK(g.tensors.size() == 1);
  CHECK(g.metadata.empty());
  CHECK(read_all(path).find("__metadata__") == std::string::npos);
  remove_dir(dir);
}

TEST_CASE("safetensors: tensors on the SIMT device are saved through the host", "[unit]") {
  const std::string dir = temp_dir(), path = dir + "/simt.safetensors";
  Tensor t = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, Device::simt());
  save_safetensors(path, {{"w", t}, {"wt", t.transpose(0, 1)}});
  SafetensorsFile f = load_safetensors(path);
  CHECK(f.find("w")->to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(f.find("wt")->to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
  remove_dir(dir);
}

TEST_CASE("safetensors: save refuses bad names and tensors", "[unit]") {
  const std::string dir = temp_dir(), path = dir + "/x.safetensors";
  Tensor a = Tensor::zeros({2});
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"a", a}, {"a", a}}), Contains("duplicate tensor name 'a'"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"__metadata__", a}}), Contains("reserved"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"u", Tensor()}}), Contains("undefined"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"bad\xff", a}}), Contains("UTF-8"));
  CHECK(dir_entries(dir).empty());
  remove_dir(dir);
}

TEST_CASE("safetensors: F16 and BF16 files are widened to float32", "[unit]") {
  const float inf = std::numeric_limits<float>::infinity();
  // f16: 1.0, -2.5, 65504 (max), 2^-24 (smallest subnormal), 1023*2^-24 (largest subnormal),
  // inf, -inf, NaN, -0.
  const auto f16 = u16_bytes({0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x8000});
  // bf16: 1.0, -2.5, largest finite, 2^-133 (smallest subnormal), inf, NaN.
  const auto bf16 = u16_bytes({0x3f80, 0xc020, 0x7f7f, 0x0001, 0x7f80, 0x7fc0});
  std::vector<uint8_t> data = f16;
  data.insert(data.end(), bf16.begin(), bf16.end());
  const auto f = parse(image(R"({"h":{"dtype":"F16","shape":[3,3],"data_offsets":[0,18]},)"
                             R"("b":{"dtype":"BF16","shape":[6],"data_offsets":[18,30]}})",
                             data));
  REQUIRE(f.tensors.size() == 2);
  CHECK(f.tensors[0].first == "h");
  const Tensor& h = *f.find("h");
  CHECK(h.dtype() == DType::F32);
  CHECK(h.shape() == Shape{3, 3});
  const auto hv = h.to_vector<float>();
  CHECK(hv[0] == 1.0f);
  CHECK(hv[1] == -2.5f);
  CHECK(hv[2] == 65504.0f);
  CHECK(hv[3] == std::ldexp(1.0f, -24));
  CHECK(hv[4] == std::ldexp(1023.0f, -24));
  CHECK(hv[5] == inf);
  CHECK(hv[6] == -inf);
  CHECK(std::isnan(hv[7]));
  CHECK((hv[8] == 0.0f && std::signbit(hv[8])));
  const auto bv = f.find("b")->to_vector<float>();
  CHECK(bv[0] == 1.0f);
  CHECK(bv[1] == -2.5f);
  CHECK(bv[2] == std::ldexp(255.0f, 120));  // (2 - 2^-7) * 2^127
  CHECK(bv[3] == std::ldexp(1.0f, -133));
  CHECK(bv[4] == inf);
  CHECK(std::isnan(bv[5]));
}

TEST_CASE("half: f16 and bf16 conversions are exact and round to nearest even", "[unit]") {
  // Every f16 is exactly representable in f32, so widening then narrowing must be the identity.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(uint16_t(h));
    const uint16_t back = f32_to_f16(f);
    if (is_f16_nan(uint16_t(h))) {
      REQUIRE(std::isnan(f));
      REQUIRE(is_f16_nan(back));
      REQUIRE((back & 0x8000) == (h & 0x8000));
    } else {
      REQUIRE(back == h);
    }
    const float b = bf16_to_f32(uint16_t(h));
    if (std::isnan(b))
      REQUIRE(std::isnan(bf16_to_f32(f32_to_bf16(b))));
    else
      REQUIRE(f32_to_bf16(b) == h);
  }
  // Monotone: consecutive positive f16 patterns widen to strictly increasing floats.
  for (uint16_t h = 1; h < 0x7c00; ++h) REQUIRE(f16_to_f32(h) > f16_to_f32(uint16_t(h - 1)));

  // Rounding edges, f16.
  CHECK(f32_to_f16(65519.0f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);  // tie with an odd mantissa -> up, to infinity
  CHECK(f32_to_f16(-1e10f) == 0xfc00);
  CHECK(f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);          // tie between 0 and 2^-24 -> even
  CHECK(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
  CHECK(f32_to_f16(std::ldexp(3.0f, -25)) == 0x0002);          // 1.5 * 2^-24 -> even (2)
  CHECK(f32_to_f16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)) == 0x0400);  // rounds up to min normal
  CHECK(f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);   // tie -> even
  CHECK(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  CHECK(f32_to_f16(std::ldexp(1.0f, -140)) == 0x0000);
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  // Rounding edges, bf16.
  CHECK(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);    // tie -> even
  CHECK(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
  CHECK(f32_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));

#ifdef __FLT16_MAX__
  // Cross-check the narrowing against the compiler's own _Float16 on a sweep of float patterns.
  for (uint64_t u = 0; u <= 0xffffffffu; u += 4099) {
    const float f = f32_from_bits(uint32_t(u));
    const _Float16 ref = _Float16(f);
    uint16_t rb;
    std::memcpy(&rb, &ref, 2);
    const uint16_t got = f32_to_f16(f);
    if (std::isnan(f))
      REQUIRE(is_f16_nan(got));
    else
      REQUIRE(got == rb);
  }
#endif
}

TEST_CASE("safetensors: malformed files are refused with a reason", "[unit]") {
  auto refuse = [](const std::vector<uint8_t>& b, const std::string& phrase) {
    INFO(std::string(b.begin() + std::min<size_t>(8, b.size()), b.end()));
    REQUIRE_THROWS_WITH(parse(b), Contains(phrase) && Contains("bad.safetensors"));
  };
  const std::vector<uint8_t> d8(8, 0);
  auto one = [](const std::string& entry) { return R"({"t":)" + entry + "}"; };

  refuse({1, 2, 3}, "too short");
  refuse(image("{}", {}, 1000), "header length");
  refuse(image("{}", {}, uint64_t(1) << 40), "not a safetensors file");
  refuse(image("{\"t\": ", {}), "not valid JSON");
  refuse(image("{\"t\xff\": 1}"), "not valid JSON");  // invalid UTF-8
  refuse(image("[1, 2]"), "not a JSON object");
  refuse(image(one("3")), "entry for tensor 't' is not a JSON object");
  refuse(image(one(R"({"shape":[2],"data_offsets":[0,8]})"), d8), "missing \"dtype\"");
  refuse(image(one(R"({"dtype":"F32","data_offsets":[0,8]})"), d8), "missing \"shape\"");
  refuse(image(one(R"({"dtype":"F32","shape":[2]})"), d8), "missing \"data_offsets\"");
  refuse(image(one(R"({"dtype":7,"shape":[2],"data_offsets":[0,8]})"), d8), "\"dtype\" is not a string");
  refuse(image(one(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"), d8), "\"shape\" is not an array");
  refuse(image(one(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"), d8), "non-integer");
  refuse(image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"), d8), "two integers");
  refuse(image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,"8"]})"), d8), "two integers");
  refuse(image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"), d8), "negative data_offsets");
  refuse(image(one(R"({"dtype":"F33","shape":[2],"data_offsets":[0,8]})"), d8), "unknown dtype 'F33'");
  refuse(image(one(R"({"dtype":"I32","shape":[2],"data_offsets":[0,8]})"), d8), "unsupported dtype 'I32'");
  refuse(image(one(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), d8), "negative dimension");
  refuse(image(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), d8), "begin after end");
  refuse(image(one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), d8), "outside the file");
  refuse(image(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), d8), "shape/size mismatch");
  refuse(image(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), d8), "needs 12 bytes but data_offsets span 8");
  refuse(image(one(R"({"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]})"), d8),
         "too many");
  refuse(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8),
         "overlap");
  refuse(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", std::vector<uint8_t>(12)),
         "gap of 4");
  refuse(image(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), d8), "after the last tensor");
  refuse(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
               R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d8),
         "duplicate tensor name 'a'");
  refuse(image(one(R"({"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]})"), d8),
         "duplicate key 'dtype'");
  refuse(image(R"({"__metadata__":{"k":1}})"), "value for 'k' is not a string");
  refuse(image(R"({"__metadata__":"x"})"), "__metadata__ is not a JSON object");

  // Accepted edge cases: empty header object, trailing-space padding, empty tensors at one offset.
  CHECK(parse(image("{}   ")).tensors.empty());
  const auto ok = parse(image(R"({"z":{"dtype":"F64","shape":[0],"data_offsets":[0,0]},)"
                              R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("__metadata__":{"k":"v"}})", d8));
  REQUIRE(ok.tensors.size() == 2);
  CHECK(ok.tensors[0].first == "z");
  CHECK(ok.metadata.at("k") == "v");

  REQUIRE_THROWS_WITH(load_safetensors("/nonexistent/dir/m.safetensors"), Contains("/nonexistent/dir/m.safetensors"));
}

TEST_CASE("atomic_file: replaces whole files and never leaves debris", "[unit]") {
  const std::string dir = temp_dir(), path = dir + "/target.bin";
  write_file_atomic(path, "first", 5);
  CHECK(read_all(path) == "first");
  write_file_atomic(path, "second!", 7);
  CHECK(read_all(path) == "second!");
  CHECK(dir_entries(dir) == std::vector<std::string>{"target.bin"});

  SECTION("streaming writer commits the concatenation") {
    AtomicFileWriter w(path);
    CHECK(w.temp_path().find(path + ".tmp.") == 0);
    w.write("ab", 2);
    w.write("", 0);
    w.write("cd", 2);
    CHECK(read_all(path) == "second!");  // target untouched until commit
    w.commit();
    CHECK(read_all(path) == "abcd");
    CHECK(w.bytes_written() == 4);
  }
  SECTION("abandoned writer (e.g. exception mid-write) leaves the target as it was") {
    {
      AtomicFileWriter w(path);
      w.write("partial", 7);
    }
    CHECK(read_all(path) == "second!");
  }
  SECTION("failure into a missing directory throws naming the path") {
    const std::string bad = dir + "/no/such/dir/file.bin";
    REQUIRE_THROWS_WITH(write_file_atomic(bad, "x", 1), Contains(bad) && Contains("No such file"));
    REQUIRE_THROWS_WITH(save_safetensors(bad, {{"a", Tensor::zeros({1})}}), Contains(bad));
  }
  SECTION("failing rename (target is a directory) removes the temporary") {
    const std::string sub = dir + "/sub";
    REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
    REQUIRE_THROWS_WITH(write_file_atomic(sub, "x", 1), Contains("rename"));
    ::rmdir(sub.c_str());
  }
  SECTION("a save that fails validation leaves the old file") {
    write_all(path, "old");
    REQUIRE_THROWS(save_safetensors(path, {{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}}));
    CHECK(read_all(path) == "old");
  }
  CHECK(dir_entries(dir) == std::vector<std::string>{"target.bin"});
  remove_dir(dir);
}
