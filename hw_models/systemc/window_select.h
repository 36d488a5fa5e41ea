// Window select with rounding: the window multiplexer picks the n bits of the
// activation at the encoder's shift, the rounding incrementer rounds half to
// even and saturates (or renormalizes, round_renorm) (core: select_window_at).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls (no ports, no
// process); the caller passes the spec (as LodShiftEncoderLogic).
class WindowSelectLogic : public sc_core::sc_module {
 public:
  explicit WindowSelectLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  Window eval(std::uint8_t a, int shift, const WindowSpec& spec) const { return select_window_at(a, shift, spec); }
};

// The block with ports and its own process (block tests).
class WindowSelect : public WindowSelectLogic {
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
  void run();
  WindowSpec spec_[2];
};

}  // namespace sparq::hw
