// Register-level definitions shared by the structural (SystemC) and the fast
// array models, so that both follow one specification: the bit layouts of
// the operand registers, the pair multiplexer's routing of operands to the
// two n-bit x 8-bit multipliers, the operand memory the edge feeders read,
// the controller's state machine and the per-component event counters.
// Plain C++ (no SystemC); the arithmetic itself is the core's.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "array_sim.h"
#include "gemm.h"
#include "pe_design.h"

namespace sparq::hw {

// Control bits travelling with every operand slot.
enum : std::uint8_t {
  kValid = 1,  // a slot of the stream (present even for unmapped rows/columns)
  kEn = 2,     // the slot carries mapped data: data registers load, the PE computes
  kLast = 4,   // the last slot of the fold's stream
  kFirst = 8,  // double-buffered ws: the fold's first slot (the PE swaps its shadow weight in)
};

// --- Payload bit layouts.
// int8 activation: a in bits 0-7. int8 weight: w (two's complement) bits 0-7.
// Raw pair: a1 | a2 << 8. Weight pair: w1 | w2 << 8.
// Encoded operand (edge LOD): the design's packing (PeDesign::pack; for the
// lane designs the routed lanes packed tight from bit 0 and the pair mode at
// bits [22,24)); unused bits are 0, so a Hamming distance over the word
// equals one over the register of PeWidths::act_bits flip-flops.
inline std::uint32_t pack_raw_pair(std::uint8_t a1, std::uint8_t a2) {
  return static_cast<std::uint32_t>(a1) | (static_cast<std::uint32_t>(a2) << 8);
}
inline std::uint32_t pack_weight(std::int8_t w) {
  return static_cast<std::uint8_t>(w);
}
inline std::uint32_t pack_weight_pair(std::int8_t w1, std::int8_t w2) {
  return pack_weight(w1) | (pack_weight(w2) << 8);
}
inline std::int8_t weight_lo(std::uint32_t p) {
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(p & 0xFF));
}
inline std::int8_t weight_hi(std::uint32_t p) {
  return static_cast<std::int8_t>(static_cast<std::uint8_t>((p >> 8) & 0xFF));
}

std::uint32_t pack_encoded(const EncodedPair& e, const PeArith& pe);
EncodedPair unpack_encoded(std::uint32_t p, const PeArith& pe);  // windows' flags are not stored
inline PairMode encoded_mode(std::uint32_t p) {
  return static_cast<PairMode>((p >> kPairModePos) & 3u);
}

// Multiplier input bits, packed for toggle counting: v0 | w0 << 8 | v1 << 16 | w1 << 24.
inline std::uint32_t pack_mult_inputs(const LaneOperands& o) {
  return static_cast<std::uint32_t>(o.lane[0].v) | (pack_weight(o.w[0]) << 8) |
         (static_cast<std::uint32_t>(o.lane[1].v) << 16) | (pack_weight(o.w[1]) << 24);
}
// Weight-side bits of the packed multiplier inputs (pairs: w0 and w1; int8: w).
inline std::uint32_t mult_weight_mask(bool pairs) {
  return pairs ? 0xFF00FF00u : 0xFF00u;
}
// int8 multiplier inputs: a | w << 8.
inline std::uint32_t pack_int8_mult_inputs(std::uint32_t a, std::uint32_t w) {
  return (a & 0xFF) | ((w & 0xFF) << 8);
}

inline int hamming(std::uint64_t a, std::uint64_t b) {
  return __builtin_popcountll(a ^ b);
}
inline std::uint64_t width_mask(int bits) {
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1u;
}

// a + x in a signed `bits`-wide register (core: Accumulator::wrap/fits);
// *overflow: the exact sum left the range.
inline std::int64_t wrapped_add(std::int64_t a, std::int64_t x, int bits, bool* overflow) {
  std::int64_t exact;
  if (__builtin_add_overflow(a, x, &exact)) {
    *overflow = true;
    return Accumulator::wrap(static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(x)),
                             bits);
  }
  *overflow = !Accumulator::fits(exact, bits);
  return Accumulator::wrap(exact, bits);
}

// Multipliers per PE (the design's: 1 for int8, 2 for the pair designs).
inline int multipliers_per_pe(const PeArith& pe) {
  return pe.design->multipliers();
}
// Multiplier slots a useful operand slot occupies (the design's: vsparq 0 for
// a both-zero pair, 2 otherwise, a combined pair using both for one product).
inline int busy_slots(const PeArith& pe, PairMode mode) {
  return pe.design->busy_slots(mode);
}

// --- The on-chip operand buffers of one GEMM as the edge feeders read them:
// a reduction "step" is one k (int8) or one k-pair (pair designs).
struct OperandMemory {
  OperandMemory(const Gemm& g, const ArrayConfig& cfg);
  const Gemm* g;
  PeArith pe;
  bool pairs = false, edge = false, signed_act = false;
  int M = 0, N = 0, steps = 0;
  std::vector<std::uint32_t> act_raw;  // M x steps: raw payload
  std::vector<std::uint32_t> act_enc;  // M x steps + 1 (pairs): packed encoding; last = encoding of (0, 0)
  std::vector<EncodedPair> enc;        // same indexing (pairs)
  std::vector<std::uint32_t> wt;       // steps x N: weight payload
  std::uint32_t zero_index() const { return static_cast<std::uint32_t>(M) * steps; }
  std::uint32_t act_index(int m, int s) const { return static_cast<std::uint32_t>(m) * steps + s; }
  // Payload a PE's multiplier path sees for activation entry idx: the
  // encoding for pair designs, the raw byte for int8.
  std::int64_t product(std::uint32_t idx, std::uint32_t a_raw, std::uint32_t w) const {
    if (!pairs) return int8_product(static_cast<std::uint8_t>(a_raw), weight_lo(w), signed_act);
    return pair_product(enc[idx], weight_lo(w), weight_hi(w));
  }
  // Multiplier input bits for entry idx against weight payload w: the lanes'
  // windows (routed once per entry by route_pair) and the weights the pair
  // mux routes to each lane.
  std::uint32_t mult_inputs(std::uint32_t idx, std::uint32_t a_raw, std::uint32_t w) const {
    if (!pairs) return pack_int8_mult_inputs(a_raw, w);
    const std::uint32_t w0 = (w >> (8 * (lane_wsel[idx] & 1u))) & 0xFFu;
    const std::uint32_t w1 = (w >> (8 * ((lane_wsel[idx] >> 1) & 1u))) & 0xFFu;
    return lane_v[idx] | (w0 << 8) | (w1 << 24);
  }
  std::vector<std::uint32_t> lane_v;    // v0 | v1 << 16 of the routed lanes (pairs)
  std::vector<std::uint8_t> lane_wsel;  // bit l: lane l takes w2 (else w1)
};

// Number of folds of a GEMM: (outer, inner).
std::pair<int, int> fold_counts(const OperandMemory& mem, int R, int C, Dataflow df);

// What the controller and the feeders know of a GEMM's folds, constant
// through it.
struct FoldGeom {
  FoldGeom(const OperandMemory& mem, const ArrayConfig& cfg);
  Dataflow df;
  int R, C, outer_folds, inner_folds;
  int slots;       // slots a row carries per fold: ws M, os the steps
  int period = 0;  // double buffering: stream start to stream start (FoldSchedule::period); 0: single
  bool dbl() const { return period > 0; }
};

// --- Controller: the per-fold sequence of phases. ws: per fold LOAD (R
// cycles: the weight column has R registers to shift through), then STREAM
// until the bottom-right PE has received the fold's last slot; after the last
// fold FLUSH until the output accumulator has taken the last partial sum.
// os: per fold STREAM as in ws, then DRAIN (R cycles: R accumulators per
// column shift out). Folds: outer = column (N) folds, inner = K folds (ws) or
// M folds (os), as SCALE-Sim orders them.
// Double buffering (docs/hardware.md "Weight buffering"): ws LOADs only
// before the first fold; every later fold's weights load into the shadow
// registers during the previous fold's STREAM (stream steps R + C - 2 ..
// 2R + C - 3), and os drains every fold but the last during the following
// STREAM. The next fold's STREAM starts `period` cycles after the current
// one's (the previous fold's last slots are then still on the lower rows);
// the last fold ends as with single buffering.
enum class Phase : std::uint8_t { Load, Stream, Drain, Flush, Done };
struct CtlState {
  Phase phase = Phase::Load;
  int outer = 0, inner = 0;
  int step = 0;  // cycle within the phase
  // Double buffering: the fold that streamed before this one (-1: none), and
  // (os) the fold whose outputs drain while a later one streams (-1: none)
  // with its drain cycle (a drain can outlast the next fold's stream).
  int prev_outer = -1, prev_inner = 0;
  int drain_outer = -1, drain_inner = 0, drain_step = 0;
  std::uint64_t cycle = 0;
};

class ControllerFsm {
 public:
  explicit ControllerFsm(const FoldGeom& g);
  const CtlState& state() const { return s_; }
  const FoldGeom& geom() const { return g_; }
  // Advances one clock edge given what the controller observed during the
  // cycle: the operand slot entering the bottom-right PE, and (ws) the slot
  // the output accumulator of the last column took.
  void clock(std::uint8_t corner_ctl, std::uint8_t last_collector_ctl);
  // Cycle class of the current cycle: 'L', 'F', 'S', 'D'.
  char cycle_class(std::uint8_t corner_ctl) const;

 private:
  bool has_next() const;
  FoldGeom g_;
  CtlState s_;
};

// Which fold's slot the bus lagging row 0 by `lag` cycles carries (rows:
// lag = r; os weight columns: lag = c), and its index i (ws: output row m;
// os: step k). With double buffering the lower rows may still carry the
// previous fold's last slots. False: the bus is idle.
bool stream_slot(const CtlState& s, const FoldGeom& g, int lag, int* outer, int* inner, int* i);
// ws: the fold whose weights the column buses carry, and the load cycle j
// (column c's bus carries w(inner * R + R-1-j, outer * C + c)); the
// broadcast `load` (single: the weight registers, double: the shadow
// registers shift). False: no load.
bool load_cycle(const CtlState& s, const FoldGeom& g, int* outer, int* inner, int* j);
// os: the fold whose outputs drain, and the drain cycle j (the collectors
// take array row R-1-j); the broadcast `drain`. False: no drain.
bool drain_cycle(const CtlState& s, const FoldGeom& g, int* outer, int* inner, int* j);

// --- What the edge feeders drive during a cycle, as a function of the
// controller state (SRAM banks read with per-row / per-column skewed
// addresses: row r lags row 0 by r cycles).
struct Slot {
  std::uint8_t ctl = 0;
  std::uint32_t payload = 0;  // raw activation(s) / weight(s) on the edge bus
  std::uint32_t idx = 0;      // activation entry (OperandMemory index); zero_index() when idle
};
// Row feeder r (activations; both dataflows).
Slot row_feed(const OperandMemory& mem, const CtlState& s, const FoldGeom& g, int r);
// Column feeder c: ws weight being shifted in during a load; os weight
// slots. Double-buffered ws: kEn marks a column mapped in the loading fold
// (the bit travels down the shadow chain with the weight).
Slot col_feed(const OperandMemory& mem, const CtlState& s, const FoldGeom& g, int c);
// What the row edge hands PE(r, 0): the bus itself (pe LOD, int8) or the
// edge encoder's output (edge LOD).
inline std::uint32_t edge_payload(const OperandMemory& mem, const Slot& bus) {
  return mem.edge ? mem.act_enc[bus.idx] : bus.payload;
}

// Event counters of one component; summed into ArrayStats.
struct HwCounters {
  std::uint64_t pe_active = 0, mult_busy = 0;
  std::uint64_t mult_toggles = 0, act_toggles = 0, weight_toggles = 0, psum_toggles = 0, acc_toggles = 0;
  std::uint64_t reg_writes = 0, lod_edge = 0, lod_pe = 0, overflows = 0;
  // Energy-proxy detail: toggles on the weight side of the multiplier inputs
  // (the rest of mult_toggles is the activation side) and register loads by
  // register class (their sum is reg_writes).
  std::uint64_t mult_w_toggles = 0, act_writes = 0, weight_writes = 0, psum_writes = 0;
  void add_to(ArrayStats& s) const;
  void merge(const HwCounters& o);
};

// Fills the GEMM-level fields shared by both fidelities (macs, front_end,
// scalesim, folds, gemms).
void fill_gemm_stats(const Gemm& g, const ArrayConfig& cfg, const OperandMemory& mem, ArrayStats& st);
// Throws std::invalid_argument for a bad config or GEMM.
void check_gemm(const Gemm& g, const ArrayConfig& cfg);

}  // namespace sparq::hw
