// n-bit x 8-bit shifting multiplier: window times weight, then the barrel
// shift by the window's shift (core: shift_multiply).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls (no ports, no process).
class ShiftMultiplierLogic : public sc_core::sc_module {
 public:
  explicit ShiftMultiplierLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  std::int32_t eval(const Window& win, std::int8_t w) const { return shift_multiply(win, w); }
};

// The block with ports and its own process (block tests).
class ShiftMultiplier : public ShiftMultiplierLogic {
 public:
  SC_HAS_PROCESS(ShiftMultiplier);
  sc_core::sc_in<unsigned> v;  // n-bit window
  sc_core::sc_in<unsigned> s;  // barrel shift
  sc_core::sc_in<int> w;       // signed 8-bit weight
  sc_core::sc_out<int> p;      // (v * w) << s

  explicit ShiftMultiplier(sc_core::sc_module_name name);

 private:
  void run();
};

}  // namespace sparq::hw
