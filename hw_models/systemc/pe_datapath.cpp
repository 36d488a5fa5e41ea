#include "pe_datapath.h"

#include "fold_schedule.h"
#include "pair_table.h"

#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace sparq::hw {

std::uint32_t pack_encoded(const EncodedPair& e, const PeArith& pe) {
  return pe.design->pack(e, pe);
}

EncodedPair unpack_encoded(std::uint32_t p, const PeArith& pe) {
  return pe.design->unpack(p, pe);
}

OperandMemory::OperandMemory(const Gemm& gemm, const ArrayConfig& cfg)
    : g(&gemm),
      pe(cfg.pe),
      pairs(consumes_pairs(cfg.pe.design)),
      edge(consumes_pairs(cfg.pe.design) && cfg.lod == LodPlacement::Edge),
      signed_act(gemm.signed_activations),
      M(gemm.M),
      N(gemm.N),
      steps(consumes_pairs(cfg.pe.design) ? gemm.Kp / 2 : gemm.K) {
  const std::size_t entries = static_cast<std::size_t>(M) * steps;
  act_raw.resize(entries);
  wt.resize(static_cast<std::size_t>(steps) * N);
  for (int m = 0; m < M; ++m)
    for (int s = 0; s < steps; ++s)
      act_raw[act_index(m, s)] = pairs ? pack_raw_pair(gemm.a(m, 2 * s), gemm.a(m, 2 * s + 1)) : gemm.a(m, s);
  for (int s = 0; s < steps; ++s)
    for (int n = 0; n < N; ++n)
      wt[static_cast<std::size_t>(s) * N + n] =
          pairs ? pack_weight_pair(gemm.b(2 * s, n), gemm.b(2 * s + 1, n)) : pack_weight(gemm.b(s, n));
  if (pairs) {
    // One lookup per entry in the design's table of all 65,536 pairs.
    const PairTable& t = pair_table(pe);
    enc.resize(entries + 1);
    act_enc.resize(entries + 1);
    lane_v.resize(entries + 1);
    lane_wsel.resize(entries + 1);
    for (std::size_t i = 0; i <= entries; ++i) {
      const std::uint32_t key = i < entries ? act_raw[i] : 0u;  // the last entry: the idle pair (0, 0)
      enc[i] = t.enc[key];
      act_enc[i] = t.packed[key];
      lane_v[i] = t.lane_v[key];
      lane_wsel[i] = t.lane_wsel[key];
    }
  }
}

FoldGeom::FoldGeom(const OperandMemory& mem, const ArrayConfig& cfg)
    : df(cfg.dataflow), R(cfg.rows), C(cfg.cols), slots(cfg.dataflow == Dataflow::WS ? mem.M : mem.steps) {
  std::tie(outer_folds, inner_folds) = fold_counts(mem, R, C, df);
  if (cfg.weight_buffering == WeightBuffering::Double)
    period = static_cast<int>(FoldSchedule(df, cfg.weight_buffering, R, C, mem.M, mem.N, mem.steps).period());
}

ControllerFsm::ControllerFsm(const FoldGeom& g) : g_(g) {
  s_.phase = g.df == Dataflow::WS ? Phase::Load : Phase::Stream;
}

bool ControllerFsm::has_next() const {
  return s_.inner + 1 < g_.inner_folds || s_.outer + 1 < g_.outer_folds;
}

void ControllerFsm::clock(std::uint8_t corner_ctl, std::uint8_t last_collector_ctl) {
  const bool corner_last = (corner_ctl & kValid) && (corner_ctl & kLast);
  auto advance = [&] {
    if (++s_.inner == g_.inner_folds) {
      s_.inner = 0;
      ++s_.outer;
    }
  };
  auto next_fold = [&](Phase start) {
    s_.step = 0;
    if (has_next()) {
      advance();
      s_.phase = start;
    } else {
      s_.phase = g_.df == Dataflow::WS ? Phase::Flush : Phase::Done;
    }
  };
  switch (s_.phase) {
    case Phase::Load:
      if (++s_.step == g_.R) {
        s_.phase = Phase::Stream;
        s_.step = 0;
      }
      break;
    case Phase::Stream:
      if (g_.dbl()) {
        // The next fold streams `period` cycles after this one (the bus and
        // the shadow / output chains are free then, FoldSchedule::period);
        // the last fold ends when the corner has received its last slot
        // (from stream step R + C - 2 on, when its first slot reached the
        // corner: an earlier kLast is the previous fold's).
        if (has_next() && s_.step + 1 == g_.period) {
          s_.prev_outer = s_.outer;
          s_.prev_inner = s_.inner;
          advance();
          s_.step = 0;
        } else if (!has_next() && corner_last && s_.step >= g_.R + g_.C - 2) {
          s_.phase = g_.df == Dataflow::WS ? Phase::Flush : Phase::Drain;
          s_.step = 0;
        } else {
          ++s_.step;
        }
        // os: a fold's outputs drain for R cycles from its stream step
        // S + R + C - 2 (the corner's last MAC is over), which is within the
        // next fold's stream at the latest (2 * period > S + R + C - 2).
        if (g_.df == Dataflow::OS) {
          if (s_.drain_outer >= 0 && ++s_.drain_step == g_.R) s_.drain_outer = -1;
          const int d0 = g_.slots + g_.R + g_.C - 2;
          if (s_.phase == Phase::Stream && s_.step == d0) {
            s_.drain_outer = s_.outer;
            s_.drain_inner = s_.inner;
            s_.drain_step = 0;
          } else if (s_.phase == Phase::Stream && s_.prev_outer >= 0 && s_.step + g_.period == d0) {
            s_.drain_outer = s_.prev_outer;
            s_.drain_inner = s_.prev_inner;
            s_.drain_step = 0;
          }
        }
      } else if (!corner_last) {
        ++s_.step;
      } else if (g_.df == Dataflow::WS) {
        next_fold(Phase::Load);
      } else {
        s_.phase = Phase::Drain;
        s_.step = 0;
      }
      break;
    case Phase::Drain:
      if (++s_.step == g_.R) next_fold(Phase::Stream);
      break;
    case Phase::Flush:
      if ((last_collector_ctl & kValid) && (last_collector_ctl & kLast))
        s_.phase = Phase::Done;
      else
        ++s_.step;
      break;
    case Phase::Done: return;
  }
  ++s_.cycle;
}

// Double buffering: a cycle in which the corner receives no slot is a load
// cycle while the shadow registers load (ws), a drain cycle while outputs
// drain (os), a fill cycle otherwise (docs/hardware.md "Weight buffering").
char ControllerFsm::cycle_class(std::uint8_t corner_ctl) const {
  int o, i, j;
  switch (s_.phase) {
    case Phase::Load: return 'L';
    case Phase::Stream:
      if (corner_ctl & kValid) return 'S';
      if (g_.dbl() && g_.df == Dataflow::WS && load_cycle(s_, g_, &o, &i, &j)) return 'L';
      if (g_.dbl() && g_.df == Dataflow::OS && drain_cycle(s_, g_, &o, &i, &j)) return 'D';
      return 'F';
    case Phase::Drain:
    case Phase::Flush: return 'D';
    case Phase::Done: break;
  }
  return '-';
}

bool stream_slot(const CtlState& s, const FoldGeom& g, int lag, int* outer, int* inner, int* i) {
  if (s.phase != Phase::Stream) return false;
  int x = s.step - lag;
  if (x >= 0) {
    *outer = s.outer;
    *inner = s.inner;
  } else {
    if (s.prev_outer < 0) return false;
    x += g.period;
    *outer = s.prev_outer;
    *inner = s.prev_inner;
  }
  *i = x;
  return x >= 0 && x < g.slots;
}

bool load_cycle(const CtlState& s, const FoldGeom& g, int* outer, int* inner, int* j) {
  if (s.phase == Phase::Load) {
    *outer = s.outer;
    *inner = s.inner;
    *j = s.step;
    return true;
  }
  // Double buffering: the next fold's weights, from the corner's swap cycle on.
  const int x = s.step - (g.R + g.C - 2);
  if (!g.dbl() || g.df != Dataflow::WS || s.phase != Phase::Stream || x < 0 || x >= g.R) return false;
  *outer = s.outer;
  *inner = s.inner + 1;
  if (*inner == g.inner_folds) {
    *inner = 0;
    ++*outer;
  }
  *j = x;
  return *outer < g.outer_folds;
}

bool drain_cycle(const CtlState& s, const FoldGeom& /*g*/, int* outer, int* inner, int* j) {
  if (s.phase == Phase::Drain) {
    *outer = s.outer;
    *inner = s.inner;
    *j = s.step;
    return true;
  }
  // Double buffering: an earlier fold's outputs drain while a later one streams.
  if (s.phase != Phase::Stream || s.drain_outer < 0) return false;
  *outer = s.drain_outer;
  *inner = s.drain_inner;
  *j = s.drain_step;
  return true;
}

Slot row_feed(const OperandMemory& mem, const CtlState& s, const FoldGeom& g, int r) {
  Slot out;
  out.idx = mem.zero_index();
  int outer, inner, i;
  if (!stream_slot(s, g, r, &outer, &inner, &i)) return out;
  if (g.df == Dataflow::WS) {
    const int m = i;
    out.ctl = kValid | (m == mem.M - 1 ? kLast : 0) | (g.dbl() && m == 0 ? kFirst : 0);
    const int k = inner * g.R + r;
    if (k < mem.steps) {
      out.ctl |= kEn;
      out.idx = mem.act_index(m, k);
      out.payload = mem.act_raw[out.idx];
    }
  } else {
    const int k = i;
    out.ctl = kValid | (k == mem.steps - 1 ? kLast : 0);
    const int m = inner * g.R + r;
    if (m < mem.M) {
      out.ctl |= kEn;
      out.idx = mem.act_index(m, k);
      out.payload = mem.act_raw[out.idx];
    }
  }
  return out;
}

Slot col_feed(const OperandMemory& mem, const CtlState& s, const FoldGeom& g, int c) {
  Slot out;
  out.idx = mem.zero_index();
  int outer, inner, i;
  if (g.df == Dataflow::WS) {
    if (!load_cycle(s, g, &outer, &inner, &i)) return out;
    const int n = outer * g.C + c;
    out.ctl = kValid | (n < mem.N || !g.dbl() ? kEn : 0);
    const int k = inner * g.R + (g.R - 1 - i);
    if (k < mem.steps && n < mem.N) out.payload = mem.wt[static_cast<std::size_t>(k) * mem.N + n];
  } else {
    if (!stream_slot(s, g, c, &outer, &inner, &i)) return out;
    const int n = outer * g.C + c;
    const int k = i;
    out.ctl = kValid | (k == mem.steps - 1 ? kLast : 0);
    if (n < mem.N) {
      out.ctl |= kEn;
      out.payload = mem.wt[static_cast<std::size_t>(k) * mem.N + n];
    }
  }
  return out;
}

std::pair<int, int> fold_counts(const OperandMemory& mem, int R, int C, Dataflow df) {
  const int outer = (mem.N + C - 1) / C;
  const int inner = df == Dataflow::WS ? (mem.steps + R - 1) / R : (mem.M + R - 1) / R;
  return {outer, inner};
}

namespace {
// Each HwCounters field and the ArrayStats counter it adds to: merge and
// add_to walk this one list (a static_assert catches a field left out).
using CounterPair = std::pair<std::uint64_t HwCounters::*, std::uint64_t ArrayStats::*>;
const CounterPair kCounterMap[] = {
    {&HwCounters::pe_active, &ArrayStats::pe_active_cycles},
    {&HwCounters::mult_busy, &ArrayStats::mult_slot_busy},
    {&HwCounters::mult_toggles, &ArrayStats::mult_input_toggles},
    {&HwCounters::act_toggles, &ArrayStats::act_reg_toggles},
    {&HwCounters::weight_toggles, &ArrayStats::weight_reg_toggles},
    {&HwCounters::psum_toggles, &ArrayStats::psum_reg_toggles},
    {&HwCounters::acc_toggles, &ArrayStats::acc_toggles},
    {&HwCounters::reg_writes, &ArrayStats::reg_writes},
    {&HwCounters::mult_w_toggles, &ArrayStats::mult_weight_toggles},
    {&HwCounters::act_writes, &ArrayStats::act_reg_writes},
    {&HwCounters::weight_writes, &ArrayStats::weight_reg_writes},
    {&HwCounters::psum_writes, &ArrayStats::psum_reg_writes},
    {&HwCounters::lod_edge, &ArrayStats::lod_edge_encodings},
    {&HwCounters::lod_pe, &ArrayStats::lod_pe_encodings},
    {&HwCounters::overflows, &ArrayStats::acc_overflows},
};
static_assert(sizeof(kCounterMap) / sizeof(kCounterMap[0]) * sizeof(std::uint64_t) == sizeof(HwCounters),
              "a HwCounters field is missing from kCounterMap");
}  // namespace

void HwCounters::add_to(ArrayStats& s) const {
  for (const auto& [h, a] : kCounterMap) s.*a += this->*h;
}

void HwCounters::merge(const HwCounters& o) {
  for (const auto& [h, a] : kCounterMap) this->*h += o.*h;
}

void check_gemm(const Gemm& g, const ArrayConfig& cfg) {
  cfg.validate();
  if (g.M < 1 || g.N < 1 || g.K < 1)
    throw std::invalid_argument("GEMM must have M, N, K >= 1, got M=" + std::to_string(g.M) +
                                " N=" + std::to_string(g.N) + " K=" + std::to_string(g.K));
  if (g.Kp != g.K + (g.K & 1)) throw std::invalid_argument("GEMM Kp must be K rounded up to even");
  if (g.A.size() != static_cast<std::size_t>(g.M) * g.Kp || g.B.size() != static_cast<std::size_t>(g.Kp) * g.N)
    throw std::invalid_argument("GEMM operand sizes do not match M x Kp and Kp x N");
  if (g.signed_activations && consumes_pairs(cfg.pe.design))
    throw std::invalid_argument(std::string("design ") + to_string(cfg.pe.design) +
                                " takes unsigned activations; this GEMM's are signed (run it under int8)");
}

void fill_gemm_stats(const Gemm& g, const ArrayConfig& cfg, const OperandMemory& mem, ArrayStats& st) {
  st.gemms += 1;
  st.macs += static_cast<std::uint64_t>(g.M) * g.N * g.K;
  const auto [outer, inner] = fold_counts(mem, cfg.rows, cfg.cols, cfg.dataflow);
  st.folds += static_cast<std::uint64_t>(outer) * inner;
  st.scalesim_compute_cycles += scalesim_compute_cycles(g.M, g.N, mem.steps, cfg.rows, cfg.cols, cfg.dataflow);
  // The front-end statistics: a histogram of the raw pairs, each distinct
  // pair counted once with its multiplicity (= count_pair per (m, k-pair)).
  PeStats fe;
  std::vector<std::uint64_t> hist(65536, 0);
  for (int m = 0; m < g.M; ++m)
    for (int k = 0; k < g.Kp; k += 2) ++hist[pair_key(g.a(m, k), g.a(m, k + 1))];
  const PairTable* t = consumes_pairs(cfg.pe.design) ? &pair_table(cfg.pe) : nullptr;
  for (std::uint32_t key = 0; key < 65536; ++key)
    if (hist[key])
      fe.count_encoded(static_cast<std::uint8_t>(key & 0xFFu), static_cast<std::uint8_t>(key >> 8),
                       t ? t->enc[key] : EncodedPair{}, cfg.pe, hist[key]);
  // Every A pair meets each of the N weight columns once: a vsparq pair with
  // one zero is N combined (both-lane) multiplies.
  if (cfg.pe.design->detects_zeros()) st.combined_multiplies += fe.one_zero() * static_cast<std::uint64_t>(g.N);
  st.front_end.merge(fe);
}

}  // namespace sparq::hw
