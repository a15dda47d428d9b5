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

// The path `want` names, checked against this CPU; `origin` names where the request came from
// (CSGIS_CPU_ISA, --isa) for the error, which is empty when the request can be honoured.
CpuIsa check_request(const std::string& want, const std::string& origin, std::string& error) {
  const bool avx2 = cpu_has_avx2_fma(), avx512 = avx2 && cpu_has_avx512f();
  if (want == "generic") return CpuIsa::Generic;
  if (want == "avx2") {
    if (!avx2) error = origin + "=avx2: this CPU has no AVX2 + FMA; use generic";
    return CpuIsa::Avx2;
  }
  if (want == "avx512") {
    if (!avx512) error = origin + "=avx512: this CPU has no AVX-512F; use " + (avx2 ? "avx2 or generic" : "generic");
    return CpuIsa::Avx512;
  }
  error = origin + "='" + want + "': expected avx512, avx2 or generic";
  return CpuIsa::Generic;
}

Selection select() {
  Selection s;
  const char* env = std::getenv("CSGIS_CPU_ISA");
  const std::string want = env ? env : "";
  if (want.empty()) {
    const bool avx2 = cpu_has_avx2_fma(), avx512 = avx2 && cpu_has_avx512f();
    s.isa = avx512 ? CpuIsa::Avx512 : avx2 ? CpuIsa::Avx2 : CpuIsa::Generic;
    s.why = "the best this CPU has (CSGIS_CPU_ISA unset)";
  } else {
    s.isa = check_request(want, "CSGIS_CPU_ISA", s.error);
    s.why = "CSGIS_CPU_ISA=" + want;
  }
  return s;
}

const Selection& selection() {
  static const Selection s = select();  // thread-safe initialisation
  return s;
}

}  // namespace

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Avx512: return "avx512";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Generic: break;
  }
  return "generic";
}

CpuIsa selected_cpu_isa() {
  const Selection& s = selection();
  CSGIS_CHECK(s.error.empty(), s.error);
  return s.isa;
}

CpuIsa parse_cpu_isa(const std::string& name, const std::string& origin) {
  std::string error;
  const CpuIsa isa = check_request(name, origin, error);
  CSGIS_CHECK(error.empty(), error);
  return isa;
}

std::string cpu_isa_report() {
  const CpuIsa isa = selected_cpu_isa();
  const char* what = isa == CpuIsa::Avx512 ? " (AVX-512F convolution micro-kernels, AVX2 elsewhere)"
                     : isa == CpuIsa::Avx2 ? " (AVX2 + FMA micro-kernels)"
                                           : " (portable loops)";
  return std::string(cpu_isa_name(isa)) + what + ", " + selection().why;
}

}  // namespace csgis
