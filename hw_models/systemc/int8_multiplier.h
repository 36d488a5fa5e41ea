// The int8 design's 8-bit x 8-bit multiplier (core: int8_product); the
// activation byte is unsigned, or two's complement for signed layers.
#pragma once

#include <systemc>

#include "gemm.h"
#include "sparq_arith.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls (no ports, no
// process); the caller passes whether activations are signed.
class Int8MultiplierLogic : public sc_core::sc_module {
 public:
  explicit Int8MultiplierLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  // a, w: bits 0-7 of the operand and weight payloads.
  std::int32_t eval(std::uint32_t a, std::uint32_t w, bool signed_activations) const {
    return int8_product(static_cast<std::uint8_t>(a & 0xFF),
                        static_cast<std::int8_t>(static_cast<std::uint8_t>(w & 0xFF)), signed_activations);
  }
};

// The block with ports and its own process (block tests).
class Int8Multiplier : public Int8MultiplierLogic {
 public:
  SC_HAS_PROCESS(Int8Multiplier);
  sc_core::sc_in<std::uint32_t> a;  // activation byte (bits 0-7)
  sc_core::sc_in<std::uint32_t> w;  // weight byte (bits 0-7, two's complement)
  sc_core::sc_out<int> p;

  Int8Multiplier(sc_core::sc_module_name name, bool signed_activations);

 private:
  void run();
  bool signed_;
};

}  // namespace sparq::hw
