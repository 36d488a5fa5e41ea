// Leading-one detector with shift encoder: the position of the activation's
// leading one and the smallest allowed shift whose window reaches it
// (core: leading_one, encode_shift). Two configured shift sets, chosen by
// `sel` (vsparq's lane 0 serves both the 4-bit window and the partner).
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

class LodShiftEncoder : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(LodShiftEncoder);
  sc_core::sc_in<unsigned> a;  // 8-bit activation
  sc_core::sc_in<bool> sel;    // false: primary spec, true: alternate spec
  sc_core::sc_out<int> msb;    // leading-one position, -1 for zero
  sc_core::sc_out<unsigned> shift;

  LodShiftEncoder(sc_core::sc_module_name name, const WindowSpec& primary, const WindowSpec& alternate);

 private:
  void eval();
  WindowSpec spec_[2];
};

}  // namespace sparq::hw
