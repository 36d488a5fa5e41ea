// Front end of a pair-consuming PE, or the row-edge encoder (edge LOD): zero
// detectors (vsparq), the input side of the pair multiplexer (which
// activation and which precision lane 0 encodes), two leading-one
// detector/shift encoders, two window selects, and the output gating that
// clears lanes a mode does not use. Output: the packed encoded operand
// (pe_datapath.h layout), equal to pack_encoded(encode_pair(a1, a2)).
#pragma once

#include <memory>
#include <systemc>

#include "lod_shift_encoder.h"
#include "pe_design.h"
#include "window_select.h"
#include "zero_detector.h"

namespace sparq::hw {

class PairEncoder : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(PairEncoder);
  sc_core::sc_in<std::uint32_t> raw;   // a1 | a2 << 8
  sc_core::sc_out<std::uint32_t> enc;  // packed EncodedPair

  PairEncoder(sc_core::sc_module_name name, const PeArith& pe);

 private:
  void split();
  void lane_mux();
  void assemble();

  PeArith pe_;
  sc_core::sc_signal<unsigned> a1_, a2_, mode_, lane0_a_;
  sc_core::sc_signal<bool> z1_, z2_, lane0_sel_, lane1_sel_;
  sc_core::sc_signal<int> msb0_, msb1_;
  sc_core::sc_signal<unsigned> shift0_, shift1_, v0_, s0_, v1_, s1_;
  sc_core::sc_signal<bool> ru0_, sat0_, ru1_, sat1_;
  std::unique_ptr<ZeroDetector> zd_;  // vsparq only
  LodShiftEncoder lod0_, lod1_;
  WindowSelect win0_, win1_;
};

}  // namespace sparq::hw
