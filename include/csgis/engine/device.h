// Where a tensor's memory lives and which kernels run on it.
//   CPU  : host memory, kernels/cpu (OpenMP + OpenBLAS).
//   CUDA : device memory from the caching allocator, kernels/cuda compiled by nvcc.
//   SIMT : host memory, kernels/cuda compiled by the host compiler against kernels/simt/simt.h.
//          A test device: it runs the exact CUDA sources on machines without a GPU.
#pragma once
#include <string>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

// Same declaration as CUDA's driver_types.h, so engine headers need no CUDA include.
typedef struct CUstream_st* cudaStream_t;

namespace csgis {

enum class DeviceType : unsigned char { CPU, CUDA, SIMT };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  static Device simt() { return {DeviceType::SIMT, 0}; }
  static Device parse(const std::string& s);  // "cpu", "cuda", "cuda:1", "simt"

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool is_simt() const { return type == DeviceType::SIMT; }
  // Memory the host can dereference directly.
  bool is_host_memory() const { return type != DeviceType::CUDA; }
  // Runs kernels/cuda sources (for real or emulated).
  bool runs_cuda_kernels() const { return type != DeviceType::CPU; }
  std::string str() const;

  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// True when the engine was built with CUDA and a device is visible at run time.
bool cuda_available();
int cuda_device_count();

}  // namespace csgis
#pragma GCC visibility pop
