// The accumulator's adder: adds an addend to a partial sum in a signed
// acc_bits-wide register, wrapping two's complement, with an overflow flag
// (core: Accumulator::wrap / Accumulator::fits, through wrapped_add).
#pragma once

#include <cstdint>
#include <systemc>

#include "pe_datapath.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls (no ports, no
// process); the caller passes the register width.
class AccumulatorAdderLogic : public sc_core::sc_module {
 public:
  explicit AccumulatorAdderLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  struct Out {
    std::int64_t sum;
    bool overflow;  // the exact sum left the acc_bits range
  };
  Out eval(std::int64_t acc, std::int64_t x, int acc_bits) const {
    Out o{0, false};
    o.sum = wrapped_add(acc, x, acc_bits, &o.overflow);
    return o;
  }
};

// The block with ports and its own process (block tests).
class AccumulatorAdder : public AccumulatorAdderLogic {
 public:
  SC_HAS_PROCESS(AccumulatorAdder);
  sc_core::sc_in<std::int64_t> acc;  // current partial sum (already within acc_bits)
  sc_core::sc_in<std::int64_t> x;    // addend
  sc_core::sc_out<std::int64_t> sum;
  sc_core::sc_out<bool> overflow;  // the exact sum left the acc_bits range

  AccumulatorAdder(sc_core::sc_module_name name, int acc_bits);

 private:
  void run();
  int bits_;
};

}  // namespace sparq::hw
