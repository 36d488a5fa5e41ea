// Zero detectors of an activation pair and the pair mode they select
// (core: classify_pair).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls (no ports, no process).
class ZeroDetectorLogic : public sc_core::sc_module {
 public:
  explicit ZeroDetectorLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  // The pair mode; z1 = (a1 == 0) = FirstZero or BothZero, z2 likewise.
  PairMode eval(std::uint8_t a1, std::uint8_t a2) const { return classify_pair(a1, a2); }
};

// The block with ports and its own process (block tests).
class ZeroDetector : public ZeroDetectorLogic {
 public:
  SC_HAS_PROCESS(ZeroDetector);
  sc_core::sc_in<unsigned> a1, a2;  // 8-bit activations
  sc_core::sc_out<bool> z1, z2;     // a1 == 0, a2 == 0
  sc_core::sc_out<unsigned> mode;   // PairMode

  explicit ZeroDetector(sc_core::sc_module_name name);

 private:
  void run();
};

}  // namespace sparq::hw
