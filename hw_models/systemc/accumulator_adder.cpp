#include "accumulator_adder.h"

namespace sparq::hw {

AccumulatorAdder::AccumulatorAdder(sc_core::sc_module_name name, int acc_bits)
    : AccumulatorAdderLogic(name), acc("acc"), x("x"), sum("sum"), overflow("overflow"), bits_(acc_bits) {
  SC_METHOD(run);
  sensitive << acc << x;
}

void AccumulatorAdder::run() {
  const Out o = eval(acc.read(), x.read(), bits_);
  sum.write(o.sum);
  overflow.write(o.overflow);
}

}  // namespace sparq::hw
