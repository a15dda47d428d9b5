// kernels/simt/simt_memory.cpp — the emulated device's memory checks (see simt_checks.h).
//
// A GPU gives a fresh allocation whatever the last owner left there, and an access a little past an
// allocation usually lands in another allocation of the same pool without a fault. Both bugs are
// silent on hardware and would be silent here too with plain host memory, so every tracked
// allocation is filled with 0xFF bytes (NaN as float, -1 as int) when handed out and sits between
// two guard zones whose bytes are verified after every launch and when it is freed.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "kernels/simt/simt_internal.h"

namespace simt {
namespace {

unsigned char guard_byte(std::size_t i) { return static_cast<unsigned char>(0x5Au ^ (i * 37u)); }

struct Tracked {
  std::size_t bytes;  // what the caller asked for; the guards start right after it
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<const unsigned char*, Tracked>& registry() {  // user pointer -> allocation
  static std::map<const unsigned char*, Tracked> r;
  return r;
}

// The first damaged guard byte of an allocation, as a message ("" when intact).
std::string damage(const unsigned char* user, std::size_t bytes) {
  for (std::size_t i = 0; i < kDeviceGuardBytes; ++i) {
    if (user[bytes + i] != guard_byte(i))
      return "byte " + std::to_string(i) + " past the end of a device allocation of " + std::to_string(bytes) +
             " bytes was overwritten";
    if (*(user - 1 - i) != guard_byte(i))
      return "byte " + std::to_string(i + 1) + " before the start of a device allocation of " +
             std::to_string(bytes) + " bytes was overwritten";
  }
  return "";
}

}  // namespace

void* track_device_allocation(void* block, std::size_t bytes) {
  unsigned char* user = static_cast<unsigned char*>(block) + kDeviceGuardBytes;
  for (std::size_t i = 0; i < kDeviceGuardBytes; ++i) user[bytes + i] = *(user - 1 - i) = guard_byte(i);
  std::memset(user, kFreshDeviceByte, bytes);
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[user] = Tracked{bytes};
  return user;
}

void* untrack_device_allocation(void* user_ptr) {
  unsigned char* user = static_cast<unsigned char*>(user_ptr);
  std::size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(user);
    if (it == registry().end()) throw Error("simt: freeing device memory that is not a tracked allocation");
    bytes = it->second.bytes;
    registry().erase(it);
  }
  const std::string bad = damage(user, bytes);
  // A destructor frees most memory: report on stderr rather than throw through it.
  if (!bad.empty()) std::fprintf(stderr, "simt: at free: %s (a kernel or copy wrote outside it)\n", bad.c_str());
  return user - kDeviceGuardBytes;
}

std::size_t tracked_device_allocations() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  return registry().size();
}

namespace detail {
std::string repair_device_memory() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::string found;
  for (const auto& [user, t] : registry()) {
    const std::string bad = damage(user, t.bytes);
    if (bad.empty()) continue;
    if (found.empty())
      found = bad + " (allocation at " + std::to_string(reinterpret_cast<std::uintptr_t>(user)) + ")";
    // Repaired once reported, so that later launches are not blamed for this one.
    unsigned char* u = const_cast<unsigned char*>(user);
    for (std::size_t i = 0; i < kDeviceGuardBytes; ++i) u[t.bytes + i] = *(u - 1 - i) = guard_byte(i);
  }
  return found;
}

void check_device_memory(const LaunchDesc& desc) {
  const std::string bad = repair_device_memory();
  if (!bad.empty()) throw Error(describe_launch(desc) + ": " + bad, cudaErrorIllegalAddress);
}
}  // namespace detail

}  // namespace simt
