// kernels/simt/simt_resolve.cpp — the host side of waits: completing warp collectives and block
// barriers once every fiber of a block waits or has exited, and the diagnosis of deadlocks.
#include <algorithm>
#include <cstdio>
#include <string>

#include "kernels/simt/simt_internal.h"

namespace simt {
namespace detail {
namespace {

constexpr std::uint64_t kGarbage = ~std::uint64_t{0};  // what a shuffle reads from an absent lane

void complete_collective(Sched& s, int base, unsigned part, Op op) {
  unsigned ballot = 0;
  for (unsigned m = part; m; m &= m - 1) {
    const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
    if (s.thr[static_cast<std::size_t>(base) + l].value) ballot |= 1u << l;
  }
  for (unsigned m = part; m; m &= m - 1) {
    const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
    Thr& b = s.thr[static_cast<std::size_t>(base) + l];
    const unsigned w = static_cast<unsigned>(b.width);
    const unsigned seg = l & ~(w - 1u);  // first lane of this lane's width-segment
    unsigned src = l;
    std::uint64_t r = 0;
    switch (op) {
      case Op::SyncWarp: break;
      case Op::Ballot: r = ballot; break;
      case Op::Any: r = ballot != 0u; break;
      case Op::All: r = ballot == part; break;
      case Op::Shfl: src = seg + (b.param & (w - 1u)); break;
      case Op::ShflUp: src = (l - seg) >= b.param ? l - b.param : l; break;
      case Op::ShflDown: src = std::uint64_t{l - seg} + b.param < w ? l + b.param : l; break;
      case Op::ShflXor: src = (l ^ b.param) < seg + w ? (l ^ b.param) : l; break;
    }
    if (op == Op::Shfl || op == Op::ShflUp || op == Op::ShflDown || op == Op::ShflXor)
      r = (src < 32u && ((part >> src) & 1u)) ? s.thr[static_cast<std::size_t>(base) + src].value : kGarbage;
    b.result = r;
    b.st = St::Ready;
  }
}

// Completes every collective of warp w whose named lanes all wait at it. False on failure.
bool resolve_warp(Sched& s, int w, bool& progress) {
  const int base = w * 32;
  const int lanes = std::min(32, s.nthreads - base);
  const unsigned exist = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);  // a partial warp's absent lanes
  unsigned exited = 0;
  for (int l = 0; l < lanes; ++l)
    if (s.thr[static_cast<std::size_t>(base + l)].st == St::Exited) exited |= 1u << l;
  for (int l = 0; l < lanes; ++l) {
    const Thr& a = s.thr[static_cast<std::size_t>(base + l)];
    if (a.st != St::AtWarp) continue;
    const unsigned part = a.mask & exist;
    if (part & exited) {
      const int gone = __builtin_ctz(part & exited);
      fail(s, where(s) + ": " + thread_name(s, base + l) + " waits at " + op_desc(a) + " but lane " +
                  std::to_string(gone) + " (" + thread_name(s, base + gone) + ") named in the mask has exited");
      return false;
    }
    bool ready = true;
    for (unsigned m = part; m && ready; m &= m - 1) {
      const Thr& b = s.thr[static_cast<std::size_t>(base + __builtin_ctz(m))];
      ready = b.st == St::AtWarp && b.op == a.op && b.mask == a.mask && b.width == a.width;
    }
    if (!ready) continue;
    complete_collective(s, base, part, a.op);
    progress = true;
  }
  return true;
}

std::string diagnose_deadlock(const Sched& s, int exited, int at_barrier) {
  const int n = s.nthreads;
  int first_exited = -1, first_barrier = -1, first_warp = -1;
  for (int t = n - 1; t >= 0; --t) {
    const St st = s.thr[static_cast<std::size_t>(t)].st;
    if (st == St::Exited) first_exited = t;
    if (st == St::AtBarrier) first_barrier = t;
    if (st == St::AtWarp) first_warp = t;
  }
  const std::string at = where(s) + ": ";
  if (at_barrier > 0 && exited > 0) {
    const char* bn = barrier_name(s.thr[static_cast<std::size_t>(first_barrier)].barrier);
    return at + thread_name(s, first_exited) + " exited while " + std::to_string(at_barrier) + " threads wait at " +
           bn + " (first waiting: " + thread_name(s, first_barrier) + "); every thread of a block must reach each " +
           bn + " (a hang or undefined behaviour on a GPU)";
  }
  if (at_barrier > 0 && first_warp >= 0)
    return at + thread_name(s, first_barrier) + " waits at " +
           barrier_name(s.thr[static_cast<std::size_t>(first_barrier)].barrier) + " while " +
           thread_name(s, first_warp) + " waits at " + op_desc(s.thr[static_cast<std::size_t>(first_warp)]) +
           ": divergent barrier and warp collective";
  for (int t = 0; t < n; ++t) {  // only warp collectives are left: find one that cannot complete
    const Thr& a = s.thr[static_cast<std::size_t>(t)];
    if (a.st != St::AtWarp) continue;
    const int base = t & ~31;
    for (unsigned m = a.mask; m; m &= m - 1) {
      const int p = base + __builtin_ctz(m);
      if (p >= n) break;
      const Thr& b = s.thr[static_cast<std::size_t>(p)];
      if (b.op != a.op || b.mask != a.mask || b.width != a.width)
        return at + "warp " + std::to_string(t / 32) + ": " + thread_name(s, t) + " waits at " + op_desc(a) +
               " while lane " + std::to_string(p - base) + " (" + thread_name(s, p) + ") waits at " + op_desc(b) +
               "; the lanes named in a mask must all call the same collective with the same mask";
    }
  }
  return at + "deadlock among warp collectives";
}

}  // namespace

// ---- messages ----
std::string where(const Sched& s) {
  return describe_launch(*s.launch) + " block " + format_dim(s.block.x, s.block.y, s.block.z);
}
std::string thread_name(const Sched& s, int t) {
  const uint3& i = s.ctx[static_cast<std::size_t>(t)].thread_idx;
  return "thread " + format_dim(i.x, i.y, i.z);
}
const char* op_name(Op op) {
  switch (op) {
    case Op::SyncWarp: return "__syncwarp";
    case Op::Shfl: return "__shfl_sync";
    case Op::ShflUp: return "__shfl_up_sync";
    case Op::ShflDown: return "__shfl_down_sync";
    case Op::ShflXor: return "__shfl_xor_sync";
    case Op::Ballot: return "__ballot_sync";
    case Op::Any: return "__any_sync";
    case Op::All: return "__all_sync";
  }
  return "?";
}
const char* barrier_name(BarrierKind k) {
  switch (k) {
    case BarrierKind::Sync: return "__syncthreads";
    case BarrierKind::Count: return "__syncthreads_count";
    case BarrierKind::And: return "__syncthreads_and";
    case BarrierKind::Or: return "__syncthreads_or";
  }
  return "?";
}
std::string op_desc(const Thr& t) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s(mask 0x%08x, width %d)", op_name(t.op), t.mask, t.width);
  return buf;
}
void fail(Sched& s, const std::string& msg, cudaError_t code) {
  s.failure = std::make_exception_ptr(Error(msg, code));
  s.failure_thread = -1;
}

bool resolve(Sched& s) {
  const int n = s.nthreads;
  int exited = 0, at_barrier = 0, at_warp = 0;
  for (int t = 0; t < n; ++t) {
    const St st = s.thr[static_cast<std::size_t>(t)].st;
    exited += st == St::Exited;
    at_barrier += st == St::AtBarrier;
    at_warp += st == St::AtWarp;
  }
  if (exited == n) return false;
  if (at_warp > 0) {
    bool progress = false;
    for (int w = 0; w * 32 < n; ++w)
      if (!resolve_warp(s, w, progress)) return false;
    if (progress) return true;
  }
  if (at_barrier == n) {
    const BarrierKind kind = s.thr[0].barrier;
    int count = 0;
    for (int t = 0; t < n; ++t) {
      const Thr& th = s.thr[static_cast<std::size_t>(t)];
      if (th.barrier != kind) {
        fail(s, where(s) + ": thread (0,0,0) waits at " + barrier_name(kind) + " while " + thread_name(s, t) +
                    " waits at " + barrier_name(th.barrier));
        return false;
      }
      count += th.value != 0;
    }
    const std::uint64_t r = kind == BarrierKind::Count ? static_cast<std::uint64_t>(count)
                            : kind == BarrierKind::And ? (count == n)
                            : kind == BarrierKind::Or  ? (count > 0)
                                                       : 0u;
    for (int t = 0; t < n; ++t) {
      s.thr[static_cast<std::size_t>(t)].result = r;
      s.thr[static_cast<std::size_t>(t)].st = St::Ready;
    }
    return true;
  }
  fail(s, diagnose_deadlock(s, exited, at_barrier));
  return false;
}

}  // namespace detail
}  // namespace simt
