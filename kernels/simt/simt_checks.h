// kernels/simt/simt_checks.h — what the emulator does to catch what a GPU would punish: device memory
// that starts as NaN inside guard zones (simt_memory.cpp) and shuffled schedules (simt_runtime.cpp).
// A header of its own, without simt.h's CUDA shim, so engine code and tests can include it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace simt {

// The engine's SIMT device allocates through these: `block` has bytes + 2 * kDeviceGuardBytes bytes;
// the returned pointer is kDeviceGuardBytes into it. The allocation is filled with kFreshDeviceByte
// (NaN as float: a kernel that reads memory nobody wrote sees NaN, not the zeros a fresh host page
// happens to hold), and the guard zones on both sides are verified after every launch (a damaged one
// fails that launch, naming the kernel; a launch that failed otherwise names it too) and at untrack
// (reported on stderr: frees run in destructors). Every live allocation is checked, from every host
// thread: with two host threads launching at once, damage done by one thread's kernel may be
// reported by the other's launch. Copies (cudaMemcpy) are not checked themselves; the next launch is.
constexpr std::size_t kDeviceGuardBytes = 256;
constexpr unsigned char kFreshDeviceByte = 0xFF;
void* track_device_allocation(void* block, std::size_t bytes);  // returns the user pointer
void* untrack_device_allocation(void* user);                     // returns the block to free
std::size_t tracked_device_allocations();

// ---- Schedules ----
// 0 (the default, or CSGIS_SIMT_SCHEDULE unset): blocks run in linear order and the threads of a
// block in thread order. A seed shuffles both: the order of the blocks of every launch, the order in
// which a block's threads run up to their first barrier, and the order of the fibers in every
// barrier interval after it. A race-free kernel gives the same bits under every seed; one that
// depends on an order the hardware does not promise gives different results (the parity tests run
// twice, under two seeds, and compare). Each launch of a host thread draws its own orders from the
// seed and the launch's index, so a program run with the same seed replays the same schedules. Per
// host thread: set_schedule_seed overrides the environment (0: fixed order) and restarts the launch
// count, reset_schedule_seed returns to the environment. A CSGIS_SIMT_SCHEDULE that is not a
// non-negative integer fails the launch.
void set_schedule_seed(std::uint64_t seed);
void reset_schedule_seed();
std::uint64_t schedule_seed();

}  // namespace simt
