// n-bit x 8-bit shifting multiplier: window times weight, then the barrel
// shift by the window's shift (core: shift_multiply).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

class ShiftMultiplier : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ShiftMultiplier);
  sc_core::sc_in<unsigned> v;  // n-bit window
  sc_core::sc_in<unsigned> s;  // barrel shift
  sc_core::sc_in<int> w;       // signed 8-bit weight
  sc_core::sc_out<int> p;      // (v * w) << s

  explicit ShiftMultiplier(sc_core::sc_module_name name);

 private:
  void eval();
};

}  // namespace sparq::hw
