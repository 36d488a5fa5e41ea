#include "lod_shift_encoder.h"

namespace sparq::hw {

LodShiftEncoder::LodShiftEncoder(sc_core::sc_module_name name, const WindowSpec& primary, const WindowSpec& alternate)
    : LodShiftEncoderLogic(name), a("a"), sel("sel"), msb("msb"), shift("shift"), spec_{primary, alternate} {
  SC_METHOD(run);
  sensitive << a << sel;
}

void LodShiftEncoder::run() {
  const Out o = eval(static_cast<std::uint8_t>(a.read()), spec_[sel.read() ? 1 : 0]);
  msb.write(o.msb);
  shift.write(static_cast<unsigned>(o.shift));
}

}  // namespace sparq::hw
