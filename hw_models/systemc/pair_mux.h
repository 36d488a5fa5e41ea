// Pair multiplexer, multiplier side: routes the encoded pair's windows and the
// PE's two weights to the two n-bit x 8-bit shifting multipliers; in a vsparq
// combined mode both multipliers take the partner's weight and the high / low
// n bits of the partner's 2n-bit window (route_pair in pe_datapath.h).
#pragma once

#include <systemc>

#include "pe_datapath.h"
#include "pe_design.h"

namespace sparq::hw {

// The block as a PE holds it: evaluated by direct calls (no ports, no
// process); the caller passes the PE arithmetic (the same in every PE).
class PairMuxLogic : public sc_core::sc_module {
 public:
  explicit PairMuxLogic(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
  // e: the encoded pair; w: the weight pair w1 | w2 << 8.
  LaneOperands eval(const EncodedPair& e, std::uint32_t w, const PeArith& pe) const {
    return route_pair(e, weight_lo(w), weight_hi(w), pe);
  }
};

// The block with ports and its own process (block tests): takes the packed
// encoded operand.
class PairMux : public PairMuxLogic {
 public:
  SC_HAS_PROCESS(PairMux);
  sc_core::sc_in<std::uint32_t> enc;  // packed EncodedPair
  sc_core::sc_in<std::uint32_t> w;    // w1 | w2 << 8
  sc_core::sc_out<unsigned> v0, s0, v1, s1;
  sc_core::sc_out<int> w0, w1;

  PairMux(sc_core::sc_module_name name, const PeArith& pe);

 private:
  void run();
  PeArith pe_;
};

}  // namespace sparq::hw
