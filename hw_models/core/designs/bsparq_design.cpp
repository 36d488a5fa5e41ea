// bsparq: each activation of a pair trimmed to an n-bit window placed after
// its leading zeros, on two n-bit x 8-bit shifting multipliers
// (docs/arithmetic.md §2, docs/hardware.md §1).
#include "designs.h"
#include "lane_design.h"

namespace sparq {

namespace {

class BSparqDesign final : public LaneDesign {
 public:
  BSparqDesign() : LaneDesign("bsparq", false) {}
  std::string summary() const override { return "bSPARQ: each activation trimmed to an n-bit window"; }
  std::vector<DesignKey> keys() const override { return {shift_set_key(), window_bits_key(), rounding_key()}; }
  PeArith configure(const DesignParams& p) const override {
    std::string label;
    const WindowSpec w = parse_window_keys(p, "shift_set", "window_bits", parse_rounding_key(p), &label);
    PeArith pe = PeArith::bsparq(w);
    pe.shift_label = label;
    return pe;
  }
  std::vector<std::pair<std::string, std::string>> params(const PeArith& pe) const override {
    return {{"shift_set", window_param(pe.window)},
            {"window_bits", std::to_string(pe.window.n)},
            {"rounding", to_string(pe.window.rounding)}};
  }
  std::string label(const PeArith& pe) const override {
    return "bsparq-" + pe.shift_label + rounding_suffix(pe.window);
  }
};

}  // namespace

std::unique_ptr<PeDesign> make_bsparq_design() {
  return std::make_unique<BSparqDesign>();
}

}  // namespace sparq
