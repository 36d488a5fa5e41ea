// The two-lane SPARQ datapath shared by int4, bsparq and vsparq
// (docs/hardware.md §1): per lane a leading-one detector, shift encoder and
// window select with rounding, an n-bit x 8-bit multiplier and a barrel
// shifter; with zero detectors (vsparq) a pair multiplexer that combines both
// multipliers on the partner of a zero. The designs differ in their keys and
// windows; the datapath, its widths and its cost parts are written here once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cost_model.h"
#include "pe_design.h"

namespace sparq {

class LaneDesign : public PeDesign {
 public:
  EncodedPair encode(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) const override;
  LaneOperands route(const EncodedPair& e, std::int8_t w1, std::int8_t w2, const PeArith& pe) const override;
  PeWidths widths(const PeArith& pe, LodPlacement lod, int acc_bits) const override;
  std::uint32_t pack(const EncodedPair& e, const PeArith& pe) const override;
  EncodedPair unpack(std::uint32_t bits, const PeArith& pe) const override;
  void frontend_parts(const PeArith& pe, CostParts& out) const override;
  void datapath_parts(const PeArith& pe, const PeContext& ctx, CostParts& out) const override;
  void validate(const PeArith& pe) const override;

 protected:
  explicit LaneDesign(std::string name, bool zeros)
      : PeDesign(std::move(name), true, 2, zeros, {2, 2, 2, zeros ? 0 : 2}) {}
};

// Keys shared by the designs (one definition, so that a key shared by
// several designs has one default and one help text).
DesignKey rounding_key();     // rounding: trunc | round | round_renorm
DesignKey shift_set_key();    // shift_set: the lanes' window shift set
DesignKey window_bits_key();  // window_bits: its width for an explicit list

// Key parsing shared by the designs.
Rounding parse_rounding_key(const DesignParams& p);
// A window from a shift-set key (a preset name, "4,2,0" or a list of shifts)
// and a width key (used with an explicit list). Sets *label to the preset
// name or "{4,2,0}". Throws SettingError naming the key at fault.
WindowSpec parse_window_keys(const DesignParams& p, const std::string& shift_key, const std::string& bits_key,
                             Rounding r, std::string* label);
// The YAML text of a window's shift set: the preset name, or a flow list.
std::string window_param(const WindowSpec& w);
// "-trunc" / "-round_renorm" for a non-default rounding, else "".
std::string rounding_suffix(const WindowSpec& w);

}  // namespace sparq
