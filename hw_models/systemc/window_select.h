// Window select with rounding: the window multiplexer picks the n bits of the
// activation at the encoder's shift, the rounding incrementer rounds half to
// even and saturates (or renormalizes, round_renorm) (core: select_window_at).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

class WindowSelect : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(WindowSelect);
  sc_core::sc_in<unsigned> a;      // 8-bit activation
  sc_core::sc_in<unsigned> shift;  // from the shift encoder
  sc_core::sc_in<bool> sel;        // false: primary spec, true: alternate spec
  sc_core::sc_out<unsigned> v;     // window contents
  sc_core::sc_out<unsigned> s;     // shift of the window (differs from `shift` only after renormalization)
  sc_core::sc_out<bool> rounded_up;
  sc_core::sc_out<bool> saturated;

  WindowSelect(sc_core::sc_module_name name, const WindowSpec& primary, const WindowSpec& alternate);

 private:
  void eval();
  WindowSpec spec_[2];
};

}  // namespace sparq::hw
