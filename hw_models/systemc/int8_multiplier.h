// The int8 design's 8-bit x 8-bit multiplier (core: int8_product); the
// activation byte is unsigned, or two's complement for signed layers.
#pragma once

#include <systemc>

#include "sparq_arith.h"

namespace sparq::hw {

class Int8Multiplier : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Int8Multiplier);
  sc_core::sc_in<std::uint32_t> a;  // activation byte (bits 0-7)
  sc_core::sc_in<std::uint32_t> w;  // weight byte (bits 0-7, two's complement)
  sc_core::sc_out<int> p;

  Int8Multiplier(sc_core::sc_module_name name, bool signed_activations);

 private:
  void eval();
  bool signed_;
};

}  // namespace sparq::hw
