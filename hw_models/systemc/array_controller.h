// The array controller: a clocked state machine (ControllerFsm) walking the
// GEMM's folds. It observes the operand slot entering the bottom-right PE (a
// fold's stream ends when that PE has received the fold's last slot) and, for
// ws, the last column's output accumulator; it drives the phase, fold and step
// registers the edge feeders and collectors read, the broadcast `load` (ws)
// and `drain` (os) enables, and the cycle counter.
#pragma once

#include <systemc>

#include "array_sim.h"
#include "links.h"
#include "pe_datapath.h"

namespace sparq::hw {

class ArrayController : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ArrayController);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<OpLink> corner;       // slot entering PE(R-1, C-1)
  sc_core::sc_in<PsumLink> collector;  // ws: slot the last column's accumulator takes
  sc_core::sc_out<int> phase, outer, inner, step, prev_outer, prev_inner, drain_outer, drain_inner, drain_step;
  sc_core::sc_out<bool> load, drain;
  sc_core::sc_out<std::uint64_t> cycle;

  // phases, loads (probes): each cycle's class and whether the load broadcast is on.
  ArrayController(sc_core::sc_module_name name, const ControllerFsm& fsm, ArrayStats* stats, std::vector<char>* phases,
                  std::vector<char>* loads);
  bool done() const { return fsm_.state().phase == Phase::Done; }
  // The next GEMM on the same elaborated array (StructuralSession).
  void rebind(const ControllerFsm& fsm, ArrayStats* stats) {
    fsm_ = fsm;
    stats_ = stats;
  }

 private:
  void tick();
  ControllerFsm fsm_;
  ArrayStats* stats_;
  std::vector<char>*phases_, *loads_;
};

}  // namespace sparq::hw
