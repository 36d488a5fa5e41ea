#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "fold_model.h"

#include "fold_schedule.h"
#include "pair_table.h"

#include <algorithm>
#include <cstdlib>
#include <type_traits>
#include <vector>

// Notation (hw_models/systemc/README.md "Dataflows, tiles and edges"): R x C
// array, GEMM M x N over S reduction steps (k, or k-pairs for the pair
// designs); folds walk column (N) folds outer and K folds (ws) or M folds
// (os) inner. An operand "entry" is one (m, s) of OperandMemory; the idle
// entry (zero_index) is what a row carries in an idle slot. P(e) is the
// operand register payload (raw, or the encoding with edge LOD), raw(e) the
// row bus payload (always raw). A register or bus sequence v_0, v_1, ... has
// toggles sum popcount(v_i ^ v_{i+1}); registers start at 0 and keep their
// value between the loads of a clock-gated sequence.
namespace sparq::hw {

namespace {

inline std::uint64_t pc(std::uint64_t x) {
  return static_cast<std::uint64_t>(__builtin_popcountll(x));
}

// --- SIMD kernels of the narrow path (every value fits int32: no adder can
// overflow and acc_bits <= 32). Each body is written once, always inlined
// into a portable wrapper and an AVX-512 one (vector popcount); the CPU
// picks at run time. Both give the same integers.
namespace kern {

template <bool Pairs>
[[gnu::always_inline]] inline void chain(std::int32_t* cur, const std::int32_t* a1, const std::int32_t* a2,
                                         std::int32_t w1, std::int32_t w2, int n) {
  for (int i = 0; i < n; ++i) {
    std::int32_t p = a1[i] * w1;
    if constexpr (Pairs) p += a2[i] * w2;
    cur[i] += p;
  }
}
// sum_{i >= 1} popcount((v[i-1] ^ v[i]) & mask)
[[gnu::always_inline]] inline std::uint64_t ham_run(const std::int32_t* v, int n, std::uint32_t mask) {
  std::uint64_t t = 0;
  for (int i = 1; i < n; ++i)
    t += static_cast<std::uint64_t>(
        __builtin_popcount((static_cast<std::uint32_t>(v[i - 1]) ^ static_cast<std::uint32_t>(v[i])) & mask));
  return t;
}
// One reduction step of an os fold: acc[r][c] += e1[r] * w1[c] (+ e2[r] *
// w2[c]) for rows r < rows and columns c < n; returns the accumulators'
// toggles.
template <bool Pairs>
[[gnu::always_inline]] inline std::uint64_t acc_step(std::int32_t* acc, const std::int32_t* e1, const std::int32_t* e2,
                                                     const std::int32_t* w1, const std::int32_t* w2, int rows, int n,
                                                     std::uint32_t mask) {
  std::uint64_t t = 0;
  for (int r = 0; r < rows; ++r) {
    std::int32_t* a = acc + static_cast<std::ptrdiff_t>(r) * n;
    const std::int32_t x1 = e1[r], x2 = Pairs ? e2[r] : 0;
    for (int c = 0; c < n; ++c) {
      std::int32_t p = x1 * w1[c];
      if constexpr (Pairs) p += x2 * w2[c];
      const std::int32_t v = a[c] + p;
      t += static_cast<std::uint64_t>(
          __builtin_popcount((static_cast<std::uint32_t>(a[c]) ^ static_cast<std::uint32_t>(v)) & mask));
      a[c] = v;
    }
  }
  return t;
}

// The output accumulators of a column: acc[i] (+)= add[i]; returns their toggles.
template <bool First>
[[gnu::always_inline]] inline std::uint64_t accumulate(std::int32_t* acc, const std::int32_t* add, int n,
                                                       std::uint32_t mask) {
  std::uint64_t t = 0;
  for (int i = 0; i < n; ++i) {
    const std::int32_t v = First ? add[i] : acc[i] + add[i];
    t += static_cast<std::uint64_t>(
        __builtin_popcount((static_cast<std::uint32_t>(acc[i]) ^ static_cast<std::uint32_t>(v)) & mask));
    acc[i] = v;
  }
  return t;
}

struct Table {
  void (*chain_pairs)(std::int32_t*, const std::int32_t*, const std::int32_t*, std::int32_t, std::int32_t, int);
  void (*chain_int8)(std::int32_t*, const std::int32_t*, const std::int32_t*, std::int32_t, std::int32_t, int);
  std::uint64_t (*ham_run)(const std::int32_t*, int, std::uint32_t);
  std::uint64_t (*acc_pairs)(std::int32_t*, const std::int32_t*, const std::int32_t*, const std::int32_t*,
                             const std::int32_t*, int, int, std::uint32_t);
  std::uint64_t (*acc_int8)(std::int32_t*, const std::int32_t*, const std::int32_t*, const std::int32_t*,
                            const std::int32_t*, int, int, std::uint32_t);
  std::uint64_t (*accumulate_first)(std::int32_t*, const std::int32_t*, int, std::uint32_t);
  std::uint64_t (*accumulate)(std::int32_t*, const std::int32_t*, int, std::uint32_t);
};

#define SPARQ_KERNELS(SUFFIX, ATTR)                                                                                 \
  ATTR void chain_pairs_##SUFFIX(std::int32_t* c, const std::int32_t* a1, const std::int32_t* a2, std::int32_t w1,  \
                                 std::int32_t w2, int n) {                                                          \
    chain<true>(c, a1, a2, w1, w2, n);                                                                              \
  }                                                                                                                 \
  ATTR void chain_int8_##SUFFIX(std::int32_t* c, const std::int32_t* a1, const std::int32_t* a2, std::int32_t w1,   \
                                std::int32_t w2, int n) {                                                           \
    chain<false>(c, a1, a2, w1, w2, n);                                                                             \
  }                                                                                                                 \
  ATTR std::uint64_t ham_run_##SUFFIX(const std::int32_t* v, int n, std::uint32_t mask) {                           \
    return ham_run(v, n, mask);                                                                                     \
  }                                                                                                                 \
  ATTR std::uint64_t acc_pairs_##SUFFIX(std::int32_t* a, const std::int32_t* e1, const std::int32_t* e2,            \
                                        const std::int32_t* w1, const std::int32_t* w2, int rows, int n,            \
                                        std::uint32_t mask) {                                                       \
    return acc_step<true>(a, e1, e2, w1, w2, rows, n, mask);                                                        \
  }                                                                                                                 \
  ATTR std::uint64_t acc_int8_##SUFFIX(std::int32_t* a, const std::int32_t* e1, const std::int32_t* e2,             \
                                       const std::int32_t* w1, const std::int32_t* w2, int rows, int n,             \
                                       std::uint32_t mask) {                                                        \
    return acc_step<false>(a, e1, e2, w1, w2, rows, n, mask);                                                       \
  }                                                                                                                 \
  ATTR std::uint64_t accumulate_first_##SUFFIX(std::int32_t* a, const std::int32_t* b, int n, std::uint32_t mask) { \
    return accumulate<true>(a, b, n, mask);                                                                         \
  }                                                                                                                 \
  ATTR std::uint64_t accumulate_##SUFFIX(std::int32_t* a, const std::int32_t* b, int n, std::uint32_t mask) {       \
    return accumulate<false>(a, b, n, mask);                                                                        \
  }

SPARQ_KERNELS(portable, )
#if defined(__x86_64__)
SPARQ_KERNELS(avx512, __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512vpopcntdq"))))
#endif
#undef SPARQ_KERNELS

const Table& table() {
  static const Table t = [] {
#if defined(__x86_64__)
    __builtin_cpu_init();
    const char* off = std::getenv("SPARQ_PORTABLE_KERNELS");  // tests force the portable kernels
    if (!(off && *off && *off != '0') && __builtin_cpu_supports("avx512vpopcntdq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
      return Table{chain_pairs_avx512, chain_int8_avx512,       ham_run_avx512,   acc_pairs_avx512,
                   acc_int8_avx512,    accumulate_first_avx512, accumulate_avx512};
#endif
    return Table{chain_pairs_portable, chain_int8_portable,       ham_run_portable,   acc_pairs_portable,
                 acc_int8_portable,    accumulate_first_portable, accumulate_portable};
  }();
  return t;
}

}  // namespace kern

class FoldModel {
 public:
  FoldModel(const OperandMemory& mem, const ArrayConfig& cfg)
      : mem_(mem),
        R_(cfg.rows),
        C_(cfg.cols),
        M_(mem.M),
        N_(mem.N),
        S_(mem.steps),
        ws_(cfg.dataflow == Dataflow::WS),
        pairs_(mem.pairs),
        dbl_(cfg.weight_buffering == WeightBuffering::Double),
        sched_(cfg.dataflow, cfg.weight_buffering, cfg.rows, cfg.cols, mem.M, mem.N, mem.steps),
        acc_bits_(cfg.acc_bits),
        mask_(width_mask(cfg.acc_bits)),
        lo_(cfg.acc_bits >= 64 ? INT64_MIN : -(std::int64_t{1} << (cfg.acc_bits - 1))),
        hi_(cfg.acc_bits >= 64 ? INT64_MAX : (std::int64_t{1} << (cfg.acc_bits - 1)) - 1),
        zero_(mem.zero_index()),
        out_(static_cast<std::size_t>(M_) * N_, 0) {
    const std::size_t entries = static_cast<std::size_t>(M_) * S_;
    pay_.resize(entries + 1);
    for (std::size_t i = 0; i <= entries; ++i)
      pay_[i] = mem.edge ? mem.act_enc[i] : (i == entries ? 0u : mem.act_raw[i]);
    // Effective activations, reduction-major (the psum chains walk m for a
    // fixed k): pair designs a1', a2' with pair_product = a1'*w1 + a2'*w2.
    e1_.resize(entries);
    if (pairs_) e2_.resize(entries);
    const PairTable* table = pairs_ ? &pair_table(mem.pe) : nullptr;
    for (int m = 0; m < M_; ++m)
      for (int s = 0; s < S_; ++s) {
        const std::uint32_t i = mem.act_index(m, s);
        const std::size_t t = static_cast<std::size_t>(s) * M_ + m;
        if (pairs_) {
          const auto& e = table->eff[mem.act_raw[i]];
          e1_[t] = e[0];
          e2_[t] = e[1];
        } else {
          const auto a = static_cast<std::uint8_t>(mem.act_raw[i]);
          e1_[t] = mem.signed_act ? static_cast<std::int8_t>(a) : a;
        }
      }
    const std::size_t wn = static_cast<std::size_t>(S_) * N_;
    w1_.resize(wn);
    if (pairs_) w2_.resize(wn);
    for (std::size_t i = 0; i < wn; ++i) {
      w1_[i] = static_cast<std::int8_t>(mem.wt[i] & 0xFFu);
      if (pairs_) w2_[i] = static_cast<std::int8_t>((mem.wt[i] >> 8) & 0xFFu);
    }
    // os, pair designs: the weight bits of the multiplier inputs for each
    // lane routing (lane_wsel 0..3) of every weight, so that a multiplier's
    // input word is lane_v | wparts[routing][s, n].
    if (pairs_ && !ws_) {
      wparts_.resize(4 * wn);
      for (std::uint32_t sel = 0; sel < 4; ++sel)
        for (std::size_t i = 0; i < wn; ++i) {
          const std::uint32_t w = mem.wt[i];
          wparts_[sel * wn + i] = (((w >> (8 * (sel & 1u))) & 0xFFu) << 8) | (((w >> (8 * (sel >> 1))) & 0xFFu) << 24);
        }
    }
    // No adder can leave the accumulator range when S products of the
    // largest magnitude fit: then the hot loops skip the range checks.
    const std::int64_t max_prod = pairs_ ? 2 * 255 * 128 : 255 * 128;
    safe_ = acc_bits_ >= 64 || static_cast<std::int64_t>(S_) * max_prod <= hi_;
    narrow_ = safe_ && acc_bits_ <= 32;  // and every value fits int32: the SIMD kernels
  }

  std::vector<std::int64_t> run(ArrayStats& st) {
    if (ws_)
      run_ws(st);
    else
      run_os(st);
    st.cycles += cycles_;
    st.pe_cycles_available += static_cast<std::uint64_t>(R_) * C_ * cycles_;
    st.mult_slots_available += static_cast<std::uint64_t>(multipliers_per_pe(mem_.pe)) * R_ * C_ * cycles_;
    k_.reg_writes = k_.act_writes + k_.weight_writes + k_.psum_writes;
    k_.add_to(st);
    return std::move(out_);
  }

 private:
  // --- Operand streams. A run is the entries one row carries in a fold,
  // first + i * stride for i < len (ws: a column of A; os: a row of A).
  struct Run {
    std::uint32_t first, stride;
    int len;
    std::uint32_t at(int i) const { return first + static_cast<std::uint32_t>(i) * stride; }
    std::uint32_t last() const { return at(len - 1); }
  };
  // What a run does to the row bus (raw payloads, idle 0 before and after),
  // to a register loading it (inner toggles; the first load adds the toggles
  // from the held value) and, for pair designs, to a multiplier whose weight
  // input is fixed: act-side toggles of the lanes' windows and the number of
  // lanes whose weight selection (w1 or w2) changes.
  struct RunStats {
    std::uint64_t bus = 0, reg_inner = 0, lane_inner = 0, wsel_inner = 0, busy = 0;
  };
  // os: what column n's weights (k = 0..S-1) do to the column bus (idle 0
  // around), to a register loading them (inner toggles) and, byte by byte,
  // to a multiplier lane selecting w1 (lo) or w2 (hi).
  struct WRun {
    std::uint64_t bus = 0, inner = 0, lo = 0, hi = 0;
  };
  RunStats run_stats(const Run& r) const {
    RunStats s;
    std::uint32_t prev_raw = 0;
    for (int i = 0; i < r.len; ++i) {
      const std::uint32_t e = r.at(i);
      const std::uint32_t raw = mem_.act_raw[e];
      s.bus += pc(prev_raw ^ raw);
      prev_raw = raw;
      if (i > 0) {
        const std::uint32_t p = r.at(i - 1);
        s.reg_inner += pc(pay_[p] ^ pay_[e]);
        if (pairs_) {
          s.lane_inner += pc(mem_.lane_v[p] ^ mem_.lane_v[e]);
          s.wsel_inner += pc(static_cast<std::uint32_t>(mem_.lane_wsel[p] ^ mem_.lane_wsel[e]));
        }
      }
      s.busy +=
          static_cast<std::uint64_t>(busy_slots(mem_.pe, mem_.enc.empty() ? PairMode::BothNonzero : mem_.enc[e].mode));
    }
    s.bus += pc(prev_raw);
    return s;
  }
  // Act-side toggles and weight-selection changes of a multiplier whose
  // operand input goes from entry a to entry b (weight input fixed).
  std::uint64_t lane_ham(std::uint32_t a, std::uint32_t b) const { return pc(mem_.lane_v[a] ^ mem_.lane_v[b]); }
  std::uint64_t wsel_ham(std::uint32_t a, std::uint32_t b) const {
    return pc(static_cast<std::uint32_t>(mem_.lane_wsel[a] ^ mem_.lane_wsel[b]));
  }
  // The weight byte lane l of a multiplier takes from weight pair w under
  // entry e's routing, and the multiplier input bits (OperandMemory::mult_inputs).
  std::uint32_t wbyte(std::uint32_t e, int l, std::uint32_t w) const {
    return (w >> (8 * ((mem_.lane_wsel[e] >> l) & 1u))) & 0xFFu;
  }
  std::uint32_t mult_bits(std::uint32_t e, std::uint32_t w) const {
    return mem_.lane_v[e] | (wbyte(e, 0, w) << 8) | (wbyte(e, 1, w) << 24);
  }
  // Toggles of the multiplier inputs (all, weight side) between two states.
  void mult_step(std::uint32_t e0, std::uint32_t w0, std::uint32_t e1, std::uint32_t w1) {
    const std::uint32_t d = mult_bits(e0, w0) ^ mult_bits(e1, w1);
    k_.mult_toggles += pc(d);
    k_.mult_w_toggles += pc(d & mult_weight_mask(true));
  }
  static std::uint64_t pair_flip(std::uint32_t w) { return pc((w ^ (w >> 8)) & 0xFFu); }

  // --- Accumulator arithmetic (wrapped_add semantics of the PEs' adders).
  std::int64_t add(std::int64_t a, std::int64_t b) {
    if (acc_bits_ >= 64) {
      std::int64_t v;
      if (!__builtin_add_overflow(a, b, &v)) return v;
    } else {
      const std::int64_t v = a + b;
      if (v >= lo_ && v <= hi_) return v;
    }
    bool o = false;
    const std::int64_t v = wrapped_add(a, b, acc_bits_, &o);
    k_.overflows += o;
    return v;
  }
  std::uint64_t ham(std::int64_t a, std::int64_t b) const {
    return pc((static_cast<std::uint64_t>(a) ^ static_cast<std::uint64_t>(b)) & mask_);
  }
  std::uint32_t weight(int s, int n) const {
    return s < S_ && n < N_ ? mem_.wt[static_cast<std::size_t>(s) * N_ + n] : 0u;
  }

  // ===================================================================
  // Weight stationary. Per fold: LOAD (R cycles), STREAM (M + R + C - 2
  // cycles), and one FLUSH cycle after the last fold. In fold (nf, kf), row r
  // holds reduction step k_r = kf*R + r (mapped if k_r < S), column c output
  // n_c = nf*C + c (mapped if n_c < N). Row r's bus carries slots m = 0..M-1
  // at stream steps r + m (enabled if k_r is mapped; idle entries, raw 0,
  // otherwise); PE(r, c) sees slot m at step r + c + m, so every PE of a row
  // loads the same sequence, and the fold ends with every slot loaded.
  //
  // Double buffering (docs/hardware.md "Weight buffering"): fold f streams
  // from FoldSchedule's stream_f and loads its weights into the shadow
  // registers from wload_f; PE(r, c) swaps them in when the fold's first slot
  // reaches it. What the registers hold, fold by fold, is what single
  // buffering gives (the shadow registers walk the load tape below with the
  // previous fold's weights as P_q; the operand, psum and output-accumulator
  // registers load the same sequences); what changes is (1) the active
  // weight register, written once per fold (W_{f-1} -> W_f), (2) the
  // multipliers, whose weight input changes only at the swap, together with
  // the operand input's first slot, (3) the buses where two folds' slots (or
  // loads) are adjacent, with no idle cycle between.
  void run_ws(ArrayStats& st) {
    const int NF = (N_ + C_ - 1) / C_, KF = (S_ + R_ - 1) / R_;
    const std::uint64_t folds = static_cast<std::uint64_t>(NF) * KF;
    cycles_ = sched_.cycles();
    // Cycle parts (the controller's cycle classes). Single: per fold R load,
    // R + C - 2 fill, M stream; 1 flush. Double: fold 0 loads R cycles; a
    // later fold's load overlaps the previous fold's stream and only its
    // last max(0, R - M) cycles find the corner without slots (load cycles,
    // from the corner's last slot of the previous fold to the load's end);
    // stream F * M, flush 1, the rest is fill.
    const auto uR = static_cast<std::uint64_t>(R_);
    st.stream += folds * static_cast<std::uint64_t>(M_);
    st.drain += 1;
    if (!dbl_) {
      st.weight_load += folds * uR;
      st.fill += folds * static_cast<std::uint64_t>(R_ + C_ - 2);
    } else {
      const std::uint64_t wl = uR + (folds - 1) * (M_ < R_ ? uR - static_cast<std::uint64_t>(M_) : 0u);
      st.weight_load += wl;
      st.fill += cycles_ - wl - folds * static_cast<std::uint64_t>(M_) - 1;
    }

    // Per reduction step k: the run down column k of A.
    std::vector<RunStats> ks(static_cast<std::size_t>(S_));
    for (int s = 0; s < S_; ++s)
      ks[s] = run_stats(Run{static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(S_), M_});

    std::vector<std::uint32_t> held_pay(R_, 0), held_idx(R_, zero_);                      // operand registers of row r
    wreg_.assign(static_cast<std::size_t>(R_) * C_, 0);                                   // weight registers (r, c)
    std::vector<std::int64_t> psum(static_cast<std::size_t>(R_) * C_, 0);                 // psum registers (r, c)
    std::vector<std::int64_t> acc(narrow_ ? 0 : static_cast<std::size_t>(M_) * C_, 0);    // output accumulators (m, c)
    std::vector<std::int32_t> acc32(narrow_ ? static_cast<std::size_t>(M_) * C_ : 0, 0);  // narrow: (c, m)
    std::vector<std::int64_t> cur(M_);
    std::vector<std::int32_t> cur32(narrow_ ? M_ : 0);
    const kern::Table& kt = kern::table();
    std::vector<std::uint32_t> tape(2 * static_cast<std::size_t>(R_));
    std::vector<std::uint64_t> dlo(2 * static_cast<std::size_t>(R_) + 1), dhi(dlo.size());
    std::uint64_t act_bus = 0, act_reg = 0, act_last_col = 0, w_reg = 0, w_swap = 0;
    // Every multiplier's first sample (tap 0 before it): the idle entry, weight 0.
    if (pairs_) k_.mult_toggles += static_cast<std::uint64_t>(R_) * C_ * pc(mult_bits(zero_, 0));
    // Double buffering: the new active weights (r, c); per row the raw
    // payload and the entry of the previous fold's last slot (0 / the idle
    // entry when the row was unmapped); per column the previous load's last
    // bus value.
    std::vector<std::uint32_t> wnew(dbl_ ? static_cast<std::size_t>(R_) * C_ : 0);
    std::vector<std::uint32_t> last_raw(R_, 0), last_idx(R_, zero_), last_b(C_, 0);
    FoldTimes prev_t;

    for (int nf = 0; nf < NF; ++nf)
      for (int kf = 0; kf < KF; ++kf) {
        const int n0 = nf * C_, k0 = kf * R_;
        const int f = nf * KF + kf;
        // Double buffering: this fold's slots follow the previous fold's on
        // the row buses with no idle cycle (period M), its load follows the
        // previous load on the column buses (R = C = 1), the next fold's
        // slots follow this fold's.
        const FoldTimes ft = sched_.fold(f);
        const bool adj_rows = dbl_ && f > 0 && ft.stream == prev_t.stream + static_cast<std::uint64_t>(M_);
        const bool adj_load = dbl_ && f > 0 && ft.wload == prev_t.wload + uR;
        const bool adj_next =
            dbl_ && f + 1 < static_cast<int>(folds) && sched_.period() == static_cast<std::uint64_t>(M_);
        prev_t = ft;
        const int mc = std::min(C_, N_ - n0), mr = std::min(R_, S_ - k0);
        const auto uM = static_cast<std::uint64_t>(M_), uC = static_cast<std::uint64_t>(C_);
        // Counts: every PE of a mapped row loads M operands (act writes, LOD
        // encodings) whatever its column; mapped PEs do useful work; R load
        // cycles write R x C weight registers each; every PE's psum register
        // takes M valid slots; mapped columns' output accumulators M writes.
        k_.pe_active += uM * static_cast<std::uint64_t>(mr) * static_cast<std::uint64_t>(mc);
        k_.act_writes += uC * uM * static_cast<std::uint64_t>(mr);
        if (mem_.pairs && !mem_.edge) k_.lod_pe += uC * uM * static_cast<std::uint64_t>(mr);
        if (mem_.edge) k_.lod_edge += uM * static_cast<std::uint64_t>(mr);
        k_.weight_writes += static_cast<std::uint64_t>(R_) * R_ * uC;
        k_.psum_writes += static_cast<std::uint64_t>(R_) * uC * uM + uM * static_cast<std::uint64_t>(mc);

        stream0_entry_ = static_cast<std::uint32_t>(k0);  // row 0's first slot: A(0, k0)
        // --- Weights. Column c's bus carries b_j = w(k0 + R-1-j, n_c) in
        // load cycle j (0 when unmapped), idle (0) otherwise. The weight
        // registers of a column form a shift register: PE(r) takes, in load
        // cycle j, what PE(r-1) held. With P_q PE(q)'s weight before the load,
        // the tape T = (P_{R-1}, ..., P_0, b_0, ..., b_{R-1}) (T[i], i = -R..R-1,
        // T[-1-q] = P_q, T[j] = b_j) passes PE(r) the values T[-1-r] ..
        // T[R-1-r]: each adjacent pair (T[i], T[i+1]) toggles PE(r) for the r
        // whose window holds it: R PEs for i = -1, R-1-i for i >= 0, R+1+i
        // for i <= -2. PE(r) ends with b_{R-1-r}.
        for (int c = 0; c < C_; ++c) {
          for (int j = 0; j < R_; ++j) tape[static_cast<std::size_t>(R_ + j)] = weight(k0 + R_ - 1 - j, n0 + c);
          for (int q = 0; q < R_; ++q) tape[static_cast<std::size_t>(R_ - 1 - q)] = wreg_[at(q, c)];
          std::uint64_t bus = pc(tape[R_]) + pc(tape[2 * static_cast<std::size_t>(R_) - 1]);
          for (int j = 1; j < R_; ++j) bus += pc(tape[R_ + j - 1] ^ tape[R_ + j]);
          // Adjacent loads: the bus goes from the last weight straight to the first.
          if (adj_load) bus = bus + pc(last_b[c] ^ tape[R_]) - pc(last_b[c]) - pc(tape[R_]);
          last_b[c] = tape[2 * static_cast<std::size_t>(R_) - 1];
          k_.weight_toggles += bus;
          std::uint64_t regs = 0;
          for (int i = -R_; i <= R_ - 2; ++i) {
            const std::uint64_t cnt = i == -1 ? R_ : (i >= 0 ? R_ - 1 - i : R_ + 1 + i);
            regs += cnt * pc(tape[R_ + i] ^ tape[R_ + i + 1]);
          }
          k_.weight_toggles += regs;
          w_reg += regs;
          if (dbl_) {
            // Shadow registers above; the active register swaps W_{f-1} -> W_f.
            for (int r = 0; r < R_; ++r) {
              const std::uint32_t w = tape[static_cast<std::size_t>(2 * R_ - 1 - r)];
              w_swap += pc(wreg_[at(r, c)] ^ w);
              wnew[at(r, c)] = w;
            }
            continue;
          }
          if (pairs_) ws_load_mult(c, held_idx, tape, dlo, dhi);
          for (int r = 0; r < R_; ++r) wreg_[at(r, c)] = tape[static_cast<std::size_t>(2 * R_ - 1 - r)];
        }
        if (dbl_) k_.weight_writes += static_cast<std::uint64_t>(R_) * uC;  // the swaps

        // --- Operands. Row r (mapped) carries run k_r: bus toggles; every
        // PE of the row loads it (first load toggles from the held value);
        // pair designs: the multipliers' operand-side toggles in the stream,
        // where each PE's weight is fixed (its final weight W).
        for (int r = 0; r < (dbl_ ? R_ : mr); ++r) {
          const int s = k0 + r;
          const bool mapped = r < mr;
          if (dbl_) {
            // Adjacent folds: the row bus goes from the previous fold's last
            // slot straight to this fold's first (both 0 when unmapped).
            const std::uint32_t first = mapped ? mem_.act_raw[static_cast<std::size_t>(s)] : 0u;
            if (adj_rows) act_bus = act_bus + pc(last_raw[r] ^ first) - pc(last_raw[r]) - pc(first);
            if (pairs_) {
              const Run run{static_cast<std::uint32_t>(mapped ? s : 0), static_cast<std::uint32_t>(S_), M_};
              ws_double_mult(mapped, run, mapped ? &ks[s] : nullptr, held_idx[r], adj_rows ? last_idx[r] : zero_,
                             !adj_next, &wreg_[at(r, 0)], &wnew[at(r, 0)]);
            }
            last_raw[r] = mapped ? mem_.act_raw[mem_.act_index(M_ - 1, s)] : 0u;
            last_idx[r] = mapped ? mem_.act_index(M_ - 1, s) : zero_;
            if (!mapped) continue;
          }
          const RunStats& rs = ks[s];
          const Run run{static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(S_), M_};
          act_bus += rs.bus;
          const std::uint64_t t = pc(held_pay[r] ^ pay_[run.first]) + rs.reg_inner;
          act_reg += uC * t;
          act_last_col += t;
          if (pairs_) {
            k_.mult_busy += rs.busy * static_cast<std::uint64_t>(mc);
            if (!dbl_) ws_stream_mult(r, run, rs, held_idx[r]);
          }
          held_pay[r] = pay_[run.last()];
          held_idx[r] = run.last();
        }
        if (dbl_) wreg_.swap(wnew);

        // --- Psums. Column c's psum chain: slot m's partial sum after row r
        // is cur[m] (+ the product of every mapped row above, wrapped at each
        // adder); PE(r, c)'s register takes cur[0..M-1] in order. Unmapped
        // columns compute with zero weights (cur = 0); unmapped rows pass the
        // psum through. The output accumulators below add the K folds.
        for (int c = 0; c < C_; ++c) {
          if (c >= mc) {
            for (int r = 0; r < R_; ++r) {
              k_.psum_toggles += ham(psum[at(r, c)], 0);
              psum[at(r, c)] = 0;
            }
            continue;
          }
          const int n = n0 + c;
          std::uint64_t inner = 0;
          if (narrow_)
            std::fill(cur32.begin(), cur32.end(), 0);
          else
            std::fill(cur.begin(), cur.end(), 0);
          for (int r = 0; r < R_; ++r) {
            if (r < mr) {
              const int s = k0 + r;
              if (narrow_) {
                const std::size_t wi = static_cast<std::size_t>(s) * N_ + n, ai = static_cast<std::size_t>(s) * M_;
                (pairs_ ? kt.chain_pairs : kt.chain_int8)(cur32.data(), &e1_[ai], pairs_ ? &e2_[ai] : nullptr, w1_[wi],
                                                          pairs_ ? w2_[wi] : 0, M_);
                inner = kt.ham_run(cur32.data(), M_, static_cast<std::uint32_t>(mask_));
              } else {
                if (pairs_)
                  safe_ ? ws_chain<true, true>(s, n, cur) : ws_chain<true, false>(s, n, cur);
                else
                  safe_ ? ws_chain<false, true>(s, n, cur) : ws_chain<false, false>(s, n, cur);
                inner = 0;
                for (int m = 1; m < M_; ++m) inner += ham(cur[m - 1], cur[m]);
              }
            }
            const std::int64_t first = narrow_ ? cur32[0] : cur[0], last = narrow_ ? cur32[M_ - 1] : cur[M_ - 1];
            k_.psum_toggles += ham(psum[at(r, c)], first) + inner;
            psum[at(r, c)] = last;
          }
          if (narrow_) {
            std::int32_t* e = &acc32[static_cast<std::size_t>(c) * M_];
            k_.acc_toggles +=
                (kf == 0 ? kt.accumulate_first : kt.accumulate)(e, cur32.data(), M_, static_cast<std::uint32_t>(mask_));
            if (kf == KF - 1)
              for (int m = 0; m < M_; ++m) out_[static_cast<std::size_t>(m) * N_ + n] = e[m];
            continue;
          }
          for (int m = 0; m < M_; ++m) {
            std::int64_t& e = acc[static_cast<std::size_t>(m) * C_ + c];
            const std::int64_t v = kf == 0 ? cur[m] : add(e, cur[m]);
            k_.acc_toggles += ham(e, v);
            e = v;
            if (kf == KF - 1) out_[static_cast<std::size_t>(m) * N_ + n] = v;
          }
        }
      }
    k_.act_toggles += act_bus + act_reg;
    if (!pairs_) {
      // int8: the multiplier of PE(r, c) sees (operand input, own weight
      // register) = (row bus or PE(r, c-1)'s register, w): its input toggles
      // are the bus toggles plus the register toggles of every operand
      // register but the last column's plus the weight registers' (no
      // register changes in the final cycle, after which nothing samples).
      // Double buffering: the weight input changes only at the swaps.
      const std::uint64_t w_in = dbl_ ? w_swap : w_reg;
      k_.mult_busy += k_.pe_active;
      k_.mult_toggles += act_bus + (act_reg - act_last_col) + w_in;
      k_.mult_w_toggles += w_in;
    }
    k_.weight_toggles += w_swap;
  }

  // One mapped row of a ws psum chain: cur[m] += A'(m, s) . W(s, n) for
  // every slot m (unchecked when no adder can overflow, safe_).
  template <bool Pairs, bool Safe>
  void ws_chain(int s, int n, std::vector<std::int64_t>& cur) {
    const std::size_t wi = static_cast<std::size_t>(s) * N_ + n;
    const std::int64_t w1 = w1_[wi], w2 = Pairs ? w2_[wi] : 0;
    const std::int32_t* a1 = &e1_[static_cast<std::size_t>(s) * M_];
    const std::int32_t* a2 = Pairs ? &e2_[static_cast<std::size_t>(s) * M_] : nullptr;
    std::int64_t* c = cur.data();
    for (int m = 0; m < M_; ++m) {
      std::int64_t p = a1[m] * w1;
      if constexpr (Pairs) p += a2[m] * w2;
      if constexpr (Safe)
        c[m] += p;
      else
        c[m] = add(c[m], p);
    }
  }

  // One mapped os row m over its mapped columns, 64-bit (wide or
  // overflowing accumulators): the accumulators' toggles and final values
  // (to xs[c]). The narrow path does all rows of a fold with kern::acc_step.
  template <bool Pairs, bool Safe>
  void os_row(int m, int n0, int mc, std::int64_t* xs) {
    using Acc = std::int64_t;
    std::vector<Acc> accv(static_cast<std::size_t>(mc), 0);
    Acc* acc = accv.data();
    using U = std::make_unsigned_t<Acc>;
    const U mask = static_cast<U>(mask_);
    std::uint64_t ptg = 0;
    for (int s = 0; s < S_; ++s) {
      const std::size_t t = static_cast<std::size_t>(s) * M_ + m, wi = static_cast<std::size_t>(s) * N_ + n0;
      const Acc e1 = static_cast<Acc>(e1_[t]), e2 = Pairs ? static_cast<Acc>(e2_[t]) : 0;
      const std::int32_t* w1 = &w1_[wi];
      const std::int32_t* w2 = Pairs ? &w2_[wi] : nullptr;
      for (int c = 0; c < mc; ++c) {
        Acc p = e1 * w1[c];
        if constexpr (Pairs) p += e2 * w2[c];
        Acc v;
        if constexpr (Safe)
          v = acc[c] + p;
        else
          v = add(acc[c], p);
        // Double buffering: the last add goes to the output register and
        // the accumulator clears (see run_os).
        const U to = dbl_ && s == S_ - 1 ? U{0} : static_cast<U>(v);
        ptg += pc(static_cast<U>(static_cast<U>(acc[c]) ^ to) & mask);
        acc[c] = v;
      }
    }
    k_.psum_toggles += ptg;
    for (int c = 0; c < mc; ++c) xs[c] = acc[c];
  }

  // The multipliers of os row m's mapped PEs, whose operand and weight
  // change together at every step s. Step 0 comes from the fold-start inputs
  // (a0: c = 0 the idle bus, else the row's held entry; b0: r = 0 the idle
  // bus, else column c's held weight). From step s-1 to s every PE of the row
  // has the same operand-side change (the row's entries) and a weight-side
  // change that depends only on (s, the two entries' lane routings): summed
  // over the fold's columns once per (s, routings) and memoized, so a row
  // costs O(S). After the last step the idle buses follow (c = 0 operand,
  // r = 0 weight).
  void os_row_mult(int m, int r, int n0, int mc, std::uint32_t a_held, const std::vector<std::uint32_t>& b_held) {
    const std::size_t wn = static_cast<std::size_t>(S_) * N_;
    std::uint32_t e_prev = mem_.act_index(m, 0);
    for (int c = 0; c < mc; ++c)
      mult_step(c == 0 ? zero_ : a_held, r == 0 ? 0u : b_held[c], e_prev, mem_.wt[static_cast<std::size_t>(n0 + c)]);
    std::uint64_t lanes = 0, wside = 0;
    for (int s = 1; s < S_; ++s) {
      const std::uint32_t e = mem_.act_index(m, s);
      lanes += pc(mem_.lane_v[e_prev] ^ mem_.lane_v[e]);
      const std::uint32_t sp = mem_.lane_wsel[e_prev], sc = mem_.lane_wsel[e];
      std::int64_t& memo = wtab_[static_cast<std::size_t>(s) * 16 + sp * 4 + sc];
      if (memo < 0) {
        const std::uint32_t* a = &wparts_[sp * wn + static_cast<std::size_t>(s - 1) * N_ + n0];
        const std::uint32_t* b = &wparts_[sc * wn + static_cast<std::size_t>(s) * N_ + n0];
        std::uint64_t t = 0;
        for (int c = 0; c < mc; ++c) t += pc(a[c] ^ b[c]);
        memo = static_cast<std::int64_t>(t);
      }
      wside += static_cast<std::uint64_t>(memo);
      e_prev = e;
    }
    k_.mult_toggles += lanes * static_cast<std::uint64_t>(mc) + wside;
    k_.mult_w_toggles += wside;
    const std::uint32_t ea = mem_.act_index(m, S_ - 1);
    for (int c = 0; c < mc; ++c) {
      if (c != 0 && r != 0) break;
      const std::uint32_t wb = mem_.wt[static_cast<std::size_t>(S_ - 1) * N_ + n0 + c];
      mult_step(ea, wb, c == 0 ? zero_ : ea, r == 0 ? 0u : wb);
    }
  }

  // ws, pair designs, weight load of column c: the multiplier of PE(r, c)
  // samples (operand input, weight register); during the load its operand
  // input is fixed (c >= 1: PE(r, c-1)'s register, the row's held entry;
  // c = 0: the idle bus) and its weight walks T[-1-r] .. T[R-1-r]: each step
  // toggles the weight bytes its lanes select. The last step (into stream
  // step 0) meets PE(0, 0)'s first operand when row 0 is mapped.
  void ws_load_mult(int c, const std::vector<std::uint32_t>& held_idx, const std::vector<std::uint32_t>& tape,
                    std::vector<std::uint64_t>& dlo, std::vector<std::uint64_t>& dhi) {
    // Prefix sums over tape steps i = -R .. R-2 (index i + R).
    dlo[0] = dhi[0] = 0;
    for (int i = -R_; i <= R_ - 2; ++i) {
      const std::uint32_t x = tape[R_ + i] ^ tape[R_ + i + 1];
      dlo[R_ + i + 1] = dlo[R_ + i] + pc(x & 0xFFu);
      dhi[R_ + i + 1] = dhi[R_ + i] + pc((x >> 8) & 0xFFu);
    }
    const auto window = [&](std::uint32_t e, int from, int to) {  // steps i in [from, to)
      std::uint64_t t = 0;
      for (int l = 0; l < 2; ++l) {
        const auto& d = ((mem_.lane_wsel[e] >> l) & 1u) ? dhi : dlo;
        t += d[R_ + to] - d[R_ + from];
      }
      return t;
    };
    for (int r = 0; r < R_; ++r) {
      const int from = -1 - r, to = R_ - 1 - r;  // steps from .. to-1
      if (c > 0) {
        const std::uint64_t t = window(held_idx[r], from, to);
        k_.mult_toggles += t;
        k_.mult_w_toggles += t;
        continue;
      }
      // c = 0: the idle entry during the load; the last step is into stream
      // step 0, where row 0's bus carries its first slot if mapped.
      const std::uint64_t t = window(zero_, from, to - 1);
      k_.mult_toggles += t;
      k_.mult_w_toggles += t;
      const std::uint32_t e1 = r == 0 ? stream0_entry_ : zero_;  // row 0 is always mapped
      mult_step(zero_, tape[R_ + to - 1], e1, tape[R_ + to]);
    }
  }

  // ws, pair designs, stream of mapped row r: PE(r, c)'s weight is fixed at
  // W = its final weight (wreg_ after the load); its operand input changes with the row's run.
  // c >= 1: held entry -> run (the register of PE(r, c-1)); c = 0: the bus,
  // idle -> run -> idle (row 0's first slot is counted with the load).
  void ws_stream_mult(int r, const Run& run, const RunStats& rs, std::uint32_t held) {
    const std::uint64_t lanes = lane_ham(held, run.first) + rs.lane_inner;
    const std::uint64_t wsel = wsel_ham(held, run.first) + rs.wsel_inner;
    std::uint64_t lanes0 = rs.lane_inner + lane_ham(run.last(), zero_);
    std::uint64_t wsel0 = rs.wsel_inner + wsel_ham(run.last(), zero_);
    if (r > 0) {
      lanes0 += lane_ham(zero_, run.first);
      wsel0 += wsel_ham(zero_, run.first);
    }
    k_.mult_toggles += lanes * static_cast<std::uint64_t>(C_ - 1) + lanes0;
    for (int c = 0; c < C_; ++c) {
      const std::uint32_t w = wreg_[at(r, c)];
      const std::uint64_t t = (c == 0 ? wsel0 : wsel) * pair_flip(w);
      k_.mult_toggles += t;
      k_.mult_w_toggles += t;
    }
  }

  // ws double buffering, pair designs: the multipliers of one row in one
  // fold. PE(r, c)'s weight input is its active weight W_{f-1} (wprev) until
  // the fold's first slot reaches it, and W_f (wnew) from that cycle on (the
  // mux takes the shadow register, then the active register holds it), so
  // the weight changes in the same cycle as the operand input's first slot:
  // c >= 1: the left register, held -> the run (mapped row) or held (an
  // unmapped row's slots carry no data); c = 0: the row bus, from
  // bus_before (idle, or the previous fold's last slot when adjacent) to the
  // run (the idle entry when unmapped), back to idle after the run unless
  // the next fold's slots follow (idle_after false).
  void ws_double_mult(bool mapped, const Run& run, const RunStats* rs, std::uint32_t held, std::uint32_t bus_before,
                      bool idle_after, const std::uint32_t* wprev, const std::uint32_t* wnew) {
    const std::uint32_t first = mapped ? run.first : zero_;
    for (int c = 0; c < C_; ++c) {
      const std::uint32_t a0 = c == 0 ? bus_before : held;
      const std::uint32_t a1 = mapped ? first : (c == 0 ? zero_ : held);
      mult_step(a0, wprev[c], a1, wnew[c]);
      if (!mapped) continue;
      const std::uint64_t t = rs->wsel_inner * pair_flip(wnew[c]);
      k_.mult_toggles += rs->lane_inner + t;
      k_.mult_w_toggles += t;
    }
    if (mapped && idle_after) mult_step(run.last(), wnew[0], zero_, wnew[0]);
  }

  // ===================================================================
  // Output stationary: per fold STREAM (S + R + C - 2 cycles) and DRAIN (R
  // cycles). In fold (nf, mf), row r accumulates m_r = mf*R + r (mapped if
  // m_r < M), column c n_c = nf*C + c. Row r's bus carries A(m_r, k) at
  // stream step r + k, column c's bus w(k, n_c) at step c + k; PE(r, c) sees
  // both at step r + c + k. Its accumulator starts the fold at 0 (the drain
  // shifts zeros in from the top).
  //
  // Double buffering (docs/hardware.md "Weight buffering"): fold f streams
  // from stream_f (FoldSchedule); PE(r, c)'s last MAC writes the output
  // register (the accumulator clears), and the output registers of rows
  // 1..R-1 shift down in the fold's R drain cycles (row 0 holds) while the
  // next fold streams. The operand and weight registers load what single
  // buffering gives; what changes is (1) the accumulators (their last add
  // goes to the output register: the accumulator toggles from its last
  // partial value to 0), (2) the output registers, (3) the buses and the
  // edge multipliers where two folds' slots are adjacent (period S).
  void run_os(ArrayStats& st) {
    const int NF = (N_ + C_ - 1) / C_, MF = (M_ + R_ - 1) / R_;
    const std::uint64_t folds = static_cast<std::uint64_t>(NF) * MF;
    cycles_ = sched_.cycles();
    // Cycle parts (the controller's cycle classes). Single: per fold R + C - 2
    // fill, S stream, R drain. Double: the corner idles period - S cycles
    // between two folds, from the cycle the earlier fold's drain starts:
    // min(R, period - S) of them drain cycles; the last fold drains R; the
    // rest is fill.
    const auto uR = static_cast<std::uint64_t>(R_), uS0 = static_cast<std::uint64_t>(S_);
    const std::uint64_t P = sched_.period();
    st.stream += folds * uS0;
    if (!dbl_) {
      st.fill += folds * static_cast<std::uint64_t>(R_ + C_ - 2);
      st.drain += folds * uR;
    } else {
      const std::uint64_t dr = uR + (folds - 1) * std::min(uR, P - uS0);
      st.drain += dr;
      st.fill += cycles_ - folds * uS0 - dr;
    }
    // Double buffering: output registers of column c after the last drain
    // (every row holds row 0's result); the previous fold's origin and size.
    std::vector<std::int64_t> out_hold(C_, 0);
    int pm0 = 0, pn0 = 0, pmr = 0, pmc = 0;
    // Period S: the next fold's slots follow the last ones on every bus.
    const bool adj = dbl_ && P == uS0;

    // Per output row m: the run along row m of A; per column n: the weights.
    std::vector<RunStats> ms(static_cast<std::size_t>(M_));
    for (int m = 0; m < M_; ++m) ms[m] = run_stats(Run{mem_.act_index(m, 0), 1u, S_});
    std::vector<WRun> ns(static_cast<std::size_t>(N_));
    for (int n = 0; n < N_; ++n) {
      WRun& w = ns[n];
      std::uint32_t prev = 0;
      for (int s = 0; s < S_; ++s) {
        const std::uint32_t x = mem_.wt[static_cast<std::size_t>(s) * N_ + n];
        w.bus += pc(prev ^ x);
        if (s) {
          w.inner += pc(prev ^ x);
          w.lo += pc((prev ^ x) & 0xFFu);
          w.hi += pc(((prev ^ x) >> 8) & 0xFFu);
        }
        prev = x;
      }
      w.bus += pc(prev);
    }
    std::vector<std::uint32_t> held_pay(R_, 0), held_idx(R_, zero_);  // operand registers of row r
    std::vector<std::uint32_t> held_w(C_, 0);                         // weight registers of column c
    std::vector<std::int64_t> out_reg(C_, 0);                         // output collectors
    std::vector<std::int64_t> x(R_), xs(static_cast<std::size_t>(R_) * C_);
    std::vector<std::int32_t> acc32;
    const kern::Table& kt = kern::table();
    std::uint64_t act_bus = 0, act_reg = 0, act_last_col = 0, w_bus = 0, w_reg = 0, w_last_row = 0;
    if (pairs_) k_.mult_toggles += static_cast<std::uint64_t>(R_) * C_ * pc(mult_bits(zero_, 0));

    for (int nf = 0; nf < NF; ++nf)
      for (int mf = 0; mf < MF; ++mf) {
        const int n0 = nf * C_, m0 = mf * R_;
        const int mc = std::min(C_, N_ - n0), mr = std::min(R_, M_ - m0);
        const auto uS = static_cast<std::uint64_t>(S_);
        k_.pe_active += uS * static_cast<std::uint64_t>(mr) * static_cast<std::uint64_t>(mc);
        k_.act_writes += static_cast<std::uint64_t>(C_) * uS * static_cast<std::uint64_t>(mr);
        if (mem_.pairs && !mem_.edge) k_.lod_pe += static_cast<std::uint64_t>(C_) * uS * static_cast<std::uint64_t>(mr);
        if (mem_.edge) k_.lod_edge += uS * static_cast<std::uint64_t>(mr);
        k_.weight_writes += static_cast<std::uint64_t>(R_) * uS * static_cast<std::uint64_t>(mc);
        // Active PEs write their accumulator; the drain writes all R x C, R times;
        // the collectors take the mapped outputs.
        const std::uint64_t mapped_pes = static_cast<std::uint64_t>(mr) * static_cast<std::uint64_t>(mc);
        if (!dbl_) {
          k_.psum_writes += uS * mapped_pes + static_cast<std::uint64_t>(R_) * R_ * C_ + mapped_pes;
        } else {
          // Double: a mapped PE's last add writes the output register, and
          // every PE's capture writes both registers (2 R C - mapped more);
          // the drain writes rows 1..R-1, except where the next fold's
          // capture takes the same edge: PE(1, 0) when the period is
          // 2R + C - 3 (FoldSchedule::period).
          const bool shared =
              nf * MF + mf + 1 < static_cast<int>(folds) && R_ >= 2 && P == static_cast<std::uint64_t>(2 * R_ + C_ - 3);
          k_.psum_writes += uS * mapped_pes + 2 * static_cast<std::uint64_t>(R_) * C_ - mapped_pes +
                            static_cast<std::uint64_t>(R_) * (R_ - 1) * C_ - (shared ? 1u : 0u) + mapped_pes;
          if (nf * MF + mf > 0 && adj) os_adjacent(m0, n0, mr, mc, pm0, pn0, pmr, pmc, act_bus, w_bus);
          pm0 = m0;
          pn0 = n0;
          pmr = mr;
          pmc = mc;
        }

        // held_idx / held_w stay the fold-start register values (the
        // multipliers' inputs before a PE's first slot) until the end of the fold.
        for (int r = 0; r < mr; ++r) {
          const RunStats& rs = ms[m0 + r];
          const Run run{mem_.act_index(m0 + r, 0), 1u, S_};
          act_bus += rs.bus;
          const std::uint64_t t = pc(held_pay[r] ^ pay_[run.first]) + rs.reg_inner;
          act_reg += static_cast<std::uint64_t>(C_) * t;
          act_last_col += t;
          if (pairs_) k_.mult_busy += rs.busy * static_cast<std::uint64_t>(mc);
        }
        for (int c = 0; c < mc; ++c) {
          const WRun& w = ns[n0 + c];
          w_bus += w.bus;
          const std::uint64_t t = pc(held_w[c] ^ mem_.wt[static_cast<std::size_t>(n0 + c)]) + w.inner;
          w_reg += static_cast<std::uint64_t>(R_) * t;
          w_last_row += t;
        }
        if (pairs_) os_mult(m0, n0, mr, mc, ms, held_idx, held_w, ns);

        // Accumulators: mapped PEs sum their products (wrapped at each add);
        // then the drain. With X_r PE(r, c)'s final value (0 unmapped), drain
        // cycle j gives PE(r) X_{r-j} (0 for r < j): PE(r) toggles
        // |X_{r-j} ^ X_{r-1-j}| for r > j and |X_0| for r = j, i.e. R |X_0| +
        // sum_{i>=1} (R-i) |X_i ^ X_{i-1}|; the collector takes X_{R-1-j}.
        if (pairs_ && mf == 0) wtab_.assign(static_cast<std::size_t>(S_) * 16, -1);  // per column fold
        std::fill(xs.begin(), xs.end(), 0);
        for (int r = 0; r < mr; ++r) {
          std::int64_t* row = &xs[static_cast<std::size_t>(r) * C_];
          const int m = m0 + r;
          if (narrow_) break;  // all rows at once below
          if (pairs_) {
            if (safe_)
              os_row<true, true>(m, n0, mc, row);
            else
              os_row<true, false>(m, n0, mc, row);
          } else {
            if (safe_)
              os_row<false, true>(m, n0, mc, row);
            else
              os_row<false, false>(m, n0, mc, row);
          }
        }
        if (narrow_) {
          // Step by step over the fold's mapped rows: acc(r, c) += A'(m_r, s) . W(s, n_c).
          acc32.assign(static_cast<std::size_t>(mr) * mc, 0);
          std::uint64_t tg = 0;
          const auto step = pairs_ ? kt.acc_pairs : kt.acc_int8;
          for (int s = 0; s < S_; ++s) {
            const std::size_t ai = static_cast<std::size_t>(s) * M_ + m0, wi = static_cast<std::size_t>(s) * N_ + n0;
            std::uint64_t clear = 0;  // double: the last add goes to the output register, the accumulator to 0
            if (dbl_ && s == S_ - 1)
              for (const std::int32_t v : acc32) clear += pc(static_cast<std::uint32_t>(v) & mask_);
            const std::uint64_t t = step(acc32.data(), &e1_[ai], pairs_ ? &e2_[ai] : nullptr, &w1_[wi],
                                         pairs_ ? &w2_[wi] : nullptr, mr, mc, static_cast<std::uint32_t>(mask_));
            tg += dbl_ && s == S_ - 1 ? clear : t;
          }
          k_.psum_toggles += tg;
          for (int r = 0; r < mr; ++r)
            for (int c = 0; c < mc; ++c)
              xs[static_cast<std::size_t>(r) * C_ + c] = acc32[static_cast<std::size_t>(r) * mc + c];
        }
        if (pairs_)
          for (int r = 0; r < mr; ++r) os_row_mult(m0 + r, r, n0, mc, held_idx[r], held_w);
        for (int c = 0; c < C_; ++c) {
          const int n = n0 + c;
          for (int r = 0; r < R_; ++r) x[r] = xs[static_cast<std::size_t>(r) * C_ + c];
          // Double: the output registers capture X_r from X_0 of the
          // previous fold, then shift as the accumulators do under single
          // buffering, row 0 holding: row r passes X_r .. X_0 and keeps X_0.
          std::uint64_t drain = 0;
          if (dbl_) {
            for (int r = 0; r < R_; ++r) drain += ham(out_hold[c], x[r]);
            out_hold[c] = x[0];
          } else {
            drain = static_cast<std::uint64_t>(R_) * ham(x[0], 0);
          }
          for (int i = 1; i < R_; ++i) drain += static_cast<std::uint64_t>(R_ - i) * ham(x[i], x[i - 1]);
          k_.psum_toggles += drain;
          if (c >= mc) continue;
          for (int r = R_ - 1; r >= 0; --r) {
            if (r >= mr) continue;
            k_.acc_toggles += ham(out_reg[c], x[r]);
            out_reg[c] = x[r];
            out_[static_cast<std::size_t>(m0 + r) * N_ + n] = x[r];
          }
        }
        for (int r = 0; r < mr; ++r) {
          const Run run{mem_.act_index(m0 + r, 0), 1u, S_};
          held_pay[r] = pay_[run.last()];
          held_idx[r] = run.last();
        }
        for (int c = 0; c < mc; ++c) held_w[c] = mem_.wt[static_cast<std::size_t>(S_ - 1) * N_ + n0 + c];
      }
    k_.act_toggles += act_bus + act_reg;
    k_.weight_toggles += w_bus + w_reg;
    if (!pairs_) {
      // int8: multiplier inputs (operand input, weight input) = (row bus or
      // left register, column bus or upper register): bus toggles plus the
      // register toggles of all but the last column / last row.
      k_.mult_busy += k_.pe_active;
      k_.mult_toggles += act_bus + w_bus + (act_reg - act_last_col) + (w_reg - w_last_row);
      k_.mult_w_toggles += w_bus + (w_reg - w_last_row);
    }
  }

  // os double buffering with period S: fold (m0, n0)'s slots follow those
  // of the previous fold (pm0, pn0) on every bus with no idle cycle between,
  // where the fold-by-fold counts assume an idle bus (0, the idle entry)
  // between folds. Corrects them: each row and column bus goes from the last
  // slot straight to the first (0 for an unmapped row or column), and each
  // multiplier fed by a bus (row 0: weights, column 0: operands) goes from
  // its last input state straight to the first instead of through the idle
  // state (the registers feeding the others hold between folds anyway).
  void os_adjacent(int m0, int n0, int mr, int mc, int pm0, int pn0, int pmr, int pmc, std::uint64_t& act_bus,
                   std::uint64_t& w_bus) {
    const auto last_entry = [&](int r) { return r < pmr ? mem_.act_index(pm0 + r, S_ - 1) : zero_; };
    const auto first_entry = [&](int r) { return r < mr ? mem_.act_index(m0 + r, 0) : zero_; };
    const auto last_wt = [&](int c) { return c < pmc ? weight(S_ - 1, pn0 + c) : 0u; };
    const auto first_wt = [&](int c) { return c < mc ? weight(0, n0 + c) : 0u; };
    const auto raw = [&](std::uint32_t e) { return e == zero_ ? 0u : mem_.act_raw[e]; };
    for (int r = 0; r < R_; ++r) {
      const std::uint32_t l = raw(last_entry(r)), f = raw(first_entry(r));
      act_bus += pc(l ^ f);
      act_bus -= pc(l) + pc(f);
    }
    for (int c = 0; c < C_; ++c) {
      const std::uint32_t l = last_wt(c), f = first_wt(c);
      w_bus += pc(l ^ f);
      w_bus -= pc(l) + pc(f);
    }
    if (!pairs_) return;  // int8: the multiplier toggles follow the buses'
    const std::uint32_t wmask = mult_weight_mask(true);
    for (int r = 0; r < R_; ++r)
      for (int c = 0; c < (r == 0 ? C_ : 1); ++c) {
        // Operand input: column 0 the bus, else row 0's left register (row 0
        // is always mapped); weight input: row 0 the bus, else column 0's
        // upper register (column 0 is always mapped).
        const std::uint32_t a_end = c == 0 ? last_entry(r) : last_entry(0);
        const std::uint32_t a_start = c == 0 ? first_entry(r) : first_entry(0);
        const std::uint32_t w_end = r == 0 ? last_wt(c) : last_wt(0);
        const std::uint32_t w_start = r == 0 ? first_wt(c) : first_wt(0);
        const std::uint32_t a_idle = c == 0 ? zero_ : a_end, w_idle = r == 0 ? 0u : w_end;
        const std::uint32_t end = mult_bits(a_end, w_end), start = mult_bits(a_start, w_start),
                            idle = mult_bits(a_idle, w_idle);
        k_.mult_toggles += pc(end ^ start);
        k_.mult_toggles -= pc(end ^ idle) + pc(idle ^ start);
        k_.mult_w_toggles += pc((end ^ start) & wmask);
        k_.mult_w_toggles -= pc((end ^ idle) & wmask) + pc((idle ^ start) & wmask);
      }
  }

  // os, pair designs: PE(r, c)'s multiplier samples (operand input, weight
  // input). Operand input: c = 0 the row bus (idle, the run, idle), c >= 1
  // PE(r, c-1)'s register (held, the run); weight input: r = 0 the column
  // bus (0, the weights, 0), r >= 1 PE(r-1, c)'s register (held, the
  // weights). Mapped rows and columns change together at steps r + c + k.
  void os_mult(int m0, int n0, int mr, int mc, const std::vector<RunStats>& ms,
               const std::vector<std::uint32_t>& a_before, const std::vector<std::uint32_t>& b_before,
               const std::vector<WRun>& ns) {
    for (int r = 0; r < R_; ++r)
      for (int c = 0; c < C_; ++c) {
        const bool row = r < mr, col = c < mc;
        const std::uint32_t a0 = c == 0 ? zero_ : a_before[r];
        const std::uint32_t b0 = r == 0 ? 0u : b_before[c];
        if (!row && !col) continue;
        const int m = m0 + r, n = n0 + c;
        if (row && col) continue;  // with the accumulators (os_row)
        if (row) {                 // weight input fixed at b0 (an unmapped column loads nothing; its bus is 0)
          const RunStats& rs = ms[m];
          const Run run{mem_.act_index(m, 0), 1u, S_};
          std::uint64_t lanes = lane_ham(a0, run.first) + rs.lane_inner;
          std::uint64_t wsel = wsel_ham(a0, run.first) + rs.wsel_inner;
          if (c == 0) {
            lanes += lane_ham(run.last(), zero_);
            wsel += wsel_ham(run.last(), zero_);
          }
          const std::uint64_t t = wsel * pair_flip(b0);
          k_.mult_toggles += lanes + t;
          k_.mult_w_toggles += t;
          continue;
        }
        // Column only (unmapped row): operand input fixed at a0; the weight
        // walks b0, w(0, n) .. w(S-1, n) (and back to 0 at r = 0; row 0 is
        // always mapped, so r >= 1 here).
        const auto& w = ns[n];
        const std::uint32_t first = mem_.wt[static_cast<std::size_t>(n)];
        std::uint64_t t = 0;
        for (int l = 0; l < 2; ++l) {
          const bool hi = (mem_.lane_wsel[a0] >> l) & 1u;
          t += (hi ? w.hi : w.lo) + pc(((b0 ^ first) >> (hi ? 8 : 0)) & 0xFFu);
        }
        k_.mult_toggles += t;
        k_.mult_w_toggles += t;
      }
  }

  std::size_t at(int r, int c) const { return static_cast<std::size_t>(r) * C_ + c; }

  const OperandMemory& mem_;
  const int R_, C_, M_, N_, S_;
  const bool ws_, pairs_, dbl_;
  const FoldSchedule sched_;
  const int acc_bits_;
  const std::uint64_t mask_;
  const std::int64_t lo_, hi_;
  const std::uint32_t zero_;
  std::vector<std::uint32_t> pay_;
  std::vector<std::int32_t> e1_, e2_;  // effective activations, [s * M + m]
  std::vector<std::int32_t> w1_, w2_;  // weights (pair: w1, w2), [s * N + n]
  std::vector<std::uint32_t> wparts_;  // os pair designs: [routing][s * N + n]
  std::vector<std::int64_t> wtab_;     // os_row_mult memo: [s][routing before][routing after], -1 unset
  bool safe_ = false, narrow_ = false;
  std::vector<std::uint32_t> wreg_;  // ws weight registers (r, c)
  std::uint32_t stream0_entry_ = 0;  // ws: the entry row 0's bus carries at stream step 0
  std::vector<std::int64_t> out_;
  std::uint64_t cycles_ = 0;
  HwCounters k_;
};

}  // namespace

std::vector<std::int64_t> run_fold_model(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats) {
  FoldModel f(mem, cfg);
  return f.run(stats);
}

}  // namespace sparq::hw
