// Which CPU code path the float kernels take, chosen once per process at run time: the AVX-512F
// convolution micro-kernels when the CPU has AVX-512F, else the AVX2 + FMA ones when it has those,
// else the portable loops; or what CSGIS_CPU_ISA asks for ("avx512", "avx2", "generic"). The
// library is compiled for x86-64-v3 (the AVX-512 kernels carry their own target attribute), so
// "generic" selects the portable kernels for comparison and testing; it does not make the binary
// run on an older CPU. A path the CPU lacks is refused with the reason.
#pragma once
#include <string>

#pragma GCC visibility push(default)  // the public API: exported from a shared libcsgis

namespace csgis {

enum class CpuIsa { Generic, Avx2, Avx512 };

const char* cpu_isa_name(CpuIsa isa);  // "generic", "avx2", "avx512"

// The process's path (CSGIS_CPU_ISA read once). Throws csgis::Error, on every call, when the
// variable names an unknown path or one this CPU or this build lacks.
CpuIsa selected_cpu_isa();

// The path `name` ("avx512", "avx2", "generic") names, for a flag such as `--isa`; throws
// csgis::Error naming `origin` (the flag) when the name is unknown or this CPU lacks the path.
CpuIsa parse_cpu_isa(const std::string& name, const std::string& origin);

// One line for --version and benchmarks: the path, and why it was chosen.
std::string cpu_isa_report();

}  // namespace csgis
#pragma GCC visibility pop
