// vsparq: bsparq plus zero detectors and a pair multiplexer; a pair with one
// zero activation computes its partner at partner precision on both
// multipliers (docs/arithmetic.md §3, docs/hardware.md §1).
#include "designs.h"
#include "lane_design.h"

namespace sparq {

namespace {

class VSparqDesign final : public LaneDesign {
 public:
  VSparqDesign() : LaneDesign("vsparq", true) {}
  std::string summary() const override {
    return "vSPARQ: a pair shares its bit budget; the partner of a zero keeps partner precision";
  }
  std::vector<DesignKey> keys() const override {
    return {{"shift_set", "5opt",
             "window shift set: a preset (5opt 3opt 2opt 6opt 7opt 6b-3opt 1opt) or a list of shifts, e.g. [4, 2, 0]"},
            {"window_bits", "4", "window width n for an explicit shift list (1..8)"},
            {"budget", "4", "vsparq bit budget: 4 (shift_set applies), 3 (6opt / 6b-3opt) or 2 (7opt / 5opt)"},
            {"rounding", "round", "trunc | round | round_renorm (int4, bsparq, vsparq)"}};
  }
  PeArith configure(const DesignParams& p) const override {
    const Rounding r = parse_rounding_key(p);
    const long budget = p.integer("budget");
    if (budget == 3 || budget == 2) {
      PeArith pe = PeArith::vsparq(static_cast<int>(budget), WindowSpec{4, 0x1F, r});
      pe.shift_label = budget == 3 ? "6opt/6b-3opt" : "7opt/5opt";
      return pe;
    }
    if (budget != 4) throw SettingError("budget", "must be 4, 3 or 2, got " + std::to_string(budget));
    std::string label;
    const WindowSpec w = parse_window_keys(p, "shift_set", "window_bits", r, &label);
    if (w.n != 4)
      throw SettingError("shift_set",
                         "vsparq with budget 4 needs a 4-bit window (5opt, 3opt, 2opt or a list with window_bits 4)");
    PeArith pe = PeArith::vsparq(4, w);
    pe.shift_label = label;
    return pe;
  }
  std::vector<std::pair<std::string, std::string>> params(const PeArith& pe) const override {
    const int budget = budget_of(pe);
    std::vector<std::pair<std::string, std::string>> out;
    if (budget == 4) out.push_back({"shift_set", window_param(pe.window)});
    out.push_back({"window_bits", std::to_string(pe.window.n)});
    out.push_back({"budget", std::to_string(budget)});
    out.push_back({"rounding", to_string(pe.window.rounding)});
    return out;
  }
  std::string label(const PeArith& pe) const override {
    const int budget = budget_of(pe);
    const std::string base = budget == 4 ? "vsparq-" + pe.shift_label : "vsparq-b" + std::to_string(budget);
    return base + rounding_suffix(pe.window);
  }

 private:
  // The budget preset the windows match (4: exact 8-bit partner).
  static int budget_of(const PeArith& pe) {
    if (pe.partner.n == 8 && pe.partner.shift_mask == 0b1) return 4;
    if (pe.window.n == 3) return 3;
    return 2;
  }
};

}  // namespace

std::unique_ptr<PeDesign> make_vsparq_design() {
  return std::make_unique<VSparqDesign>();
}

}  // namespace sparq
