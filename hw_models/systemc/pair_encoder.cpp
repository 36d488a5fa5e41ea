#include "pair_encoder.h"

#include "pe_datapath.h"

namespace sparq::hw {

PairEncoderLogic::PairEncoderLogic(sc_core::sc_module_name name, const PeArith& pe)
    : sc_core::sc_module(name), lod0_("lod0"), lod1_("lod1"), win0_("win0"), win1_("win1") {
  if (pe.design->detects_zeros()) zd_.emplace("zd");
}

PairEncoder::PairEncoder(sc_core::sc_module_name name, const PeArith& pe)
    : PairEncoderLogic(name, pe), raw("raw"), enc("enc"), pe_(pe) {
  SC_METHOD(run);
  sensitive << raw;
}

void PairEncoder::run() {
  enc.write(pack_encoded(eval(raw.read(), pe_), pe_));
}

}  // namespace sparq::hw
