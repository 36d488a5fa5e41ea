#include "window_select.h"

namespace sparq::hw {

WindowSelect::WindowSelect(sc_core::sc_module_name name, const WindowSpec& primary, const WindowSpec& alternate)
    : WindowSelectLogic(name),
      a("a"),
      shift("shift"),
      sel("sel"),
      v("v"),
      s("s"),
      rounded_up("rounded_up"),
      saturated("saturated"),
      spec_{primary, alternate} {
  SC_METHOD(run);
  sensitive << a << shift << sel;
}

void WindowSelect::run() {
  const Window w = eval(static_cast<std::uint8_t>(a.read()), static_cast<int>(shift.read()), spec_[sel.read() ? 1 : 0]);
  v.write(w.v);
  s.write(w.s);
  rounded_up.write(w.rounded_up);
  saturated.write(w.saturated);
}

}  // namespace sparq::hw
