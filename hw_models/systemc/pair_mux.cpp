#include "pair_mux.h"

namespace sparq::hw {

PairMux::PairMux(sc_core::sc_module_name name, const PeArith& pe)
    : PairMuxLogic(name), enc("enc"), w("w"), v0("v0"), s0("s0"), v1("v1"), s1("s1"), w0("w0"), w1("w1"), pe_(pe) {
  SC_METHOD(run);
  sensitive << enc << w;
}

void PairMux::run() {
  const LaneOperands o = eval(unpack_encoded(enc.read(), pe_), w.read(), pe_);
  v0.write(o.lane[0].v);
  s0.write(o.lane[0].s);
  v1.write(o.lane[1].v);
  s1.write(o.lane[1].s);
  w0.write(o.w[0]);
  w1.write(o.w[1]);
}

}  // namespace sparq::hw
