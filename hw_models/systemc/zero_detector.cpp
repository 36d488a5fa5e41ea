#include "zero_detector.h"

namespace sparq::hw {

ZeroDetector::ZeroDetector(sc_core::sc_module_name name)
    : ZeroDetectorLogic(name), a1("a1"), a2("a2"), z1("z1"), z2("z2"), mode("mode") {
  SC_METHOD(run);
  sensitive << a1 << a2;
}

void ZeroDetector::run() {
  const PairMode m = eval(static_cast<std::uint8_t>(a1.read()), static_cast<std::uint8_t>(a2.read()));
  z1.write(m == PairMode::FirstZero || m == PairMode::BothZero);
  z2.write(m == PairMode::SecondZero || m == PairMode::BothZero);
  mode.write(static_cast<unsigned>(m));
}

}  // namespace sparq::hw
