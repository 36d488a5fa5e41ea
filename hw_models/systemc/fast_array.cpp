// The toggle counters are popcounts: use the instruction (every x86-64 CPU
// since 2008 has it) instead of libgcc's generic routine.
#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "fast_array.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace sparq::hw {

namespace {

struct OpReg {
  std::uint32_t pay = 0;
  std::uint32_t idx = 0;
  std::uint8_t ctl = 0;
};

// One PE's registers (reset value 0; the operand register's activation entry
// is that of a zero pair).
struct PeRegs {
  std::int64_t psum = 0;      // ws partial-sum register / os accumulator
  std::uint32_t a = 0;        // horizontal operand register (payload)
  std::uint32_t a_idx = 0;    // its activation entry (pair designs)
  std::uint32_t w = 0;        // ws stationary weight register / os weight register flowing down
  std::uint32_t tap = 0;      // pair designs: multiplier input bits last sampled
  std::uint32_t key_a = ~0u;  // pair designs: the operand and weight `tap` was
  std::uint32_t key_w = ~0u;  //   computed from (no operand matches ~0: forces a first sample)
  std::uint8_t a_ctl = 0;     // control bits of the operand slot
  std::uint8_t ctl2 = 0;      // ws: psum control; os: weight slot control
};

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

// Per-cycle event counts of the PE array.
struct CycleCount {
  std::uint64_t mult = 0, mult_w = 0, act = 0, act_w = 0, weight = 0, weight_w = 0, psum = 0, psum_w = 0;
  std::uint64_t active = 0, busy = 0, lod_pe = 0, ovf = 0;
  std::uint64_t act_last_col = 0;     // part of `act` in the last column
  std::uint64_t weight_last_row = 0;  // os: part of `weight` in the last row
};

// What the PE loops read besides the registers, copied into a local so that
// register stores do not force reloads through `this`.
struct Ctx {
  const OperandMemory* mem;
  const EncodedPair* enc;
  const PeArith* pe;
  std::uint64_t mask;  // acc_bits
  std::int64_t lo;     // smallest acc_bits value
  std::uint64_t span;  // largest - smallest
  int acc_bits;
  bool pe_lod;
};

// The array's registers advanced one clock cycle at a time. Toggle counts of
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
        mask_(width_mask(cfg.acc_bits)),
        lo_(cfg.acc_bits >= 64 ? INT64_MIN : -(std::int64_t{1} << (cfg.acc_bits - 1))),
        hi_(cfg.acc_bits >= 64 ? INT64_MAX : (std::int64_t{1} << (cfg.acc_bits - 1)) - 1),
        folds_(fold_counts(mem, cfg.rows, cfg.cols, cfg.dataflow)),
        fsm_(cfg.dataflow, cfg.rows, cfg.cols, folds_.first, folds_.second),
        pes_(static_cast<std::size_t>(R_) * C_),
        in0_(R_),
        bus_prev_(R_, 0),
        wbus_(C_),
        wbus_prev_(C_, 0),
        coll_m_(C_, 0),
        coll_fold_(C_, 0),
        out_reg_(C_, 0),
        out_(static_cast<std::size_t>(mem.M) * mem.N, 0),
        probe_(probe),
        pe_lod_(mem.pairs && !mem.edge) {
    for (auto& p : pes_) p.a_idx = mem.zero_index();
    if (cfg.dataflow == Dataflow::WS) acc_buf_.assign(static_cast<std::size_t>(mem.M) * C_, 0);
    ctx_ = Ctx{&mem_,         mem_.enc.data(),
               &mem_.pe,      mask_,
               lo_,           static_cast<std::uint64_t>(hi_) - static_cast<std::uint64_t>(lo_),
               cfg_.acc_bits, pe_lod_};
    if (probe_) {
      probe_->samples.clear();
      probe_->samples.emplace_back();
    }
  }

  template <bool Pairs, bool Wide, bool Signed>
  void run(ArrayStats& st) {
    while (fsm_.state().phase != Phase::Done) {
      if (cfg_.dataflow == Dataflow::WS)
        cycle_ws<Pairs, Wide, Signed>(st);
      else
        cycle_os<Pairs, Wide, Signed>(st);
    }
    st.cycles += fsm_.state().cycle;
    st.pe_cycles_available += static_cast<std::uint64_t>(R_) * C_ * fsm_.state().cycle;
    st.mult_slots_available += static_cast<std::uint64_t>(multipliers_per_pe(mem_.pe)) * R_ * C_ * fsm_.state().cycle;
    cnt_.add_to(st);
  }

  std::vector<std::int64_t> take_output() { return std::move(out_); }

 private:
  std::size_t at(int r, int c) const { return static_cast<std::size_t>(r) * C_ + c; }

  // Signed: int8 with signed activations (OperandMemory::signed_act).
  template <bool Pairs, bool Signed>
  static std::int64_t product(const Ctx& x, std::uint32_t a_pay, std::uint32_t a_idx, std::uint32_t w) {
    if constexpr (Pairs)
      return pair_product(x.enc[a_idx], weight_lo(w), weight_hi(w));
    else
      return int8_product(static_cast<std::uint8_t>(a_pay), weight_lo(w), Signed);
  }

  // Pair designs: the routed multiplier inputs (OperandMemory::mult_inputs),
  // recomputed only when the operand or the weight changed. Adds the toggles
  // to field 2 of *tg and the weight-side part to *mult_w.
  static void sample_pair_mult(const Ctx& x, PeRegs& q, std::uint32_t a_pay, std::uint32_t a_idx, std::uint32_t w,
                               std::uint64_t& tg, std::uint64_t& mult_w) {
    if (a_pay == q.key_a && w == q.key_w) return;
    q.key_a = a_pay;
    q.key_w = w;
    const std::uint32_t bits = x.mem->mult_inputs(a_idx, a_pay, w);
    const std::uint32_t d = q.tap ^ bits;
    tg += pack3(0, 0, static_cast<std::uint64_t>(__builtin_popcount(d)));
    mult_w += static_cast<std::uint64_t>(__builtin_popcount(d & mult_weight_mask(true)));
    q.tap = bits;
  }

  static int busy_pair(const Ctx& x, std::uint32_t a_idx) { return busy_slots(*x.pe, x.enc[a_idx].mode); }

  // a + b in the acc_bits register. Inline: the sum and whether it leaves the
  // range (Wide: acc_bits = 64, where only the int64 addition can overflow;
  // otherwise a register value plus a product cannot overflow int64).
  template <bool Wide>
  static bool add_in_range(const Ctx& x, std::int64_t a, std::int64_t b, std::int64_t* v) {
    if constexpr (Wide) {
      return !__builtin_add_overflow(a, b, v);
    } else {
      *v = a + b;
      return static_cast<std::uint64_t>(*v) - static_cast<std::uint64_t>(x.lo) <= x.span;
    }
  }
  // The rare case: the wrapped sum, counting the overflow (wrapped_add).
  __attribute__((noinline)) static std::int64_t add_wrapped(const Ctx& x, std::int64_t a, std::int64_t b,
                                                            std::uint64_t& ovf) {
    bool o = false;
    const std::int64_t v = wrapped_add(a, b, x.acc_bits, &o);
    ovf += o;
    return v;
  }
  template <bool Wide>
  static std::int64_t add(const Ctx& x, std::int64_t a, std::int64_t b, std::uint64_t& ovf) {
    std::int64_t v;
    if (__builtin_expect(add_in_range<Wide>(x, a, b, &v), 1)) return v;
    return add_wrapped(x, a, b, ovf);
  }

  static std::uint64_t psum_hamming(const Ctx& x, std::int64_t a, std::int64_t b) {
    return static_cast<std::uint64_t>(
        __builtin_popcountll((static_cast<std::uint64_t>(a) ^ static_cast<std::uint64_t>(b)) & x.mask));
  }

  // Edge output accumulator / collector register write.
  void write_edge(std::int64_t& reg, std::int64_t v, HwCounters& k) const {
    k.acc_toggles += psum_hamming(ctx_, reg, v);
    reg = v;
    ++k.reg_writes;
    ++k.psum_writes;
  }

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

  // Edge feeders: buses sampled for toggles; the row edge's view for PE(r, 0).
  // Returns the toggles of the row buses and of the column buses.
  std::pair<std::uint64_t, std::uint64_t> feed() {
    const CtlState& s = fsm_.state();
    std::uint64_t row_t = 0, col_t = 0;
    for (int r = 0; r < R_; ++r) {
      const Slot bus = row_feed(mem_, s, R_, C_, cfg_.dataflow, r);
      row_t += static_cast<std::uint64_t>(hamming(bus_prev_[r], bus.payload));
      bus_prev_[r] = bus.payload;
      if (mem_.edge && (bus.ctl & kEn)) ++cnt_.lod_edge;
      in0_[r] = OpReg{edge_payload(mem_, bus), bus.idx, bus.ctl};
    }
    for (int c = 0; c < C_; ++c) {
      const Slot bus = col_feed(mem_, s, R_, C_, cfg_.dataflow, c);
      col_t += static_cast<std::uint64_t>(hamming(wbus_prev_[c], bus.payload));
      wbus_prev_[c] = bus.payload;
      wbus_[c] = OpReg{bus.payload, bus.idx, bus.ctl};
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
  void int8_mult_toggles(CycleCount& cc, std::uint64_t a_bus, std::uint64_t w_bus, bool ws) {
    cc.mult = a_bus + w_bus + pend_a_ + pend_w_;
    cc.mult_w = w_bus + pend_w_;
    pend_a_ = cc.act - cc.act_last_col;
    pend_w_ = ws ? cc.weight : cc.weight - cc.weight_last_row;
  }

  void end_cycle(std::uint8_t corner_ctl, std::uint8_t coll_ctl, int active, ArrayStats& st) {
    const char cls = fsm_.cycle_class(corner_ctl);
    switch (cls) {
      case 'L': ++st.weight_load; break;
      case 'F': ++st.fill; break;
      case 'S': ++st.stream; break;
      default: ++st.drain; break;
    }
    if (probe_) {
      auto& cur = probe_->samples.back();
      cur.active_pes = active;
      cur.phase = cls;
      probe_->samples.push_back(next_sample_);
      next_sample_.out_valid = false;
    }
    fsm_.clock(corner_ctl, coll_ctl);
  }

  void probe_write(int c, int m, int n, std::int64_t v, bool final) {
    if (!probe_ || c != probe_->col) return;
    next_sample_.out_valid = true;
    next_sample_.final = final;
    next_sample_.m = m;
    next_sample_.n = n;
    next_sample_.value = v;
  }

  // One row of ws PEs for one cycle. The registers of the row above are read
  // before they are updated (rows run bottom-up) and PE(r, c - 1)'s operand
  // register before it is updated (columns right to left): every PE sees the
  // values of the previous clock edge. Top: row 0 (partial sum in 0, weight
  // from the column bus). Load: the weight registers shift down. A disabled
  // slot is handled by selects rather than by skipping the PE (slot patterns
  // change every cycle): it contributes a zero product and leaves the data
  // registers as they are.
  template <bool Pairs, bool Wide, bool Signed, bool Top, bool Load>
  void ws_row(int r, int mapped_cols, CycleCount& t) {
    const Ctx x = ctx_;
    PeRegs* p = &pes_[at(r, 0)];
    const PeRegs* u = Top ? nullptr : p - C_;
    const OpReg* wbus = wbus_.data();
    std::uint64_t ev = 0;  // act_w | psum_w | active
    std::uint64_t tg = 0;  // act | psum | mult (pairs) toggles
    std::uint64_t wt = 0, mult_w = 0, busy = 0, lod = 0, ovf = 0;
    // mapped: std::true_type for the columns holding mapped outputs.
    auto pe = [&](auto mapped, int c, std::uint32_t ain, std::uint32_t ain_idx, std::uint8_t ain_ctl)
        __attribute__((always_inline)) {
      PeRegs& q = p[c];
      const std::uint32_t wv = q.w;
      if constexpr (Pairs) sample_pair_mult(x, q, ain, ain_idx, wv, tg, mult_w);
      const std::uint32_t en = (ain_ctl >> 1) & 1u;
      std::uint8_t pin_ctl;
      std::int64_t pin;
      if constexpr (Top) {
        pin_ctl = static_cast<std::uint8_t>(ain_ctl & (kValid | kLast));
        pin = 0;
      } else {
        pin_ctl = u[c].ctl2;
        pin = u[c].psum;
      }
      const std::uint32_t valid = pin_ctl & kValid;
      const std::uint32_t act_en = decltype(mapped)::value ? en : 0u;
      ev += pack3(en, valid, act_en);
      if constexpr (Pairs) {
        lod += en & static_cast<std::uint32_t>(x.pe_lod);
        if (act_en) busy += static_cast<std::uint64_t>(busy_pair(x, ain_idx));
      }
      const std::int64_t prod = en ? product<Pairs, Signed>(x, ain, ain_idx, wv) : 0;
      std::int64_t v;
      // pin is a register value and prod 0 unless enabled: only a valid,
      // enabled slot can leave the range, and only it counts an overflow.
      if (__builtin_expect(!add_in_range<Wide>(x, pin, prod, &v), 0)) v = valid ? add_wrapped(x, pin, prod, ovf) : pin;
      const std::int64_t old = q.psum;
      const std::int64_t nv = valid ? v : old;
      const std::uint32_t na = en ? ain : q.a;
      const std::uint64_t ta = static_cast<std::uint64_t>(__builtin_popcount(q.a ^ na));
      tg += pack3(ta, psum_hamming(x, old, nv), 0);
      q.psum = nv;
      q.ctl2 = pin_ctl;
      q.a = na;
      if constexpr (Pairs) q.a_idx = en ? ain_idx : q.a_idx;
      q.a_ctl = ain_ctl;
      if constexpr (Load) {
        const std::uint32_t win = Top ? wbus[c].pay : u[c].w;
        wt += static_cast<std::uint64_t>(__builtin_popcount(wv ^ win));
        q.w = win;
      }
      return ta;
    };
    const std::true_type yes;
    const std::false_type no;
    const OpReg& in = in0_[r];
    std::uint64_t last;
    if (C_ == 1) {
      last = mapped_cols > 0 ? pe(yes, 0, in.pay, in.idx, in.ctl) : pe(no, 0, in.pay, in.idx, in.ctl);
    } else {
      const int c = C_ - 1;
      last = c < mapped_cols ? pe(yes, c, p[c - 1].a, p[c - 1].a_idx, p[c - 1].a_ctl)
                             : pe(no, c, p[c - 1].a, p[c - 1].a_idx, p[c - 1].a_ctl);
      const int first_mapped = std::min(C_ - 2, mapped_cols - 1);
      for (int d = C_ - 2; d > first_mapped && d >= 1; --d) pe(no, d, p[d - 1].a, p[d - 1].a_idx, p[d - 1].a_ctl);
      for (int d = first_mapped; d >= 1; --d) pe(yes, d, p[d - 1].a, p[d - 1].a_idx, p[d - 1].a_ctl);
      mapped_cols > 0 ? pe(yes, 0, in.pay, in.idx, in.ctl) : pe(no, 0, in.pay, in.idx, in.ctl);
    }
    t.act_w += field(ev, 0);
    t.psum_w += field(ev, 1);
    t.active += field(ev, 2);
    t.act += field(tg, 0);
    t.psum += field(tg, 1);
    t.mult += field(tg, 2);
    t.act_last_col += last;
    t.mult_w += mult_w;
    t.weight += wt;
    if (Load) t.weight_w += static_cast<std::uint64_t>(C_);
    t.busy += busy;
    t.lod_pe += lod;
    t.ovf += ovf;
  }

  template <bool Pairs, bool Wide, bool Signed, bool Load>
  void ws_rows(int mapped_cols, CycleCount& k) {
    for (int r = R_ - 1; r >= 1; --r) ws_row<Pairs, Wide, Signed, false, Load>(r, mapped_cols, k);
    ws_row<Pairs, Wide, Signed, true, Load>(0, mapped_cols, k);
  }

  template <bool Pairs, bool Wide, bool Signed>
  void cycle_ws(ArrayStats& st) {
    const CtlState s = fsm_.state();
    HwCounters k;
    const auto [a_bus, w_bus] = feed();
    const std::uint8_t corner = C_ == 1 ? in0_[R_ - 1].ctl : pes_[at(R_ - 1, C_ - 2)].a_ctl;
    const std::uint8_t coll_last = pes_[at(R_ - 1, C_ - 1)].ctl2;
    const int inner_folds = folds_.second;
    // Output accumulators below the array: read-modify-write of the bottom psum registers.
    for (int c = 0; c < C_; ++c) {
      const PeRegs& p = pes_[at(R_ - 1, c)];
      if (!(p.ctl2 & kValid)) continue;
      const int m = coll_m_[c];
      const int kf = coll_fold_[c] % inner_folds, nf = coll_fold_[c] / inner_folds;
      const int n = nf * C_ + c;
      if (n < mem_.N) {
        std::int64_t& e = acc_buf_[static_cast<std::size_t>(m) * C_ + c];
        const std::int64_t v = kf == 0 ? p.psum : add<Wide>(ctx_, e, p.psum, k.overflows);
        write_edge(e, v, k);
        const bool final = kf == inner_folds - 1;
        if (final) out_[static_cast<std::size_t>(m) * mem_.N + n] = v;
        probe_write(c, m, n, v, final);
      }
      if (++coll_m_[c] == mem_.M) {
        coll_m_[c] = 0;
        ++coll_fold_[c];
      }
    }
    const int mapped_cols = std::min(C_, mem_.N - s.outer * C_);
    CycleCount cc;
    if (s.phase == Phase::Load)
      ws_rows<Pairs, Wide, Signed, true>(mapped_cols, cc);
    else
      ws_rows<Pairs, Wide, Signed, false>(mapped_cols, cc);
    if (!Pairs) {
      cc.busy = cc.active;  // one multiplier, busy when active
      int8_mult_toggles(cc, a_bus, 0, true);
    }
    add_counts(cc, k);
    cnt_.merge(k);
    end_cycle(corner, coll_last, static_cast<int>(cc.active), st);
  }

  // One row of os PEs for one cycle (same read-before-update order and
  // handling of disabled slots as ws_row). Top: row 0 (weights from the column bus;
  // drains take 0). Drain: the accumulators shift down one row.
  template <bool Pairs, bool Wide, bool Signed, bool Top, bool Drain>
  void os_row(int r, CycleCount& t) {
    const Ctx x = ctx_;
    PeRegs* p = &pes_[at(r, 0)];
    const PeRegs* u = Top ? nullptr : p - C_;
    const OpReg* wbus = wbus_.data();
    std::uint64_t ev = 0;  // act_w | psum_w (= active) | weight_w
    std::uint64_t tg = 0;  // act | psum | mult (pairs) toggles
    std::uint64_t wt = 0, mult_w = 0, busy = 0, lod = 0, ovf = 0;
    auto pe = [&](int c, std::uint32_t ain, std::uint32_t ain_idx, std::uint8_t ain_ctl)
        __attribute__((always_inline)) {
      PeRegs& q = p[c];
      std::uint32_t bin;
      std::uint8_t bin_ctl;
      if constexpr (Top) {
        bin = wbus[c].pay;
        bin_ctl = wbus[c].ctl;
      } else {
        bin = u[c].w;
        bin_ctl = u[c].ctl2;
      }
      if constexpr (Pairs) sample_pair_mult(x, q, ain, ain_idx, bin, tg, mult_w);
      const std::uint32_t aen = (ain_ctl >> 1) & 1u, ben = (bin_ctl >> 1) & 1u, both = aen & ben;
      ev += pack3(aen, both, ben);
      if constexpr (Pairs) {
        lod += aen & static_cast<std::uint32_t>(x.pe_lod);
        if (both) busy += static_cast<std::uint64_t>(busy_pair(x, ain_idx));
      }
      const std::int64_t old = q.psum;
      const std::int64_t prod = both ? product<Pairs, Signed>(x, ain, ain_idx, bin) : 0;
      std::int64_t v;
      // old is a register value: only an enabled product can leave the range.
      if (__builtin_expect(!add_in_range<Wide>(x, old, prod, &v), 0)) v = add_wrapped(x, old, prod, ovf);
      std::uint64_t tp = psum_hamming(x, old, v);
      if constexpr (Drain) {
        const std::int64_t d = Top ? 0 : u[c].psum;
        tp += psum_hamming(x, v, d);
        v = d;
      }
      q.psum = v;
      const std::uint32_t na = aen ? ain : q.a;
      const std::uint64_t ta = static_cast<std::uint64_t>(__builtin_popcount(q.a ^ na));
      tg += pack3(ta, tp, 0);
      q.a = na;
      if constexpr (Pairs) q.a_idx = aen ? ain_idx : q.a_idx;
      q.a_ctl = ain_ctl;
      const std::uint32_t nb = ben ? bin : q.w;
      wt += static_cast<std::uint64_t>(__builtin_popcount(q.w ^ nb));
      q.w = nb;
      q.ctl2 = bin_ctl;
      return ta;
    };
    const OpReg& in = in0_[r];
    std::uint64_t last;
    if (C_ == 1) {
      last = pe(0, in.pay, in.idx, in.ctl);
    } else {
      last = pe(C_ - 1, p[C_ - 2].a, p[C_ - 2].a_idx, p[C_ - 2].a_ctl);
      for (int c = C_ - 2; c >= 1; --c) pe(c, p[c - 1].a, p[c - 1].a_idx, p[c - 1].a_ctl);
      pe(0, in.pay, in.idx, in.ctl);
    }
    t.act_w += field(ev, 0);
    t.psum_w += field(ev, 1) + (Drain ? static_cast<std::uint64_t>(C_) : 0u);
    t.active += field(ev, 1);
    t.weight_w += field(ev, 2);
    t.act += field(tg, 0);
    t.psum += field(tg, 1);
    t.mult += field(tg, 2);
    t.act_last_col += last;
    t.mult_w += mult_w;
    t.weight += wt;
    if (r == R_ - 1) t.weight_last_row += wt;
    t.busy += busy;
    t.lod_pe += lod;
    t.ovf += ovf;
  }

  template <bool Pairs, bool Wide, bool Signed, bool Drain>
  void os_rows(CycleCount& k) {
    for (int r = R_ - 1; r >= 1; --r) os_row<Pairs, Wide, Signed, false, Drain>(r, k);
    os_row<Pairs, Wide, Signed, true, Drain>(0, k);
  }

  template <bool Pairs, bool Wide, bool Signed>
  void cycle_os(ArrayStats& st) {
    const CtlState s = fsm_.state();
    HwCounters k;
    const auto [a_bus, w_bus] = feed();
    const std::uint8_t corner = C_ == 1 ? in0_[R_ - 1].ctl : pes_[at(R_ - 1, C_ - 2)].a_ctl;
    const bool drain = s.phase == Phase::Drain;
    if (drain) {
      // Output collectors capture the bottom accumulators as the columns shift down.
      const int m = s.inner * R_ + (R_ - 1 - s.step);
      for (int c = 0; c < C_; ++c) {
        const int n = s.outer * C_ + c;
        if (m >= mem_.M || n >= mem_.N) continue;
        const std::int64_t v = pes_[at(R_ - 1, c)].psum;
        write_edge(out_reg_[c], v, k);
        out_[static_cast<std::size_t>(m) * mem_.N + n] = v;
        probe_write(c, m, n, v, true);
      }
    }
    CycleCount cc;
    if (drain)
      os_rows<Pairs, Wide, Signed, true>(cc);
    else
      os_rows<Pairs, Wide, Signed, false>(cc);
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
  const std::uint64_t mask_;
  const std::int64_t lo_, hi_;
  const std::pair<int, int> folds_;
  ControllerFsm fsm_;
  std::vector<PeRegs> pes_;  // row-major, PE(r, c) at r * C + c
  Ctx ctx_{};
  std::vector<OpReg> in0_;
  std::vector<std::uint32_t> bus_prev_;
  std::vector<OpReg> wbus_;
  std::vector<std::uint32_t> wbus_prev_;
  std::vector<int> coll_m_, coll_fold_;
  std::vector<std::int64_t> acc_buf_;
  std::vector<std::int64_t> out_reg_;
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
