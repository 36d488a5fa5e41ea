#include "shift_multiplier.h"

namespace sparq::hw {

ShiftMultiplier::ShiftMultiplier(sc_core::sc_module_name name)
    : sc_core::sc_module(name), v("v"), s("s"), w("w"), p("p") {
  SC_METHOD(eval);
  sensitive << v << s << w;
}

void ShiftMultiplier::eval() {
  Window win;
  win.v = static_cast<std::uint8_t>(v.read());
  win.s = static_cast<std::uint8_t>(s.read());
  p.write(shift_multiply(win, static_cast<std::int8_t>(w.read())));
}

}  // namespace sparq::hw
