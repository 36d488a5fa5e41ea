// Output collection at the bottom edge of one array column (OutputColumn,
// array_step.h, shared with the fast model): ws output accumulator, os
// collector register.
#pragma once

#include <systemc>
#include <vector>

#include "array_sim.h"
#include "array_step.h"
#include "edge_feeders.h"
#include "links.h"
#include "pe_datapath.h"

namespace sparq::hw {

struct OutputWrite {
  std::uint64_t visible_cycle;  // first cycle the written value is visible
  int m, n;
  std::int64_t value;
  bool final;
};

class OutputCollector : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(OutputCollector);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<std::uint64_t> cycle;
  CtlPorts ctl_in;
  sc_core::sc_in<PsumLink> psum;  // ws: bottom PE's partial-sum register; os: its accumulator (double: output register)

  OutputCollector(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int col,
                  std::vector<std::int64_t>* out, std::vector<OutputWrite>* log);
  const HwCounters& counters() const { return cnt_; }
  void rebind(const OperandMemory& mem, const ArrayConfig& cfg, int col, std::vector<std::int64_t>* out) {
    col_ = OutputColumn(mem, cfg, col);
    geom_ = FoldGeom(mem, cfg);
    out_ = out;
    cnt_ = HwCounters{};
  }

 private:
  void tick();
  const bool ws_;
  OutputColumn col_;
  FoldGeom geom_;
  std::vector<std::int64_t>* out_;
  std::vector<OutputWrite>* log_;
  HwCounters cnt_;
};

}  // namespace sparq::hw
