// Weight-stationary PE: a stationary weight register (shifted down from the
// top while the controller asserts `load`), an operand register passing the
// activation (pair) to the right, and a partial-sum register passing
// psum_in + product down. Data registers load only on enabled slots (clock
// gating); the control bits (valid, en, last) load every cycle.
// One clocked process: the register step of pe_step.h (ws_step), with the
// datapath blocks evaluated by direct calls (BlockDatapath).
#pragma once

#include <systemc>
#include <vector>

#include "accumulator_adder.h"
#include "array_sim.h"
#include "links.h"
#include "pe_datapath.h"
#include "pe_datapath_block.h"
#include "pe_step.h"

namespace sparq::hw {

// Useful PEs per cycle (test probes only), indexed by the controller's cycle counter.
struct ActivityLog {
  const sc_core::sc_signal<std::uint64_t>* cycle = nullptr;
  std::vector<int> active;
  void add() {
    const std::uint64_t t = cycle->read();
    if (active.size() <= t) active.resize(t + 1, 0);
    ++active[t];
  }
};

class WsPe : public sc_core::sc_module {
  // What the clocked process touches, first and together: the registers, the
  // counters, the datapath policy and the bound signals' interfaces (cached
  // after elaboration, so that no port object is read per cycle).
  PeRegs q_;
  HwCounters cnt_;
  AccRange acc_;
  const bool wide_, top_;
  ActivityLog* log_;
  const DatapathParams* p_;
  BlockDatapath bdp_;
  const sc_core::sc_signal_in_if<OpLink>*a_in_ = nullptr, *w_in_ = nullptr;
  const sc_core::sc_signal_in_if<PsumLink>* psum_in_ = nullptr;
  const sc_core::sc_signal_in_if<bool>*load_ = nullptr, *col_mapped_ = nullptr;
  sc_core::sc_signal_inout_if<OpLink>*a_out_ = nullptr, *w_out_ = nullptr, *w_act_ = nullptr;
  sc_core::sc_signal_inout_if<PsumLink>* psum_out_ = nullptr;

 public:
  SC_HAS_PROCESS(WsPe);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<OpLink> a_in;
  sc_core::sc_out<OpLink> a_out;       // the operand register
  sc_core::sc_in<PsumLink> psum_in;    // unused in the top row (its slot is the operand's)
  sc_core::sc_out<PsumLink> psum_out;  // the partial-sum register
  sc_core::sc_in<OpLink> w_in;         // from the PE above / the column feeder
  sc_core::sc_out<OpLink> w_out;       // the weight register (ctl unused); double buffering: the
                                       //   shadow register (kEn: its column is mapped)
  sc_core::sc_out<OpLink> w_act;       // double buffering: the active weight register (waveforms)
  sc_core::sc_in<bool> load;
  sc_core::sc_in<bool> col_mapped;  // this column holds an output of the GEMM

  // p: the array's shared datapath parameters (outlive the PE).
  WsPe(sc_core::sc_module_name name, const DatapathParams& p, bool top_row, ActivityLog* log);

  const HwCounters& counters() const { return cnt_; }
  // The next GEMM on the same elaborated array: registers and counters from 0
  // (the array resets the link signals).
  void reset() {
    q_ = PeRegs{};
    cnt_ = HwCounters{};
  }
  // The datapath's decisions at the current inputs and the weight the
  // multiplier takes, w (waveforms).
  DatapathTrace datapath_trace(std::uint32_t w) const { return dp_.trace(a_in.read().pay, w, *p_); }

 private:
  void end_of_elaboration() override;
  void tick();
  template <bool Wide, bool Top, bool Double>
  void step();

  PeDatapathBlock dp_;
  AccumulatorAdderLogic adder_;
};

}  // namespace sparq::hw
