// The accumulator's adder: adds an addend to a partial sum in a signed
// acc_bits-wide register, wrapping two's complement, with an overflow flag
// (core: Accumulator::wrap / Accumulator::fits).
#pragma once

#include <cstdint>
#include <systemc>

namespace sparq::hw {

class AccumulatorAdder : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(AccumulatorAdder);
  sc_core::sc_in<std::int64_t> acc;  // current partial sum (already within acc_bits)
  sc_core::sc_in<std::int64_t> x;    // addend
  sc_core::sc_out<std::int64_t> sum;
  sc_core::sc_out<bool> overflow;  // the exact sum left the acc_bits range

  AccumulatorAdder(sc_core::sc_module_name name, int acc_bits);

 private:
  void eval();
  int bits_;
};

}  // namespace sparq::hw
