// Front end of a pair-consuming PE, or the row-edge encoder (edge LOD): zero
// detectors (vsparq), the input side of the pair multiplexer (which
// activation and which precision lane 0 encodes), two leading-one
// detector/shift encoders, two window selects, and the output gating that
// clears lanes a mode does not use. Equal to encode_pair(a1, a2) in the lanes
// the mode uses; packed, to pack_encoded(encode_pair(a1, a2)).
#pragma once

#include <optional>
#include <systemc>

#include "lod_shift_encoder.h"
#include "pe_design.h"
#include "window_select.h"
#include "zero_detector.h"

namespace sparq::hw {

// The block as a PE (or a row edge) holds it: its sub-blocks evaluated by
// direct calls (no ports, no process); the caller passes the PE arithmetic
// (the same in every PE). The zero detectors exist for vsparq only.
class PairEncoderLogic : public sc_core::sc_module {
 public:
  PairEncoderLogic(sc_core::sc_module_name name, const PeArith& pe);
  // raw: a1 | a2 << 8. Inline: the PE's datapath calls it every cycle.
  EncodedPair eval(std::uint32_t raw, const PeArith& pe) const {
    const auto a1 = static_cast<std::uint8_t>(raw & 0xFFu), a2 = static_cast<std::uint8_t>((raw >> 8) & 0xFFu);
    EncodedPair e;
    e.mode = pe.design->detects_zeros() ? zd_->eval(a1, a2) : PairMode::BothNonzero;
    // Output gating: lanes the mode does not use stay cleared (their
    // encoders' outputs are not looked at).
    if (e.mode == PairMode::BothZero) return e;
    // Pair multiplexer, input side: in a combined mode lane 0 encodes the
    // nonzero activation at the partner's precision.
    const bool combined = e.mode == PairMode::FirstZero || e.mode == PairMode::SecondZero;
    const std::uint8_t lane0_a = e.mode == PairMode::FirstZero ? a2 : a1;
    const WindowSpec& spec0 = combined ? pe.partner : pe.window;
    e.lane[0] = win0_.eval(lane0_a, lod0_.eval(lane0_a, spec0).shift, spec0);
    if (e.mode == PairMode::BothNonzero) e.lane[1] = win1_.eval(a2, lod1_.eval(a2, pe.window).shift, pe.window);
    return e;
  }

 private:
  std::optional<ZeroDetectorLogic> zd_;
  LodShiftEncoderLogic lod0_, lod1_;
  WindowSelectLogic win0_, win1_;
};

// The block with ports and its own process (block tests): the packed encoding.
class PairEncoder : public PairEncoderLogic {
 public:
  SC_HAS_PROCESS(PairEncoder);
  sc_core::sc_in<std::uint32_t> raw;   // a1 | a2 << 8
  sc_core::sc_out<std::uint32_t> enc;  // packed EncodedPair

  PairEncoder(sc_core::sc_module_name name, const PeArith& pe);

 private:
  void run();
  PeArith pe_;
};

}  // namespace sparq::hw
