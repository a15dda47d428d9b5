// The C API (include/csgis/c_api.h), driven from a C translation unit (c_api_selftest.c), and its
// result checked against the C++ path it wraps.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "csgis/c_api.h"
#include "engine/tensor.h"
#include "models/jess.h"

extern "C" int csgis_c_api_selftest(const char* weights, char* report, size_t report_size);

namespace {
std::string fixture_weights() { return std::string(CSGIS_TEST_FIXTURES) + "/models/fixtures/jess_small.safetensors"; }
}  // namespace

TEST_CASE("c api: a C program creates, uses, misuses and destroys contexts and models", "[unit]") {
  char report[512];
  const int rc = csgis_c_api_selftest(fixture_weights().c_str(), report, sizeof report);
  INFO(report);
  CHECK(rc == 0);
}

TEST_CASE("c api: csgis_smooth_rgb8 writes what the C++ models::jess_smooth computes", "[unit]") {
  const int W = 23, H = 17;
  std::vector<uint8_t> in(size_t(W * H * 3)), out(in.size());
  for (size_t i = 0; i < in.size(); ++i) in[i] = uint8_t((i * 53 + 11) % 251);
  csgis_context* ctx = nullptr;
  csgis_model* model = nullptr;
  REQUIRE(csgis_context_create("cpu", &ctx) == CSGIS_OK);
  REQUIRE(csgis_model_load(ctx, fixture_weights().c_str(), &model) == CSGIS_OK);
  REQUIRE(csgis_smooth_rgb8(ctx, model, in.data(), W, H, size_t(W) * 3, out.data(), size_t(W) * 3) == CSGIS_OK);
  csgis_context_destroy(ctx);

  auto net = csgis::models::load_jess(fixture_weights());
  std::vector<float> planes(in.size());
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) planes[size_t((c * H + y) * W + x)] = float(in[size_t((y * W + x) * 3 + c)]) / 255.f;
  const std::vector<uint8_t> want = csgis::models::jess_to_uint8(csgis::models::jess_smooth(
      *net, csgis::Tensor::from_vector(planes, {1, 3, H, W}), csgis::models::ChannelOrder::RGB));
  REQUIRE(want.size() == out.size());
  int worst = 0;
  for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::abs(int(out[i]) - int(want[i])));
  CHECK(worst <= 1);  // BatchNorm folded in the C API: float rounding may flip one truncation
}
