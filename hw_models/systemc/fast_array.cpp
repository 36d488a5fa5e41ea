// The toggle counters are popcounts: use the instruction (every x86-64 CPU
// since 2008 has it) instead of libgcc's generic routine.
#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "fast_array.h"

#include <algorithm>
#include <vector>

namespace sparq::hw {

namespace {

struct OpReg {
  std::uint32_t pay = 0;
  std::uint32_t idx = 0;
  std::uint8_t ctl = 0;
};

struct MultTap {
  std::uint32_t key_a = ~0u, key_w = ~0u;  // inputs of the last sample (forces a first sample)
  std::uint32_t bits = 0;                  // multiplier input bits last sampled
};

struct PeState {
  OpReg a;                // horizontal operand register
  OpReg b;                // os: vertical weight register
  std::uint32_t w = 0;    // ws: stationary weight register
  std::int64_t psum = 0;  // ws: partial-sum register; os: accumulator
  std::uint8_t psum_ctl = 0;
  MultTap tap;
};

// Shared per-cycle bookkeeping of both dataflows.
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
    // Reset: data registers hold 0 (the activation entry of a zero pair).
    for (auto& p : pes_) p.a.idx = p.b.idx = mem.zero_index();
    if (cfg.dataflow == Dataflow::WS) acc_buf_.assign(static_cast<std::size_t>(mem.M) * C_, 0);
    if (probe_) {
      probe_->samples.clear();
      probe_->samples.emplace_back();
    }
  }

  template <bool Pairs>
  void run(ArrayStats& st) {
    while (fsm_.state().phase != Phase::Done) {
      if (cfg_.dataflow == Dataflow::WS)
        cycle_ws<Pairs>(st);
      else
        cycle_os<Pairs>(st);
    }
    st.cycles += fsm_.state().cycle;
    st.pe_cycles_available += static_cast<std::uint64_t>(R_) * C_ * fsm_.state().cycle;
    st.mult_slots_available += static_cast<std::uint64_t>(multipliers_per_pe(mem_.pe)) * R_ * C_ * fsm_.state().cycle;
    cnt_.add_to(st);
  }

  std::vector<std::int64_t> take_output() { return std::move(out_); }

 private:
  PeState& pe(int r, int c) { return pes_[static_cast<std::size_t>(r) * C_ + c]; }

  template <bool Pairs>
  std::int64_t product(const OpReg& a, std::uint32_t w) const {
    if constexpr (Pairs)
      return pair_product(mem_.enc[a.idx], weight_lo(w), weight_hi(w));
    else
      return int8_product(static_cast<std::uint8_t>(a.pay), weight_lo(w), mem_.signed_act);
  }

  template <bool Pairs>
  void sample_mult(MultTap& t, const OpReg& a, std::uint32_t w, HwCounters& k) {
    if (a.pay == t.key_a && w == t.key_w) return;
    t.key_a = a.pay;
    t.key_w = w;
    std::uint32_t bits;
    if constexpr (Pairs)
      bits = mem_.mult_inputs(a.idx, a.pay, w);
    else
      bits = pack_int8_mult_inputs(a.pay, w);
    k.mult_toggles += static_cast<std::uint64_t>(hamming(t.bits, bits));
    k.mult_w_toggles +=
        static_cast<std::uint64_t>(hamming(t.bits & mult_weight_mask(Pairs), bits & mult_weight_mask(Pairs)));
    t.bits = bits;
  }

  template <bool Pairs>
  int busy(const OpReg& a) const {
    if constexpr (Pairs)
      return busy_slots(mem_.pe, mem_.enc[a.idx].mode);
    else
      return 1;
  }

  static void load_reg(OpReg& reg, const OpReg& in, std::uint64_t& toggles, std::uint64_t& writes, HwCounters& k) {
    if (in.ctl & kEn) {
      toggles += static_cast<std::uint64_t>(hamming(reg.pay, in.pay));
      reg.pay = in.pay;
      reg.idx = in.idx;
      ++k.reg_writes;
      ++writes;
    }
    reg.ctl = in.ctl;
  }

  std::int64_t add(std::int64_t a, std::int64_t x, HwCounters& k) {
    // Common case first: the sum stays inside the register's range (the
    // bounds are the core's, Accumulator::fits at construction).
    if (cfg_.acc_bits < 63) {
      const std::int64_t exact = a + x;
      if (exact >= lo_ && exact <= hi_) return exact;
    }
    bool ovf = false;
    const std::int64_t v = wrapped_add(a, x, cfg_.acc_bits, &ovf);
    k.overflows += ovf;
    return v;
  }

  void write_psum(std::int64_t& reg, std::int64_t v, std::uint64_t& toggles, HwCounters& k) {
    toggles += static_cast<std::uint64_t>(
        hamming(static_cast<std::uint64_t>(reg) & mask_, static_cast<std::uint64_t>(v) & mask_));
    reg = v;
    ++k.reg_writes;
    ++k.psum_writes;
  }

  // Edge feeders: buses sampled for toggles; the row edge's view for PE(r, 0).
  void feed() {
    const CtlState& s = fsm_.state();
    for (int r = 0; r < R_; ++r) {
      const Slot bus = row_feed(mem_, s, R_, C_, cfg_.dataflow, r);
      cnt_.act_toggles += static_cast<std::uint64_t>(hamming(bus_prev_[r], bus.payload));
      bus_prev_[r] = bus.payload;
      if (mem_.edge && (bus.ctl & kEn)) ++cnt_.lod_edge;
      in0_[r] = OpReg{edge_payload(mem_, bus), bus.idx, bus.ctl};
    }
    for (int c = 0; c < C_; ++c) {
      const Slot bus = col_feed(mem_, s, R_, C_, cfg_.dataflow, c);
      cnt_.weight_toggles += static_cast<std::uint64_t>(hamming(wbus_prev_[c], bus.payload));
      wbus_prev_[c] = bus.payload;
      wbus_[c] = OpReg{bus.payload, bus.idx, bus.ctl};
    }
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

  // One ws PE for one cycle; `up` is the PE above (null in the top row),
  // read before it is updated (rows run bottom-up, columns right to left).
  template <bool Pairs>
  void ws_pe(PeState& p, const OpReg& ain, const PeState* up, bool mapped, bool load, std::uint32_t top_w,
             HwCounters& k, int& active) {
    sample_mult<Pairs>(p.tap, ain, p.w, k);
    const std::uint8_t pin_ctl = up ? up->psum_ctl : static_cast<std::uint8_t>(ain.ctl & (kValid | kLast));
    const std::int64_t pin = up ? up->psum : 0;
    const bool en = ain.ctl & kEn;
    if (en) {
      if (pe_lod_) ++k.lod_pe;
      if (mapped) {
        ++active;
        k.mult_busy += static_cast<std::uint64_t>(busy<Pairs>(ain));
      }
    }
    if (pin_ctl & kValid) write_psum(p.psum, en ? add(pin, product<Pairs>(ain, p.w), k) : pin, k.psum_toggles, k);
    p.psum_ctl = pin_ctl;
    load_reg(p.a, ain, k.act_toggles, k.act_writes, k);
    if (load) {
      const std::uint32_t win = up ? up->w : top_w;
      k.weight_toggles += static_cast<std::uint64_t>(hamming(p.w, win));
      p.w = win;
      ++k.reg_writes;
      ++k.weight_writes;
    }
  }

  template <bool Pairs>
  void cycle_ws(ArrayStats& st) {
    const CtlState s = fsm_.state();
    HwCounters k;
    feed();
    const std::uint8_t corner = C_ == 1 ? in0_[R_ - 1].ctl : pe(R_ - 1, C_ - 2).a.ctl;
    const std::uint8_t coll_last = pe(R_ - 1, C_ - 1).psum_ctl;
    const int inner_folds = folds_.second;
    // Output accumulators below the array: read-modify-write of the bottom psum registers.
    for (int c = 0; c < C_; ++c) {
      const PeState& p = pe(R_ - 1, c);
      if (!(p.psum_ctl & kValid)) continue;
      const int m = coll_m_[c];
      const int kf = coll_fold_[c] % inner_folds, nf = coll_fold_[c] / inner_folds;
      const int n = nf * C_ + c;
      if (n < mem_.N) {
        std::int64_t& e = acc_buf_[static_cast<std::size_t>(m) * C_ + c];
        const std::int64_t v = kf == 0 ? p.psum : add(e, p.psum, k);
        write_psum(e, v, k.acc_toggles, k);
        const bool final = kf == inner_folds - 1;
        if (final) out_[static_cast<std::size_t>(m) * mem_.N + n] = v;
        probe_write(c, m, n, v, final);
      }
      if (++coll_m_[c] == mem_.M) {
        coll_m_[c] = 0;
        ++coll_fold_[c];
      }
    }
    const bool load = s.phase == Phase::Load;
    const int mapped_cols = std::min(C_, mem_.N - s.outer * C_);
    int active = 0;
    for (int r = R_ - 1; r >= 0; --r) {
      PeState* row = &pes_[static_cast<std::size_t>(r) * C_];
      const PeState* up = r == 0 ? nullptr : row - C_;
      for (int c = C_ - 1; c >= 1; --c)
        ws_pe<Pairs>(row[c], row[c - 1].a, up ? &up[c] : nullptr, c < mapped_cols, load, wbus_[c].pay, k, active);
      ws_pe<Pairs>(row[0], in0_[r], up, 0 < mapped_cols, load, wbus_[0].pay, k, active);
    }
    k.pe_active += static_cast<std::uint64_t>(active);
    cnt_.merge(k);
    end_cycle(corner, coll_last, active, st);
  }

  template <bool Pairs>
  void cycle_os(ArrayStats& st) {
    const CtlState s = fsm_.state();
    HwCounters k;
    feed();
    const std::uint8_t corner = C_ == 1 ? in0_[R_ - 1].ctl : pe(R_ - 1, C_ - 2).a.ctl;
    const bool drain = s.phase == Phase::Drain;
    if (drain) {
      // Output collectors capture the bottom accumulators as the columns shift down.
      const int m = s.inner * R_ + (R_ - 1 - s.step);
      for (int c = 0; c < C_; ++c) {
        const int n = s.outer * C_ + c;
        if (m >= mem_.M || n >= mem_.N) continue;
        const std::int64_t v = pe(R_ - 1, c).psum;
        write_psum(out_reg_[c], v, k.acc_toggles, k);
        out_[static_cast<std::size_t>(m) * mem_.N + n] = v;
        probe_write(c, m, n, v, true);
      }
    }
    int active = 0;
    for (int r = R_ - 1; r >= 0; --r) {
      for (int c = C_ - 1; c >= 0; --c) {
        PeState& p = pe(r, c);
        const OpReg& ain = c == 0 ? in0_[r] : pe(r, c - 1).a;
        const OpReg& bin = r == 0 ? wbus_[c] : pe(r - 1, c).b;
        sample_mult<Pairs>(p.tap, ain, bin.pay, k);
        if ((ain.ctl & kEn) && pe_lod_) ++k.lod_pe;
        if ((ain.ctl & kEn) && (bin.ctl & kEn)) {
          ++active;
          k.mult_busy += static_cast<std::uint64_t>(busy<Pairs>(ain));
          write_psum(p.psum, add(p.psum, product<Pairs>(ain, bin.pay), k), k.psum_toggles, k);
        }
        if (drain) write_psum(p.psum, r == 0 ? 0 : pe(r - 1, c).psum, k.psum_toggles, k);
        load_reg(p.a, ain, k.act_toggles, k.act_writes, k);
        load_reg(p.b, bin, k.weight_toggles, k.weight_writes, k);
      }
    }
    k.pe_active += static_cast<std::uint64_t>(active);
    cnt_.merge(k);
    end_cycle(corner, 0, active, st);
  }

  const OperandMemory& mem_;
  const ArrayConfig& cfg_;
  const int R_, C_;
  const std::uint64_t mask_;
  const std::int64_t lo_, hi_;
  const std::pair<int, int> folds_;
  ControllerFsm fsm_;
  std::vector<PeState> pes_;
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
};

}  // namespace

std::vector<std::int64_t> run_fast(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats,
                                   CycleProbe* probe) {
  FastArray a(mem, cfg, probe);
  if (mem.pairs)
    a.run<true>(stats);
  else
    a.run<false>(stats);
  return a.take_output();
}

}  // namespace sparq::hw
