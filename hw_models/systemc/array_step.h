// The array edge's per-cycle pieces shared by both fidelities (plain C++):
// one column's output collection below the array, the classification of a
// cycle into the ArrayStats parts, and the per-GEMM "available" totals.
#pragma once

#include <cstdint>
#include <vector>

#include "array_sim.h"
#include "pe_datapath.h"
#include "pe_step.h"

namespace sparq::hw {

// Output collection at the bottom edge of one array column.
// ws: the output accumulator: takes the bottom PE's partial-sum register when
//   it holds a slot, and writes (first K fold) or adds into (later K folds)
//   its buffer entry for that output row; it counts slots to know the row and
//   fold. The entry written by the last K fold is the output.
// os: the collector register: during the drain it takes the bottom PE's
//   accumulator (double buffering: output register) each cycle (rows
//   bottom-up) and writes the output.
class OutputColumn {
 public:
  OutputColumn(const OperandMemory& mem, const ArrayConfig& cfg, int col);
  struct Write {
    bool wrote = false;  // a register was written this cycle
    bool final = false;  // ws: by the last K fold (the output is complete); os: always
    int m = -1, n = -1;
    std::int64_t value = 0;
  };
  // ws: the bottom PE's partial-sum register holds a slot (psum_ctl & kValid).
  Write ws_take(std::int64_t psum, HwCounters& k, std::vector<std::int64_t>& out);
  // os: drain cycle j of fold (outer, inner) (drain_cycle) with the bottom
  // accumulator (double buffering: output register) acc.
  Write os_take(int outer, int inner, int j, std::int64_t acc, HwCounters& k, std::vector<std::int64_t>& out);

 private:
  void write(std::int64_t& reg, Write& w, HwCounters& k, std::vector<std::int64_t>& out) const;
  const OperandMemory* mem_;
  int R_, C_, col_, inner_folds_, acc_bits_;
  std::uint64_t mask_;
  AccRange acc_;
  std::vector<std::int64_t> buf_;  // ws accumulator entries, one per output row
  std::int64_t out_reg_ = 0;       // os collector register
  int m_ = 0, fold_ = 0;
};

// Inline: the fast model takes a column's output every cycle.
inline void OutputColumn::write(std::int64_t& reg, Write& w, HwCounters& k, std::vector<std::int64_t>& out) const {
  k.acc_toggles += static_cast<std::uint64_t>(
      hamming(static_cast<std::uint64_t>(reg) & mask_, static_cast<std::uint64_t>(w.value) & mask_));
  reg = w.value;
  ++k.reg_writes;
  ++k.psum_writes;
  w.wrote = true;
  if (w.final) out[static_cast<std::size_t>(w.m) * mem_->N + w.n] = w.value;
}

inline OutputColumn::Write OutputColumn::ws_take(std::int64_t psum, HwCounters& k, std::vector<std::int64_t>& out) {
  Write w;
  const int kf = fold_ % inner_folds_, nf = fold_ / inner_folds_;
  const int n = nf * C_ + col_;
  if (n < mem_->N) {
    std::int64_t& e = buf_[static_cast<std::size_t>(m_)];
    w.value = psum;
    if (kf != 0)
      w.value =
          acc_bits_ >= 64 ? acc_add<true>(acc_, e, psum, k.overflows) : acc_add<false>(acc_, e, psum, k.overflows);
    w.m = m_;
    w.n = n;
    w.final = kf == inner_folds_ - 1;
    write(e, w, k, out);
  }
  if (++m_ == mem_->M) {
    m_ = 0;
    ++fold_;
  }
  return w;
}

// Counts the controller's current cycle in its ArrayStats part (weight_load,
// fill, stream, drain) and returns its class ('L', 'F', 'S', 'D').
char count_cycle(const ControllerFsm& fsm, std::uint8_t corner_ctl, ArrayStats& st);

// Adds a finished GEMM's cycles and the PE-cycles and multiplier slots available in them.
void add_cycle_totals(const ArrayConfig& cfg, std::uint64_t cycles, ArrayStats& st);

}  // namespace sparq::hw
