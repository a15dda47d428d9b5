#include "engine/cpu_isa.h"

#include <cstdlib>
#include <string>

#include "engine/error.h"

namespace csgis {
namespace {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpu_has_avx512f() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

struct Selection {
  CpuIsa isa = CpuIsa::Generic;
  std::string why, error;  // error: non-empty when CSGIS_CPU_ISA cannot be honoured
};

Selection select() {
  Selection s;
  const char* env = std::getenv("CSGIS_CPU_ISA");
  const std::string want = env ? env : "";
  if (want.empty()) {
    s.isa = cpu_has_avx2_fma() ? CpuIsa::Avx2 : CpuIsa::Generic;
    s.why = "the best this CPU has (CSGIS_CPU_ISA unset)";
  } else if (want == "generic") {
    s.isa = CpuIsa::Generic;
    s.why = "CSGIS_CPU_ISA=generic";
  } else if (want == "avx2") {
    if (!cpu_has_avx2_fma()) s.error = "CSGIS_CPU_ISA=avx2: this CPU has no AVX2 + FMA";
    s.isa = CpuIsa::Avx2;
    s.why = "CSGIS_CPU_ISA=avx2";
  } else if (want == "avx512") {
    s.error = cpu_has_avx512f() ? "CSGIS_CPU_ISA=avx512: this build has no AVX-512 kernels yet (use avx2 or generic)"
                                : "CSGIS_CPU_ISA=avx512: this CPU has no AVX-512 (and this build no AVX-512 kernels); "
                                  "use avx2 or generic";
  } else {
    s.error = "CSGIS_CPU_ISA='" + want + "': expected avx2, generic or avx512";
  }
  return s;
}

const Selection& selection() {
  static const Selection s = select();  // thread-safe initialisation
  return s;
}

}  // namespace

const char* cpu_isa_name(CpuIsa isa) { return isa == CpuIsa::Avx2 ? "avx2" : "generic"; }

CpuIsa selected_cpu_isa() {
  const Selection& s = selection();
  CSGIS_CHECK(s.error.empty(), s.error);
  return s.isa;
}

std::string cpu_isa_report() {
  const CpuIsa isa = selected_cpu_isa();
  return std::string(cpu_isa_name(isa)) + (isa == CpuIsa::Avx2 ? " (AVX2 + FMA micro-kernels)" : " (portable loops)") +
         ", " + selection().why;
}

}  // namespace csgis
