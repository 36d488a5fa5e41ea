#include "int8_multiplier.h"

namespace sparq::hw {

Int8Multiplier::Int8Multiplier(sc_core::sc_module_name name, bool signed_activations)
    : Int8MultiplierLogic(name), a("a"), w("w"), p("p"), signed_(signed_activations) {
  SC_METHOD(run);
  sensitive << a << w;
}

void Int8Multiplier::run() {
  p.write(eval(a.read(), w.read(), signed_));
}

}  // namespace sparq::hw
