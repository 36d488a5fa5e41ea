// Zero detectors of an activation pair and the pair mode they select
// (core: classify_pair).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

class ZeroDetector : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ZeroDetector);
  sc_core::sc_in<unsigned> a1, a2;  // 8-bit activations
  sc_core::sc_out<bool> z1, z2;     // a1 == 0, a2 == 0
  sc_core::sc_out<unsigned> mode;   // PairMode

  explicit ZeroDetector(sc_core::sc_module_name name);

 private:
  void eval();
};

}  // namespace sparq::hw
