// The C interface (include/csgis/c_api.h) over the engine and JESS. Handles are registered in
// process-wide sets (one per kind), so that a call with a destroyed handle, or a handle of the
// other kind, is an error code, not undefined behaviour; those sets are the only state of this
// file besides the per-thread error message.

#include "csgis/c_api.h"

#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/error.h"
#include "models/jess.h"

struct csgis_context {
  csgis::Device device;
  std::unique_ptr<csgis::Context> engine;
  std::set<csgis_model*> models;
};

struct csgis_model {
  csgis_context* owner;
  std::unique_ptr<csgis::models::Jess> net;
};

namespace {

thread_local std::string tls_error;
std::mutex g_handles_mutex;
// Every context and model not yet destroyed, one set per kind: a model's freed address that a new
// context reuses must not pass as a live model (nor the other way round).
std::set<const csgis_context*> g_live_contexts;
std::set<const csgis_model*> g_live_models;

std::set<const csgis_context*>& handles_of(const csgis_context*) { return g_live_contexts; }
std::set<const csgis_model*>& handles_of(const csgis_model*) { return g_live_models; }

csgis_status fail(csgis_status status, const std::string& message) {
  tls_error = message;
  return status;
}

template <typename Handle>
bool live(const Handle* handle) {
  std::lock_guard<std::mutex> lock(g_handles_mutex);
  return handle && handles_of(handle).count(handle);
}
template <typename Handle>
void add_handle(const Handle* h) {
  std::lock_guard<std::mutex> lock(g_handles_mutex);
  handles_of(h).insert(h);
}
template <typename Handle>
void drop_handle(const Handle* h) {
  std::lock_guard<std::mutex> lock(g_handles_mutex);
  handles_of(h).erase(h);
}

// Runs `body`, turning every exception into CSGIS_FAILED with its message.
template <typename F>
csgis_status guarded(const char* fn, F&& body) {
  try {
    tls_error.clear();
    return body();
  } catch (const std::exception& e) {
    return fail(CSGIS_FAILED, std::string(fn) + ": " + e.what());
  } catch (...) {
    return fail(CSGIS_FAILED, std::string(fn) + ": unknown error");
  }
}

}  // namespace

extern "C" {

const char* csgis_version(void) { return CSGIS_VERSION_STRING; }

const char* csgis_last_error(void) { return tls_error.c_str(); }

csgis_status csgis_context_create(const char* device, csgis_context** out) {
  if (!out) return fail(CSGIS_INVALID_ARGUMENT, "csgis_context_create: `out` is null");
  *out = nullptr;
  if (!device) return fail(CSGIS_INVALID_ARGUMENT, "csgis_context_create: `device` is null (expected \"cpu\", \"simt\" or \"cuda:N\")");
  csgis::Device dev;
  try {
    dev = csgis::Device::parse(device);
  } catch (const std::exception&) {
    return fail(CSGIS_INVALID_ARGUMENT, std::string("csgis_context_create: device '") + device +
                                            "': expected \"cpu\", \"simt\", \"cuda\" or \"cuda:N\"");
  }
  return guarded("csgis_context_create", [&] {
    auto ctx = std::make_unique<csgis_context>();
    ctx->device = dev;
    ctx->engine = std::make_unique<csgis::Context>(dev.is_cuda() ? dev.index : 0);
    *out = ctx.release();
    add_handle(*out);
    return CSGIS_OK;
  });
}

csgis_status csgis_context_destroy(csgis_context* ctx) {
  if (!ctx) return CSGIS_OK;
  if (!live(ctx)) return fail(CSGIS_INVALID_HANDLE, "csgis_context_destroy: the context was already destroyed or never created");
  for (csgis_model* m : ctx->models) {
    drop_handle(m);
    delete m;
  }
  drop_handle(ctx);
  delete ctx;
  return CSGIS_OK;
}

csgis_status csgis_model_load(csgis_context* ctx, const char* path, csgis_model** out) {
  if (!out) return fail(CSGIS_INVALID_ARGUMENT, "csgis_model_load: `out` is null");
  *out = nullptr;
  if (!live(ctx)) return fail(CSGIS_INVALID_HANDLE, "csgis_model_load: the context was destroyed or never created");
  if (!path) return fail(CSGIS_INVALID_ARGUMENT, "csgis_model_load: `path` is null");
  return guarded("csgis_model_load", [&] {
    csgis::ContextGuard use(*ctx->engine);
    auto model = std::make_unique<csgis_model>();
    model->owner = ctx;
    model->net = csgis::models::load_jess(path);
    const csgis::models::JessConfig& c = model->net->config();
    if (c.in_c != 3 || c.out_c != 3)
      return fail(CSGIS_FAILED, std::string("csgis_model_load: weights '") + path + "' map " + std::to_string(c.in_c) +
                                    " channels to " + std::to_string(c.out_c) + "; smoothing RGB needs 3 -> 3");
    model->net->to(ctx->device);
    csgis::models::fold_batchnorm(*model->net);
    *out = model.release();
    ctx->models.insert(*out);
    add_handle(*out);
    return CSGIS_OK;
  });
}

csgis_status csgis_model_destroy(csgis_model* model) {
  if (!model) return CSGIS_OK;
  if (!live(model)) return fail(CSGIS_INVALID_HANDLE, "csgis_model_destroy: the model was already destroyed or never loaded");
  model->owner->models.erase(model);
  drop_handle(model);
  delete model;
  return CSGIS_OK;
}

csgis_status csgis_smooth_rgb8(csgis_context* ctx, csgis_model* model, const uint8_t* in, int width, int height,
                               size_t in_stride, uint8_t* out, size_t out_stride) {
  if (!live(ctx)) return fail(CSGIS_INVALID_HANDLE, "csgis_smooth_rgb8: the context was destroyed or never created");
  if (!live(model)) return fail(CSGIS_INVALID_HANDLE, "csgis_smooth_rgb8: the model was destroyed or never loaded");
  if (model->owner != ctx) return fail(CSGIS_INVALID_ARGUMENT, "csgis_smooth_rgb8: the model belongs to another context");
  if (!in || !out) return fail(CSGIS_INVALID_ARGUMENT, std::string("csgis_smooth_rgb8: `") + (in ? "out" : "in") + "` is null");
  if (width <= 0 || height <= 0)
    return fail(CSGIS_INVALID_ARGUMENT, "csgis_smooth_rgb8: width and height must be positive, got " +
                                            std::to_string(width) + " x " + std::to_string(height));
  if (in_stride < size_t(width) * 3 || out_stride < size_t(width) * 3)
    return fail(CSGIS_INVALID_ARGUMENT, "csgis_smooth_rgb8: a stride is below width * 3 = " + std::to_string(size_t(width) * 3) +
                                            " bytes (in " + std::to_string(in_stride) + ", out " + std::to_string(out_stride) + ")");
  return guarded("csgis_smooth_rgb8", [&] {
    csgis::ContextGuard use(*ctx->engine);
    const size_t W = size_t(width), H = size_t(height), plane = W * H;
    std::vector<float> planes(3 * plane);
    for (size_t y = 0; y < H; ++y)
      for (size_t x = 0; x < W; ++x)
        for (size_t c = 0; c < 3; ++c) planes[c * plane + y * W + x] = float(in[y * in_stride + x * 3 + c]) / 255.f;
    const csgis::Tensor image = csgis::Tensor::from_vector(planes, {1, 3, int64_t(H), int64_t(W)});
    const csgis::Tensor s1 = csgis::models::jess_smooth(*model->net, image, csgis::models::ChannelOrder::RGB);
    for (float v : s1.to_vector<float>())
      if (!std::isfinite(v)) return fail(CSGIS_FAILED, "csgis_smooth_rgb8: the network's output is not finite (damaged weights?)");
    const std::vector<uint8_t> bytes = csgis::models::jess_to_uint8(s1);  // [H][W][3]
    for (size_t y = 0; y < H; ++y)
      std::copy(bytes.begin() + std::ptrdiff_t(y * W * 3), bytes.begin() + std::ptrdiff_t((y + 1) * W * 3), out + y * out_stride);
    return CSGIS_OK;
  });
}

}  // extern "C"
