#include "int8_multiplier.h"

#include "gemm.h"

namespace sparq::hw {

Int8Multiplier::Int8Multiplier(sc_core::sc_module_name name, bool signed_activations)
    : sc_core::sc_module(name), a("a"), w("w"), p("p"), signed_(signed_activations) {
  SC_METHOD(eval);
  sensitive << a << w;
}

void Int8Multiplier::eval() {
  p.write(int8_product(static_cast<std::uint8_t>(a.read() & 0xFF),
                       static_cast<std::int8_t>(static_cast<std::uint8_t>(w.read() & 0xFF)), signed_));
}

}  // namespace sparq::hw
