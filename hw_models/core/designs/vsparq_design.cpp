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
  // Generalized: the lanes' window (shift_set, window_bits), the partner's
  // window (partner_shift_set, partner_bits) and the rounding are all keys;
  // budgets 4, 3 and 2 are presets of them.
  std::vector<DesignKey> keys() const override {
    return {shift_set_key(),
            window_bits_key(),
            {"budget", "4",
             "vsparq bit budget preset: 4 (lanes: shift_set; partner: exact 8 bits), 3 (6opt; partner 6b-3opt) "
             "or 2 (7opt; partner 5opt)"},
            {"partner_shift_set", "~",
             "vsparq: the partner-of-a-zero window's shift set (a preset or a list; default: the budget's)"},
            {"partner_bits", "8", "vsparq: partner window width n_p for an explicit partner list (n_p <= 2n)"},
            rounding_key()};
  }
  PeArith configure(const DesignParams& p) const override {
    const Rounding r = parse_rounding_key(p);
    const long budget = p.integer("budget");
    // Width keys of the wrong type are errors even where the budget or a preset
    // leaves them unused.
    p.integer("window_bits");
    p.integer("partner_bits");
    std::string lane_label, partner_label;
    WindowSpec lanes, partner;
    if (budget == 4) {
      lanes = parse_window_keys(p, "shift_set", "window_bits", r, &lane_label);
      partner = WindowSpec{8, 0b1, r};
    } else {
      const VsparqBudget* b = nullptr;
      for (const VsparqBudget& x : kVsparqBudgets)
        if (x.budget == budget) b = &x;
      if (!b) throw SettingError("budget", "must be 4, 3 or 2, got " + std::to_string(budget));
      lanes = preset(b->lanes, r);
      partner = preset(b->partner, r);
      lane_label = b->lanes;
      partner_label = b->partner;
    }
    if (p.has("partner_shift_set"))
      partner = parse_window_keys(p, "partner_shift_set", "partner_bits", r, &partner_label);
    try {
      PeArith pe = PeArith::vsparq(lanes, partner);
      pe.shift_label = lane_label + (partner_label.empty() ? "" : "/" + partner_label);
      return pe;
    } catch (const std::invalid_argument& e) {
      throw SettingError(p.has("partner_shift_set") ? "partner_shift_set" : "shift_set", e.what());
    }
  }
  std::vector<std::pair<std::string, std::string>> params(const PeArith& pe) const override {
    const int budget = budget_of(pe);
    if (budget == 3 || budget == 2)
      return {{"budget", std::to_string(budget)}, {"rounding", to_string(pe.window.rounding)}};
    return {{"shift_set", window_param(pe.window)},
            {"window_bits", std::to_string(pe.window.n)},
            {"budget", "4"},
            {"partner_shift_set", window_param(pe.partner)},
            {"partner_bits", std::to_string(pe.partner.n)},
            {"rounding", to_string(pe.window.rounding)}};
  }
  // vsparq-5opt (budget 4), vsparq-b3 / vsparq-b2, or vsparq-<lanes>/<partner>.
  std::string label(const PeArith& pe) const override {
    const int budget = budget_of(pe);
    const std::string base =
        budget == 3 || budget == 2 ? "vsparq-b" + std::to_string(budget) : "vsparq-" + pe.shift_label;
    return base + rounding_suffix(pe.window);
  }

 private:
  // The budget preset the windows match (4: any lanes with the exact 8-bit
  // partner), or 0 for another pairing.
  static int budget_of(const PeArith& pe) {
    if (pe.partner.n == 8 && pe.partner.shift_mask == 0b1) return 4;
    for (const VsparqBudget& b : kVsparqBudgets)
      if (preset_name_of(pe.window) == b.lanes && preset_name_of(pe.partner) == b.partner) return b.budget;
    return 0;
  }
};

}  // namespace

std::unique_ptr<PeDesign> make_vsparq_design() {
  return std::make_unique<VSparqDesign>();
}

}  // namespace sparq
