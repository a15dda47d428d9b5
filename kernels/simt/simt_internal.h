// kernels/simt/simt_internal.h — shared by the scheduler (simt.cpp) and the launch/runtime layer
// (simt_runtime.cpp). Not for kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/simt/simt.h"

namespace simt {
namespace detail {

// "kernel 'name' <<<(gx,gy,gz), (bx,by,bz), shm>>>"
std::string describe_launch(const LaunchDesc& desc);
std::string format_dim(unsigned x, unsigned y, unsigned z);

// Runs block `linear_block` of the launch on the calling host thread (fibers as needed) and adds to
// `stats`. Throws simt::Error (or an Error nesting the kernel's own exception) on failure.
void run_block(const LaunchDesc& desc, std::uint64_t linear_block, std::size_t stack_bytes, LaunchStats& stats);

// True while the calling host thread is inside a block (a kernel is running on it).
bool in_kernel();

}  // namespace detail
}  // namespace simt
