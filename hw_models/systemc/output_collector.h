// Output collection at the bottom edge of one array column.
// ws: the output accumulator: takes the bottom PE's partial-sum register when
//   it holds a slot, and writes (first K fold) or adds into (later K folds)
//   its buffer entry for that output row; it counts slots to know the row and
//   fold. The entry written by the last K fold is the output.
// os: the collector register: during the drain it takes the bottom PE's
//   accumulator each cycle (rows bottom-up) and writes the output.
#pragma once

#include <systemc>
#include <vector>

#include "array_sim.h"
#include "edge_feeders.h"
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
  sc_core::sc_in<unsigned> psum_ctl;  // ws: bottom PE's partial-sum register
  sc_core::sc_in<std::int64_t> psum;  // ws: partial sum; os: bottom PE's accumulator

  OutputCollector(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int col,
                  std::vector<std::int64_t>* out, std::vector<OutputWrite>* log);
  const HwCounters& counters() const { return cnt_; }

 private:
  void tick();
  void write(std::int64_t& reg, std::int64_t v, int m, int n, bool final);
  const OperandMemory* mem_;
  const ArrayConfig cfg_;
  const int col_, inner_folds_;
  const std::uint64_t mask_;
  std::vector<std::int64_t>* out_;
  std::vector<OutputWrite>* log_;
  std::vector<std::int64_t> buf_;  // ws accumulator entries, one per output row
  std::int64_t out_reg_ = 0;       // os collector register
  int m_ = 0, fold_ = 0;
  HwCounters cnt_;
};

}  // namespace sparq::hw
