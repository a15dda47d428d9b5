// conv2d through cuDNN's legacy API (see conv2d_cudnn.h for the contract and the choices made).
// Descriptors are cheap host objects, so each call builds its own (RAII below); the algorithm
// choice is not cheap (the heuristic query), so the session keeps it per shape and pass.
#include "kernels/cuda/conv2d_cudnn.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <array>
#include <climits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

namespace csgis::cudnn {

namespace {

constexpr size_t kMaxWorkspace = size_t(1) << 30;

void check(cudnnStatus_t st, const char* what) {
  if (st != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("conv2d (cudnn): ") + what + " failed: " + cudnnGetErrorString(st));
}
void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("conv2d (cudnn): ") + what + " failed: " + cudaGetErrorString(err));
}

int to_int(int64_t v) {
  if (v > INT_MAX) throw std::invalid_argument("conv2d (cudnn): size " + std::to_string(v) + " exceeds int");
  return int(v);
}

enum class Pass { forward, backward_data, backward_filter };

// The chosen algorithm and its workspace for one shape and pass.
struct Choice {
  int algo = 0;
  size_t workspace = 0;
};

using ShapeKey = std::array<int64_t, 14>;
ShapeKey key_of(const Conv2dShape& s) {
  return {s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w, s.P};
}

}  // namespace

struct Session {
  cudnnHandle_t handle = nullptr;
  std::mutex mutex;  // one session may serve several host threads (a context shared between them)
  // Keyed by shape, pass and math mode: an algorithm ranked for FMA math may differ under TF32.
  std::map<std::tuple<ShapeKey, Pass, bool>, Choice> choices;
};

namespace {

Session& session_of(void* session) {
  if (!session) throw std::invalid_argument("conv2d (cudnn): null session");
  return *static_cast<Session*>(session);
}

// Every descriptor one conv2d call needs, for the shape `s`; handle bound to the stream.
struct Descs {
  cudnnHandle_t h;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  Descs(Session& session, const Conv2dShape& s, cudaStream_t stream, bool tensor_ops) : h(session.handle) {
    check(cudnnSetStream(h, stream), "cudnnSetStream");
    check(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(&b), "cudnnCreateTensorDescriptor");
    check(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    check(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
    check(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, to_int(s.N), to_int(s.C),
                                     to_int(s.H), to_int(s.W)),
          "cudnnSetTensor4dDescriptor(x)");
    check(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, to_int(s.N), to_int(s.K),
                                     to_int(s.P), to_int(s.Q)),
          "cudnnSetTensor4dDescriptor(y)");
    check(cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, to_int(s.K), 1, 1),
          "cudnnSetTensor4dDescriptor(bias)");
    check(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, to_int(s.K), to_int(s.C),
                                     to_int(s.R), to_int(s.S)),
          "cudnnSetFilter4dDescriptor");
    // Cross-correlation: the deep-learning "convolution", no kernel flip.
    check(cudnnSetConvolution2dDescriptor(conv, to_int(s.pad_h), to_int(s.pad_w), to_int(s.stride_h),
                                          to_int(s.stride_w), to_int(s.dil_h), to_int(s.dil_w),
                                          CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
          "cudnnSetConvolution2dDescriptor");
    check(cudnnSetConvolutionMathType(conv, tensor_ops ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH),
          "cudnnSetConvolutionMathType");
  }
  ~Descs() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(b);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  Descs(const Descs&) = delete;
  Descs& operator=(const Descs&) = delete;
};

// Stream-ordered workspace, released on scope exit (also when the cuDNN call throws).
struct Workspace {
  void* ptr = nullptr;
  size_t bytes = 0;
  cudaStream_t stream;
  Workspace(size_t n, cudaStream_t s) : bytes(n), stream(s) {
    if (n > 0) check(cudaMallocAsync(&ptr, n, s), "cudaMallocAsync(workspace)");
  }
  ~Workspace() {
    if (ptr) cudaFreeAsync(ptr, stream);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
};

// First supported algorithm of the heuristic ranking within the workspace cap, deterministic ones
// first when `want_deterministic`.
template <typename Perf>
Perf pick(const Perf* perf, int n, bool want_deterministic, const char* what) {
  for (int pass = want_deterministic ? 0 : 1; pass < 2; ++pass)
    for (int i = 0; i < n; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kMaxWorkspace &&
          (pass == 1 || perf[i].determinism == CUDNN_DETERMINISTIC))
        return perf[i];
  throw std::runtime_error(std::string("conv2d (cudnn): no usable algorithm for ") + what);
}

// The session's choice for (shape, pass), made once by `query` (the heuristic ranking and the
// workspace size) and kept.
template <typename Query>
Choice choose(Session& session, const Conv2dShape& s, Pass pass, bool tensor_ops, Query query) {
  const auto key = std::make_tuple(key_of(s), pass, tensor_ops);
  {
    std::lock_guard<std::mutex> lock(session.mutex);
    auto it = session.choices.find(key);
    if (it != session.choices.end()) return it->second;
  }
  const Choice c = query();
  std::lock_guard<std::mutex> lock(session.mutex);
  session.choices.emplace(key, c);
  return c;
}

}  // namespace

void* create_session(cudaStream_t stream) {
  auto* session = new Session;
  const cudnnStatus_t st = cudnnCreate(&session->handle);
  if (st != CUDNN_STATUS_SUCCESS) {
    delete session;
    check(st, "cudnnCreate");
  }
  cudnnSetStream(session->handle, stream);
  return session;
}

void destroy_session(void* session) noexcept {
  if (!session) return;
  auto* s = static_cast<Session*>(session);
  cudnnDestroy(s->handle);
  delete s;
}

size_t cached_choices(void* session) {
  Session& ss = session_of(session);
  std::lock_guard<std::mutex> lock(ss.mutex);
  return ss.choices.size();
}

void conv2d_forward(void* session, const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y, cudaStream_t stream, bool tensor_ops) {
  Session& ss = session_of(session);
  Descs d(ss, s, stream, tensor_ops);
  const Choice c = choose(ss, s, Pass::forward, tensor_ops, [&] {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n = 0;
    check(cudnnGetConvolutionForwardAlgorithm_v7(d.h, d.x, d.w, d.conv, d.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                 &n, perf),
          "cudnnGetConvolutionForwardAlgorithm_v7");
    Choice got{int(pick(perf, n, false, "forward").algo), 0};
    check(cudnnGetConvolutionForwardWorkspaceSize(d.h, d.x, d.w, d.conv, d.y, cudnnConvolutionFwdAlgo_t(got.algo),
                                                  &got.workspace),
          "cudnnGetConvolutionForwardWorkspaceSize");
    return got;
  });
  const auto algo = cudnnConvolutionFwdAlgo_t(c.algo);
  Workspace ws(c.workspace, stream);
  const float one = 1.f, zero = 0.f;
  check(cudnnConvolutionForward(d.h, &one, d.x, x, d.w, w, d.conv, algo, ws.ptr, ws.bytes, &zero, d.y, y),
        "cudnnConvolutionForward");
  if (bias) check(cudnnAddTensor(d.h, &one, d.b, bias, &one, d.y, y), "cudnnAddTensor(bias)");
}

void conv2d_backward_input(void* session, const Conv2dShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream, bool tensor_ops) {
  Session& ss = session_of(session);
  Descs d(ss, s, stream, tensor_ops);
  const Choice c = choose(ss, s, Pass::backward_data, tensor_ops, [&] {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int n = 0;
    check(cudnnGetConvolutionBackwardDataAlgorithm_v7(d.h, d.w, d.y, d.conv, d.x,
                                                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf),
          "cudnnGetConvolutionBackwardDataAlgorithm_v7");
    Choice got{int(pick(perf, n, true, "backward data").algo), 0};
    check(cudnnGetConvolutionBackwardDataWorkspaceSize(d.h, d.w, d.y, d.conv, d.x,
                                                       cudnnConvolutionBwdDataAlgo_t(got.algo), &got.workspace),
          "cudnnGetConvolutionBackwardDataWorkspaceSize");
    return got;
  });
  const auto algo = cudnnConvolutionBwdDataAlgo_t(c.algo);
  Workspace ws(c.workspace, stream);
  const float one = 1.f, zero = 0.f;
  check(cudnnConvolutionBackwardData(d.h, &one, d.w, w, d.y, dy, d.conv, algo, ws.ptr, ws.bytes, &zero, d.x,
                                     dx),
        "cudnnConvolutionBackwardData");
}

void conv2d_backward_weight(void* session, const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            cudaStream_t stream, bool tensor_ops) {
  Session& ss = session_of(session);
  Descs d(ss, s, stream, tensor_ops);
  const Choice c = choose(ss, s, Pass::backward_filter, tensor_ops, [&] {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int n = 0;
    check(cudnnGetConvolutionBackwardFilterAlgorithm_v7(d.h, d.x, d.y, d.conv, d.w,
                                                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, perf),
          "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
    Choice got{int(pick(perf, n, true, "backward filter").algo), 0};
    check(cudnnGetConvolutionBackwardFilterWorkspaceSize(d.h, d.x, d.y, d.conv, d.w,
                                                         cudnnConvolutionBwdFilterAlgo_t(got.algo), &got.workspace),
          "cudnnGetConvolutionBackwardFilterWorkspaceSize");
    return got;
  });
  const auto algo = cudnnConvolutionBwdFilterAlgo_t(c.algo);
  Workspace ws(c.workspace, stream);
  const float one = 1.f, zero = 0.f;
  check(cudnnConvolutionBackwardFilter(d.h, &one, d.x, x, d.y, dy, d.conv, algo, ws.ptr, ws.bytes, &zero,
                                       d.w, dw),
        "cudnnConvolutionBackwardFilter");
}

void conv2d_backward_bias(void* session, const Conv2dShape& s, const float* dy, float* db, cudaStream_t stream) {
  Descs d(session_of(session), s, stream, false);
  const float one = 1.f, zero = 0.f;
  check(cudnnConvolutionBackwardBias(d.h, &one, d.y, dy, &zero, d.b, db), "cudnnConvolutionBackwardBias");
}

}  // namespace csgis::cudnn
