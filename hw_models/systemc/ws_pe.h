// Weight-stationary PE: a stationary weight register (shifted down from the
// top while the controller asserts `load`), an operand register passing the
// activation (pair) to the right, and a partial-sum register passing
// psum_in + product down. Data registers load only on enabled slots (clock
// gating); the control bits (valid, en, last) load every cycle.
#pragma once

#include <systemc>

#include "accumulator_adder.h"
#include "array_sim.h"
#include "pe_datapath.h"
#include "pe_datapath_block.h"

namespace sparq::hw {

// Per-cycle hook shared by the PEs of a structural array (test probes).
struct ActivityLog {
  std::vector<int> active;  // useful PEs per cycle
  void add(std::uint64_t cycle) {
    if (active.size() <= cycle) active.resize(cycle + 1, 0);
    ++active[cycle];
  }
};

class WsPe : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(WsPe);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<std::uint64_t> cycle;  // controller's cycle number (statistics only)
  sc_core::sc_in<unsigned> a_ctl_in;
  sc_core::sc_in<std::uint32_t> a_in;
  sc_core::sc_out<unsigned> a_ctl_out;
  sc_core::sc_out<std::uint32_t> a_out;
  sc_core::sc_in<unsigned> psum_ctl_in;  // unused in the top row (its slot is the operand's)
  sc_core::sc_in<std::int64_t> psum_in;  // a constant 0 in the top row
  sc_core::sc_out<unsigned> psum_ctl_out;
  sc_core::sc_out<std::int64_t> psum_out;
  sc_core::sc_in<std::uint32_t> w_in;  // from the PE above / the column feeder
  sc_core::sc_in<bool> load;
  sc_core::sc_in<bool> col_mapped;       // this column holds an output of the GEMM
  sc_core::sc_out<std::uint32_t> w_out;  // the weight register

  WsPe(sc_core::sc_module_name name, const ArrayConfig& cfg, bool signed_activations, bool top_row, ActivityLog* log);

  const HwCounters& counters() const { return cnt_; }
  // Internal signals a waveform tap mirrors.
  const sc_core::sc_signal<std::uint32_t>& mult_bits() const { return mult_bits_; }
  const sc_core::sc_signal<std::int64_t>& product() const { return prod_; }

 private:
  void tick();

  const ArrayConfig cfg_;
  const bool top_, pe_lod_;
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
