// int4: the uniform 4-bit baseline (the 1opt window, shift 4 only) on the
// two-lane datapath, one activation pair per cycle (docs/hardware.md §1).
#include "designs.h"
#include "lane_design.h"

namespace sparq {

namespace {

class Int4Design final : public LaneDesign {
 public:
  Int4Design() : LaneDesign("int4", false) {}
  std::string summary() const override { return "uniform 4-bit activations (1opt) on two 4b x 8b multipliers"; }
  std::vector<DesignKey> keys() const override { return {rounding_key()}; }
  PeArith configure(const DesignParams& p) const override { return PeArith::int4(parse_rounding_key(p)); }
  std::vector<std::pair<std::string, std::string>> params(const PeArith& pe) const override {
    return {{"rounding", to_string(pe.window.rounding)}};
  }
  std::string label(const PeArith& pe) const override { return "int4" + rounding_suffix(pe.window); }
};

}  // namespace

std::unique_ptr<PeDesign> make_int4_design() {
  return std::make_unique<Int4Design>();
}

}  // namespace sparq
