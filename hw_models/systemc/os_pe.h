// Output-stationary PE: operand registers passing the activation (pair) to
// the right and the weight (pair) down, and an accumulator that adds the
// product when both slots carry data. While the controller asserts `drain`
// the accumulators of a column shift down one row per cycle (the top row
// takes 0), the bottom one into the column's output collector.
// One clocked process: the register step of pe_step.h (os_step), with the
// datapath blocks evaluated by direct calls (BlockDatapath).
#pragma once

#include <systemc>

#include "accumulator_adder.h"
#include "array_sim.h"
#include "links.h"
#include "pe_datapath.h"
#include "pe_datapath_block.h"
#include "pe_step.h"
#include "ws_pe.h"

namespace sparq::hw {

class OsPe : public sc_core::sc_module {
  // What the clocked process touches, first and together (as in WsPe).
  PeRegs q_;
  HwCounters cnt_;
  AccRange acc_;
  const bool wide_, top_;
  ActivityLog* log_;
  const DatapathParams* p_;
  BlockDatapath bdp_;
  const sc_core::sc_signal_in_if<OpLink>*a_in_ = nullptr, *b_in_ = nullptr;
  const sc_core::sc_signal_in_if<PsumLink>* acc_in_ = nullptr;
  const sc_core::sc_signal_in_if<bool>* drain_ = nullptr;
  sc_core::sc_signal_inout_if<OpLink>*a_out_ = nullptr, *b_out_ = nullptr;
  sc_core::sc_signal_inout_if<PsumLink>*acc_out_ = nullptr, *acc_reg_ = nullptr;

 public:
  SC_HAS_PROCESS(OsPe);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<OpLink> a_in;
  sc_core::sc_out<OpLink> a_out;  // the operand register
  sc_core::sc_in<OpLink> b_in;
  sc_core::sc_out<OpLink> b_out;  // the weight register
  sc_core::sc_in<bool> drain;
  sc_core::sc_in<PsumLink> acc_in;    // accumulator of the PE above (0 in the top row); double
                                      //   buffering: its output register (unused in the top row)
  sc_core::sc_out<PsumLink> acc_out;  // the accumulator; double buffering: the output register
  sc_core::sc_out<PsumLink> acc_reg;  // double buffering: the accumulator (waveforms)

  // p: the array's shared datapath parameters (outlive the PE).
  OsPe(sc_core::sc_module_name name, const DatapathParams& p, bool top_row, ActivityLog* log);

  const HwCounters& counters() const { return cnt_; }
  // The next GEMM on the same elaborated array: registers and counters from 0
  // (the array resets the link signals).
  void reset() {
    q_ = PeRegs{};
    cnt_ = HwCounters{};
  }
  // The datapath's decisions at the current inputs (waveforms).
  DatapathTrace datapath_trace() const { return dp_.trace(a_in.read().pay, b_in.read().pay, *p_); }

 private:
  void end_of_elaboration() override;
  void tick();
  template <bool Wide, bool Double, bool Top>
  void step();

  PeDatapathBlock dp_;
  AccumulatorAdderLogic adder_;
};

}  // namespace sparq::hw
