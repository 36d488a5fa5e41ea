#include "lod_shift_encoder.h"

namespace sparq::hw {

LodShiftEncoder::LodShiftEncoder(sc_core::sc_module_name name, const WindowSpec& primary, const WindowSpec& alternate)
    : sc_core::sc_module(name), a("a"), sel("sel"), msb("msb"), shift("shift"), spec_{primary, alternate} {
  SC_METHOD(eval);
  sensitive << a << sel;
}

void LodShiftEncoder::eval() {
  const int p = leading_one(static_cast<std::uint8_t>(a.read()));
  msb.write(p);
  shift.write(static_cast<unsigned>(encode_shift(p, spec_[sel.read() ? 1 : 0])));
}

}  // namespace sparq::hw
