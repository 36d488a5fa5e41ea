// Edge feeders: one per array row (activations) and one per column (weights).
// Each reads its on-chip buffer bank at an address that lags the first
// row's / column's by its index, which is what skews the operands into the
// array; its output bus is combinational from the controller's registered
// state. An idle bus carries 0. With edge LOD the row's front end (a
// PairEncoderLogic sub-module, evaluated by a direct call) sits between the
// row's bus and its link to PE(r, 0).
#pragma once

#include <memory>
#include <systemc>

#include "array_sim.h"
#include "links.h"
#include "pair_encoder.h"
#include "pe_datapath.h"

namespace sparq::hw {

// Controller state as signals (see ArrayController).
struct CtlPorts {
  sc_core::sc_in<int> phase, outer, inner, step, prev_outer, prev_inner, drain_outer, drain_inner, drain_step;
  explicit CtlPorts(const std::string& prefix)
      : phase((prefix + "_phase").c_str()),
        outer((prefix + "_outer").c_str()),
        inner((prefix + "_inner").c_str()),
        step((prefix + "_step").c_str()),
        prev_outer((prefix + "_prev_outer").c_str()),
        prev_inner((prefix + "_prev_inner").c_str()),
        drain_outer((prefix + "_drain_outer").c_str()),
        drain_inner((prefix + "_drain_inner").c_str()),
        drain_step((prefix + "_drain_step").c_str()) {}
  CtlState read() const {
    CtlState s;
    s.phase = static_cast<Phase>(phase.read());
    s.outer = outer.read();
    s.inner = inner.read();
    s.step = step.read();
    s.prev_outer = prev_outer.read();
    s.prev_inner = prev_inner.read();
    s.drain_outer = drain_outer.read();
    s.drain_inner = drain_inner.read();
    s.drain_step = drain_step.read();
    return s;
  }
};

class RowFeeder : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(RowFeeder);
  sc_core::sc_in<bool> clk;
  CtlPorts ctl_in;
  sc_core::sc_out<OpLink> out;  // to PE(r, 0): the bus (raw activation(s)) or its encoding (edge LOD)

  RowFeeder(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int row);
  const HwCounters& counters() const { return cnt_; }
  // The next GEMM on the same elaborated array: its operands, counters from 0.
  void rebind(const OperandMemory* mem) {
    mem_ = mem;
    geom_ = FoldGeom(*mem, cfg_);
    bus_ = prev_ = 0;
    bus_ctl_ = 0;
    cnt_ = HwCounters{};
  }

 private:
  void eval();
  void sample();
  const OperandMemory* mem_;
  const ArrayConfig cfg_;
  FoldGeom geom_;
  const int row_;
  std::unique_ptr<PairEncoderLogic> encoder_;  // edge LOD
  std::uint32_t bus_ = 0, prev_ = 0;
  std::uint8_t bus_ctl_ = 0;
  HwCounters cnt_;
};

class ColFeeder : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ColFeeder);
  sc_core::sc_in<bool> clk;
  CtlPorts ctl_in;
  sc_core::sc_out<OpLink> out;       // weight (pair) slot on the column's edge bus
  sc_core::sc_out<bool> col_mapped;  // ws: this column holds a GEMM output in the current fold

  ColFeeder(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int col);
  const HwCounters& counters() const { return cnt_; }
  void rebind(const OperandMemory* mem) {
    mem_ = mem;
    geom_ = FoldGeom(*mem, cfg_);
    prev_ = 0;
    cnt_ = HwCounters{};
  }

 private:
  void eval();
  void sample();
  const OperandMemory* mem_;
  const ArrayConfig cfg_;
  FoldGeom geom_;
  const int col_;
  std::uint32_t prev_ = 0;
  HwCounters cnt_;
};

}  // namespace sparq::hw
