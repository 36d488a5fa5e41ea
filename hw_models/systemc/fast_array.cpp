// The toggle counters are popcounts: use the instruction (every x86-64 CPU
// since 2008 has it) instead of libgcc's generic routine.
#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "fast_array.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "array_step.h"
#include "pe_step.h"

namespace sparq::hw {

namespace {

// A row's counts are summed in packed words of three 21-bit fields: a row adds
// at most C <= 4096 PEs x 128 toggles = 2^19 per field per cycle, so fields
// never carry into each other; they are unpacked once per row.
constexpr int kField = 21;
constexpr std::uint64_t kFieldMask = (std::uint64_t{1} << kField) - 1u;
constexpr std::uint64_t pack3(std::uint64_t f0, std::uint64_t f1, std::uint64_t f2) {
  return f0 | (f1 << kField) | (f2 << (2 * kField));
}
constexpr std::uint64_t field(std::uint64_t p, int i) {
  return (p >> (i * kField)) & kFieldMask;
}

// The PE step's event sink for one row of one cycle (pe_step.h).
struct RowSink {
  std::uint64_t ev = 0;  // ws: act_w | psum_w | active; os: act_w | active (= psum_w) | weight_w
  std::uint64_t tg = 0;  // act | psum | mult toggles
  std::uint64_t wt = 0, mult_w = 0, busy_n = 0, lod_n = 0, ovf_n = 0, load_w = 0, drain_w = 0;
  std::uint64_t swap_t = 0;  // double-buffered ws: toggles of the weight swaps (part of wt)
  SPARQ_ALWAYS_INLINE void ws_slot(std::uint32_t en, std::uint32_t valid, std::uint32_t active) {
    ev += pack3(en, valid, active);
  }
  SPARQ_ALWAYS_INLINE void os_slot(std::uint32_t aen, std::uint32_t both, std::uint32_t ben) {
    ev += pack3(aen, both, ben);
  }
  SPARQ_ALWAYS_INLINE void weight_load() { ++load_w; }
  SPARQ_ALWAYS_INLINE void drain_write() { ++drain_w; }
  SPARQ_ALWAYS_INLINE void psum_writes(std::uint32_t n) { drain_w += n; }
  SPARQ_ALWAYS_INLINE void swap(std::uint64_t t) {
    wt += t;
    swap_t += t;
  }
  SPARQ_ALWAYS_INLINE void toggles(std::uint64_t act, std::uint64_t psum) { tg += pack3(act, psum, 0); }
  SPARQ_ALWAYS_INLINE void weight(std::uint64_t t) { wt += t; }
  SPARQ_ALWAYS_INLINE void mult(std::uint64_t all, std::uint64_t weight_side) {
    tg += pack3(0, 0, all);
    mult_w += weight_side;
  }
  SPARQ_ALWAYS_INLINE void busy(std::uint64_t n) { busy_n += n; }
  SPARQ_ALWAYS_INLINE void lod(std::uint64_t n) { lod_n += n; }
  SPARQ_ALWAYS_INLINE void overflow(bool o) { ovf_n += o; }
};

// The PE step's datapath policy of the fast model (pe_step.h): the operand
// memory's precomputed encodings and routed multiplier inputs, looked up by
// the activation entry each operand register carries. Signed: int8 with
// signed activations. int8 samples no multiplier inputs per PE (see
// FastArray::int8_mult_toggles) and counts busy slots as active PEs.
template <bool Pairs, bool Signed>
struct FastDatapath {
  static constexpr bool kCountBusy = Pairs, kCountLod = Pairs, kTracksIdx = Pairs;
  const OperandMemory* mem;
  const EncodedPair* enc;
  const PeArith* pe;
  bool pe_lod;
  template <class Sink>
  SPARQ_ALWAYS_INLINE void sample(PeRegs& q, const Operand& a, std::uint32_t w, Sink& k) const {
    if constexpr (Pairs)
      sample_mult(q, a.pay, w, mult_weight_mask(true), k, [&] { return mem->mult_inputs(a.idx, a.pay, w); });
  }
  SPARQ_ALWAYS_INLINE std::int64_t product(const Operand& a, std::uint32_t w) const {
    if constexpr (Pairs)
      return pair_product(enc[a.idx], weight_lo(w), weight_hi(w));
    else
      return int8_product(static_cast<std::uint8_t>(a.pay), weight_lo(w), Signed);
  }
  SPARQ_ALWAYS_INLINE int busy(const Operand& a) const { return busy_slots(*pe, enc[a.idx].mode); }
  bool lod() const { return pe_lod; }
  template <bool Wide, class Sink>
  SPARQ_ALWAYS_INLINE std::int64_t add(const AccRange& x, std::int64_t acc, std::int64_t v, bool count, Sink& k) const {
    std::int64_t r;
    if (__builtin_expect(add_in_range<Wide>(x, acc, v, &r), 1)) return r;
    if (!count) return acc;
    const WrappedSum w = add_wrapped(x.bits, acc, v);
    k.overflow(w.overflow);
    return w.v;
  }
};

// Per-cycle event counts of the PE array.
struct CycleCount {
  std::uint64_t mult = 0, mult_w = 0, act = 0, act_w = 0, weight = 0, weight_w = 0, psum = 0, psum_w = 0;
  std::uint64_t active = 0, busy = 0, lod_pe = 0, ovf = 0;
  std::uint64_t act_last_col = 0;     // part of `act` in the last column
  std::uint64_t weight_last_row = 0;  // os: part of `weight` in the last row
  std::uint64_t weight_swap = 0;      // double-buffered ws: part of `weight` from the swaps
};

// The array's registers advanced one clock cycle at a time, every PE by the
// shared step (pe_step.h) with the fast datapath policy. Toggle counts of
// the multiplier inputs: pair designs sample the routed inputs of every PE
// (recomputed only when the operand or weight changed); for int8 the inputs
// are the operand and weight registers' values themselves (a | w << 8), so
// their toggles in cycle t are exactly the toggles those registers (or edge
// buses) made going into cycle t, which the loops count anyway (see
// int8_mult_toggles).
class FastArray {
 public:
  FastArray(const OperandMemory& mem, const ArrayConfig& cfg, CycleProbe* probe)
      : mem_(mem),
        cfg_(cfg),
        R_(cfg.rows),
        C_(cfg.cols),
        acc_(cfg.acc_bits),
        geom_(mem, cfg),
        fsm_(geom_),
        pes_(static_cast<std::size_t>(R_) * C_),
        in0_(R_),
        bus_prev_(R_, 0),
        wbus_(C_),
        wbus_prev_(C_, 0),
        out_(static_cast<std::size_t>(mem.M) * mem.N, 0),
        probe_(probe),
        pe_lod_(mem.pairs && !mem.edge) {
    for (auto& p : pes_) p.a_idx = mem.zero_index();
    cols_.reserve(static_cast<std::size_t>(C_));
    for (int c = 0; c < C_; ++c) cols_.emplace_back(mem, cfg, c);
    if (probe_) {
      probe_->samples.clear();
      probe_->samples.emplace_back();
    }
  }

  template <bool Pairs, bool Wide, bool Signed>
  void run(ArrayStats& st) {
    const FastDatapath<Pairs, Signed> dp{&mem_, mem_.enc.data(), &mem_.pe, pe_lod_};
    while (fsm_.state().phase != Phase::Done) {
      if (cfg_.dataflow == Dataflow::WS)
        cycle_ws<Pairs, Wide>(dp, st);
      else
        cycle_os<Pairs, Wide>(dp, st);
    }
    add_cycle_totals(cfg_, fsm_.state().cycle, st);
    cnt_.add_to(st);
  }

  std::vector<std::int64_t> take_output() { return std::move(out_); }

 private:
  std::size_t at(int r, int c) const { return static_cast<std::size_t>(r) * C_ + c; }

  static void add_counts(const CycleCount& c, HwCounters& k) {
    k.pe_active += c.active;
    k.mult_busy += c.busy;
    k.mult_toggles += c.mult;
    k.mult_w_toggles += c.mult_w;
    k.act_toggles += c.act;
    k.weight_toggles += c.weight;
    k.psum_toggles += c.psum;
    k.act_writes += c.act_w;
    k.weight_writes += c.weight_w;
    k.psum_writes += c.psum_w;
    k.reg_writes += c.act_w + c.weight_w + c.psum_w;
    k.lod_pe += c.lod_pe;
    k.overflows += c.ovf;
  }

  // Adds a row's sink into the cycle's counts (fields as RowSink packs them).
  static void add_row(const RowSink& k, bool ws, std::uint64_t last_col_act, CycleCount& t) {
    t.act_w += field(k.ev, 0);
    if (ws) {
      t.psum_w += field(k.ev, 1);
      t.active += field(k.ev, 2);
    } else {
      t.psum_w += field(k.ev, 1) + k.drain_w;
      t.active += field(k.ev, 1);
      t.weight_w += field(k.ev, 2);
    }
    t.weight_w += k.load_w;
    t.act += field(k.tg, 0);
    t.psum += field(k.tg, 1);
    t.mult += field(k.tg, 2);
    t.act_last_col += last_col_act;
    t.mult_w += k.mult_w;
    t.weight += k.wt;
    t.weight_swap += k.swap_t;
    t.busy += k.busy_n;
    t.lod_pe += k.lod_n;
    t.ovf += k.ovf_n;
  }

  // Edge feeders: buses sampled for toggles; the row edge's view for PE(r, 0).
  // Returns the toggles of the row buses and of the column buses.
  std::pair<std::uint64_t, std::uint64_t> feed() {
    const CtlState& s = fsm_.state();
    std::uint64_t row_t = 0, col_t = 0;
    for (int r = 0; r < R_; ++r) {
      const Slot bus = row_feed(mem_, s, geom_, r);
      row_t += static_cast<std::uint64_t>(hamming(bus_prev_[r], bus.payload));
      bus_prev_[r] = bus.payload;
      if (mem_.edge && (bus.ctl & kEn)) ++cnt_.lod_edge;
      in0_[r] = Operand{edge_payload(mem_, bus), bus.idx, bus.ctl};
    }
    for (int c = 0; c < C_; ++c) {
      const Slot bus = col_feed(mem_, s, geom_, c);
      col_t += static_cast<std::uint64_t>(hamming(wbus_prev_[c], bus.payload));
      wbus_prev_[c] = bus.payload;
      // Weights carry no activation entry (and copying Slot's payload and
      // entry as one word would stall on the store forwarding of the return).
      wbus_[c] = Operand{bus.payload, 0, bus.ctl};
    }
    cnt_.act_toggles += row_t;
    cnt_.weight_toggles += col_t;
    return {row_t, col_t};
  }

  // int8 multiplier input toggles of this cycle. The multiplier of PE(r, c)
  // sees a | w << 8 with a = PE(r, c - 1)'s operand register (column 0: the
  // row bus) and w = its own weight register (ws) or PE(r - 1, c)'s (os; row
  // 0: the column bus). The bits that changed since the previous cycle are
  // those the buses changed this cycle and those the registers changed at
  // the last clock edge: the operand registers outside the last column, the
  // ws weight registers, the os weight registers outside the last row (all at
  // reset 0, as the multiplier inputs). Every counted register change reaches
  // a multiplier one cycle later, so the changes of the last simulated cycle
  // (after which no multiplier samples) are carried but never added.
  // Double-buffered ws: the multiplier's weight input is the shadow register
  // in a swap cycle and the active register otherwise, so it changes exactly
  // when a swap does, in the same cycle (weight_swap); the shadow registers
  // reach no multiplier.
  void int8_mult_toggles(CycleCount& cc, std::uint64_t a_bus, std::uint64_t w_bus, bool ws) {
    cc.mult = a_bus + w_bus + pend_a_ + pend_w_ + cc.weight_swap;
    cc.mult_w = w_bus + pend_w_ + cc.weight_swap;
    pend_a_ = cc.act - cc.act_last_col;
    pend_w_ = ws ? (geom_.dbl() ? 0 : cc.weight) : cc.weight - cc.weight_last_row;
  }

  void end_cycle(std::uint8_t corner_ctl, std::uint8_t coll_ctl, int active, ArrayStats& st) {
    const char cls = count_cycle(fsm_, corner_ctl, st);
    if (probe_) {
      auto& cur = probe_->samples.back();
      cur.active_pes = active;
      cur.phase = cls;
      int o, i, j;
      cur.load = load_cycle(fsm_.state(), geom_, &o, &i, &j);
      probe_->samples.push_back(next_sample_);
      next_sample_.out_valid = false;
    }
    fsm_.clock(corner_ctl, coll_ctl);
  }

  void probe_write(int c, const OutputColumn::Write& w) {
    if (!probe_ || c != probe_->col || !w.wrote) return;
    next_sample_.out_valid = true;
    next_sample_.final = w.final;
    next_sample_.m = w.m;
    next_sample_.n = w.n;
    next_sample_.value = w.value;
  }

  // One row of ws PEs for one cycle. The registers of the row above are read
  // before they are updated (rows run bottom-up) and PE(r, c - 1)'s operand
  // register before it is updated (columns right to left): every PE sees the
  // values of the previous clock edge. Double: the shadow chain shifts while
  // loading and the column-mapped bit travels with the weights.
  template <bool Pairs, bool Wide, bool Top, bool Load, bool Double, class Dp>
  void ws_row(const Dp& dp0, int r, int mapped_cols, CycleCount& t) {
    Dp dp = dp0;
    const AccRange x = acc_;
    PeRegs* p = &pes_[at(r, 0)];
    const PeRegs* u = Top ? nullptr : p - C_;
    const Operand* wbus = wbus_.data();
    RowSink k;
    auto pe = [&](auto mapped, int c, const Operand& ain) __attribute__((always_inline)) {
      const std::int64_t pin = Top ? 0 : u[c].psum;
      const std::uint8_t pin_ctl = Top ? 0 : u[c].ctl2;
      if constexpr (Double) {
        const std::uint32_t win = Load ? (Top ? wbus[c].pay : u[c].shadow) : 0u;
        const auto map = static_cast<std::uint8_t>(Top ? (wbus[c].ctl & kEn) >> 1 : u[c].wmap >> 1);
        return ws_step<Wide, Top, Load, true, true>(dp, x, p[c], ain, pin, pin_ctl, win, k, map);
      } else {
        const std::uint32_t win = Load ? (Top ? wbus[c].pay : u[c].w) : 0u;
        return ws_step<Wide, Top, Load, decltype(mapped)::value>(dp, x, p[c], ain, pin, pin_ctl, win, k);
      }
    };
    auto left = [&](int c) __attribute__((always_inline)) {
      return Operand{p[c - 1].a, p[c - 1].a_idx, p[c - 1].a_ctl};
    };
    const std::true_type yes;
    const std::false_type no;
    const Operand in = in0_[r];
    std::uint64_t last;
    if (C_ == 1) {
      last = mapped_cols > 0 ? pe(yes, 0, in) : pe(no, 0, in);
    } else {
      const int c = C_ - 1;
      last = c < mapped_cols ? pe(yes, c, left(c)) : pe(no, c, left(c));
      const int first_mapped = std::min(C_ - 2, mapped_cols - 1);
      for (int d = C_ - 2; d > first_mapped && d >= 1; --d) pe(no, d, left(d));
      for (int d = first_mapped; d >= 1; --d) pe(yes, d, left(d));
      mapped_cols > 0 ? pe(yes, 0, in) : pe(no, 0, in);
    }
    add_row(k, true, last, t);
  }

  template <bool Pairs, bool Wide, bool Load, bool Double, class Dp>
  void ws_rows(const Dp& dp, int mapped_cols, CycleCount& k) {
    for (int r = R_ - 1; r >= 1; --r) ws_row<Pairs, Wide, false, Load, Double>(dp, r, mapped_cols, k);
    ws_row<Pairs, Wide, true, Load, Double>(dp, 0, mapped_cols, k);
  }

  template <bool Pairs, bool Wide, class Dp>
  void cycle_ws(const Dp& dp, ArrayStats& st) {
    const CtlState s = fsm_.state();
    HwCounters k;
    const auto [a_bus, w_bus] = feed();
    const std::uint8_t corner = C_ == 1 ? in0_[R_ - 1].ctl : pes_[at(R_ - 1, C_ - 2)].a_ctl;
    const std::uint8_t coll_last = pes_[at(R_ - 1, C_ - 1)].ctl2;
    // Output accumulators below the array: read-modify-write of the bottom psum registers.
    for (int c = 0; c < C_; ++c) {
      const PeRegs& p = pes_[at(R_ - 1, c)];
      if (p.ctl2 & kValid) probe_write(c, cols_[static_cast<std::size_t>(c)].ws_take(p.psum, k, out_));
    }
    const int mapped_cols = std::min(C_, mem_.N - s.outer * C_);
    int lo, li, lj;
    const bool load = load_cycle(s, geom_, &lo, &li, &lj);
    CycleCount cc;
    if (geom_.dbl())
      load ? ws_rows<Pairs, Wide, true, true>(dp, mapped_cols, cc)
           : ws_rows<Pairs, Wide, false, true>(dp, mapped_cols, cc);
    else
      load ? ws_rows<Pairs, Wide, true, false>(dp, mapped_cols, cc)
           : ws_rows<Pairs, Wide, false, false>(dp, mapped_cols, cc);
    if (!Pairs) {
      cc.busy = cc.active;  // one multiplier, busy when active
      int8_mult_toggles(cc, a_bus, 0, true);
    }
    add_counts(cc, k);
    cnt_.merge(k);
    end_cycle(corner, coll_last, static_cast<int>(cc.active), st);
  }

  // One row of os PEs for one cycle (same read-before-update order as
  // ws_row). Top: row 0 (weights from the column bus; drains take 0). Drain:
  // the accumulators shift down one row.
  template <bool Pairs, bool Wide, bool Top, bool Drain, bool Double, class Dp>
  void os_row(const Dp& dp0, int r, CycleCount& t) {
    Dp dp = dp0;
    const AccRange x = acc_;
    PeRegs* p = &pes_[at(r, 0)];
    const PeRegs* u = Top ? nullptr : p - C_;
    const Operand* wbus = wbus_.data();
    RowSink k;
    auto pe = [&](int c, const Operand& ain) __attribute__((always_inline)) {
      const std::uint32_t b_in = Top ? wbus[c].pay : u[c].w;
      const std::uint8_t b_ctl = Top ? wbus[c].ctl : u[c].ctl2;
      const std::int64_t acc_in = (Drain && !Top) ? (Double ? u[c].out : u[c].psum) : 0;
      return os_step<Wide, Drain, Double, Top>(dp, x, p[c], ain, b_in, b_ctl, acc_in, k);
    };
    auto left = [&](int c) __attribute__((always_inline)) {
      return Operand{p[c - 1].a, p[c - 1].a_idx, p[c - 1].a_ctl};
    };
    const Operand in = in0_[r];
    std::uint64_t last;
    if (C_ == 1) {
      last = pe(0, in);
    } else {
      last = pe(C_ - 1, left(C_ - 1));
      for (int c = C_ - 2; c >= 1; --c) pe(c, left(c));
      pe(0, in);
    }
    add_row(k, false, last, t);
    if (r == R_ - 1) t.weight_last_row += k.wt;
  }

  template <bool Pairs, bool Wide, bool Drain, bool Double, class Dp>
  void os_rows(const Dp& dp, CycleCount& k) {
    for (int r = R_ - 1; r >= 1; --r) os_row<Pairs, Wide, false, Drain, Double>(dp, r, k);
    os_row<Pairs, Wide, true, Drain, Double>(dp, 0, k);
  }

  template <bool Pairs, bool Wide, class Dp>
  void cycle_os(const Dp& dp, ArrayStats& st) {
    const CtlState s = fsm_.state();
    HwCounters k;
    const auto [a_bus, w_bus] = feed();
    const std::uint8_t corner = C_ == 1 ? in0_[R_ - 1].ctl : pes_[at(R_ - 1, C_ - 2)].a_ctl;
    int dout, din, dj;
    const bool drain = drain_cycle(s, geom_, &dout, &din, &dj);
    const bool dbl = geom_.dbl();
    if (drain)
      // Output collectors capture the bottom accumulators (double: output
      // registers) as the columns shift down.
      for (int c = 0; c < C_; ++c) {
        const PeRegs& b = pes_[at(R_ - 1, c)];
        probe_write(c, cols_[static_cast<std::size_t>(c)].os_take(dout, din, dj, dbl ? b.out : b.psum, k, out_));
      }
    CycleCount cc;
    if (dbl)
      drain ? os_rows<Pairs, Wide, true, true>(dp, cc) : os_rows<Pairs, Wide, false, true>(dp, cc);
    else
      drain ? os_rows<Pairs, Wide, true, false>(dp, cc) : os_rows<Pairs, Wide, false, false>(dp, cc);
    if (!Pairs) {
      cc.busy = cc.active;
      int8_mult_toggles(cc, a_bus, w_bus, false);
    }
    add_counts(cc, k);
    cnt_.merge(k);
    end_cycle(corner, 0, static_cast<int>(cc.active), st);
  }

  const OperandMemory& mem_;
  const ArrayConfig& cfg_;
  const int R_, C_;
  const AccRange acc_;
  const FoldGeom geom_;
  ControllerFsm fsm_;
  std::vector<PeRegs> pes_;  // row-major, PE(r, c) at r * C + c
  std::vector<Operand> in0_;
  std::vector<std::uint32_t> bus_prev_;
  std::vector<Operand> wbus_;
  std::vector<std::uint32_t> wbus_prev_;
  std::vector<OutputColumn> cols_;
  std::vector<std::int64_t> out_;
  CycleProbe* probe_;
  CycleProbe::Sample next_sample_;
  const bool pe_lod_;
  HwCounters cnt_;
  // int8: register toggles of the last clock edge still to reach the
  // multipliers (operand side, weight side).
  std::uint64_t pend_a_ = 0, pend_w_ = 0;
};

}  // namespace

std::vector<std::int64_t> run_fast(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats,
                                   CycleProbe* probe) {
  FastArray a(mem, cfg, probe);
  const bool wide = cfg.acc_bits >= 64;
  if (mem.pairs)
    wide ? a.run<true, true, false>(stats) : a.run<true, false, false>(stats);
  else if (mem.signed_act)
    wide ? a.run<false, true, true>(stats) : a.run<false, false, true>(stats);
  else
    wide ? a.run<false, true, false>(stats) : a.run<false, false, false>(stats);
  return a.take_output();
}

}  // namespace sparq::hw
