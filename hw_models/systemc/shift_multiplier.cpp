#include "shift_multiplier.h"

namespace sparq::hw {

ShiftMultiplier::ShiftMultiplier(sc_core::sc_module_name name)
    : ShiftMultiplierLogic(name), v("v"), s("s"), w("w"), p("p") {
  SC_METHOD(run);
  sensitive << v << s << w;
}

void ShiftMultiplier::run() {
  Window win;
  win.v = static_cast<std::uint8_t>(v.read());
  win.s = static_cast<std::uint8_t>(s.read());
  p.write(eval(win, static_cast<std::int8_t>(w.read())));
}

}  // namespace sparq::hw
