// Output-stationary PE: operand registers passing the activation (pair) to
// the right and the weight (pair) down, and an accumulator that adds the
// product when both slots carry data. While the controller asserts `drain`
// the accumulators of a column shift down one row per cycle (the top row
// takes 0), the bottom one into the column's output collector.
#pragma once

#include <systemc>

#include "accumulator_adder.h"
#include "array_sim.h"
#include "pe_datapath.h"
#include "pe_datapath_block.h"
#include "ws_pe.h"

namespace sparq::hw {

class OsPe : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(OsPe);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<std::uint64_t> cycle;
  sc_core::sc_in<unsigned> a_ctl_in;
  sc_core::sc_in<std::uint32_t> a_in;
  sc_core::sc_out<unsigned> a_ctl_out;
  sc_core::sc_out<std::uint32_t> a_out;
  sc_core::sc_in<unsigned> b_ctl_in;
  sc_core::sc_in<std::uint32_t> b_in;
  sc_core::sc_out<unsigned> b_ctl_out;
  sc_core::sc_out<std::uint32_t> b_out;
  sc_core::sc_in<bool> drain;
  sc_core::sc_in<std::int64_t> acc_in;  // accumulator of the PE above (0 in the top row)
  sc_core::sc_out<std::int64_t> acc_out;

  OsPe(sc_core::sc_module_name name, const ArrayConfig& cfg, bool signed_activations, ActivityLog* log);

  const HwCounters& counters() const { return cnt_; }
  const sc_core::sc_signal<std::uint32_t>& mult_bits() const { return mult_bits_; }
  const sc_core::sc_signal<std::int64_t>& product() const { return prod_; }

 private:
  void tick();

  const ArrayConfig cfg_;
  const bool pe_lod_;
  ActivityLog* log_;
  HwCounters cnt_;
  std::uint32_t mult_prev_ = 0;
  std::uint64_t mask_;
  sc_core::sc_signal<std::int64_t> prod_, sum_;
  sc_core::sc_signal<std::uint32_t> mult_bits_;
  sc_core::sc_signal<unsigned> mode_;
  sc_core::sc_signal<bool> ovf_;
  PeDatapathBlock dp_;
  AccumulatorAdder adder_;
};

}  // namespace sparq::hw
