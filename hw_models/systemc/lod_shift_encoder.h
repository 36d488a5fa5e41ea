// Leading-one detector with shift encoder: the position of the activation's
// leading one and the smallest allowed shift whose window reaches it
// (core: leading_one, encode_shift). Two configured shift sets, chosen by
// `sel` (vsparq's lane 0 serves both the 4-bit window and the partner).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls from the PE's clocked
// process (no ports, no process of its own). Its parameters (the shift set
// `sel` picks) are the same in every PE: the caller passes them, so that a
// call reads no per-instance state.
class LodShiftEncoderLogic : public sc_core::sc_module {
 public:
  explicit LodShiftEncoderLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  struct Out {
    int msb;    // leading-one position, -1 for zero
    int shift;  // encoded shift
  };
  Out eval(std::uint8_t a, const WindowSpec& spec) const {
    const int p = leading_one(a);
    return {p, encode_shift(p, spec)};
  }
};

// The block with ports and its own process (block tests).
class LodShiftEncoder : public LodShiftEncoderLogic {
 public:
  SC_HAS_PROCESS(LodShiftEncoder);
  sc_core::sc_in<unsigned> a;  // 8-bit activation
  sc_core::sc_in<bool> sel;    // false: primary spec, true: alternate spec
  sc_core::sc_out<int> msb;    // leading-one position, -1 for zero
  sc_core::sc_out<unsigned> shift;

  LodShiftEncoder(sc_core::sc_module_name name, const WindowSpec& primary, const WindowSpec& alternate);

 private:
  void run();
  WindowSpec spec_[2];
};

}  // namespace sparq::hw
