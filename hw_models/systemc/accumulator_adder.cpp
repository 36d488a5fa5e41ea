#include "accumulator_adder.h"

#include "pe_datapath.h"

namespace sparq::hw {

AccumulatorAdder::AccumulatorAdder(sc_core::sc_module_name name, int acc_bits)
    : sc_core::sc_module(name), acc("acc"), x("x"), sum("sum"), overflow("overflow"), bits_(acc_bits) {
  SC_METHOD(eval);
  sensitive << acc << x;
}

void AccumulatorAdder::eval() {
  bool ovf = false;
  sum.write(wrapped_add(acc.read(), x.read(), bits_, &ovf));
  overflow.write(ovf);
}

}  // namespace sparq::hw
