#include "pe_design.h"

#include <map>

#include "designs/designs.h"

namespace sparq {

// --- Registry. The built-in designs are listed here rather than registered
// by static initializers in their own files: this is a static library, and a
// linker drops object files nothing references, registrations included.
namespace {
struct Registry {
  std::vector<std::unique_ptr<PeDesign>> owned;
  std::vector<const PeDesign*> list;
  Registry() {
    for (auto make : {make_int8_design, make_int4_design, make_bsparq_design, make_vsparq_design}) {
      owned.push_back(make());
      list.push_back(owned.back().get());
    }
  }
};
const Registry& registry() {
  static const Registry r;
  return r;
}
}  // namespace

const std::vector<const PeDesign*>& pe_designs() {
  return registry().list;
}

const PeDesign& find_pe_design(const std::string& name) {
  std::string known;
  for (const PeDesign* d : pe_designs()) {
    if (d->name() == name) return *d;
    known += (known.empty() ? "" : ", ") + d->name();
  }
  throw std::invalid_argument("unknown PE design '" + name + "' (known: " + known + ")");
}

std::vector<DesignKey> pe_design_keys() {
  std::vector<DesignKey> out;
  for (const PeDesign* d : pe_designs())
    for (const DesignKey& k : d->keys()) {
      bool seen = false;
      for (const DesignKey& o : out) seen |= o.key == k.key;
      if (!seen) out.push_back(k);
    }
  return out;
}

// --- PeArith.

PeArith::PeArith() : PeArith(int8()) {}

PeArith::PeArith(const PeDesign& d, const WindowSpec& w, const WindowSpec& p, std::string label)
    : design(&d), window(w), partner(p), shift_label(std::move(label)) {}

void PeArith::validate() const {
  design->validate(*this);
}

std::string PeArith::label() const {
  return design->label(*this);
}

PeArith PeArith::int8() {
  const WindowSpec exact{8, 0b1, Rounding::Trunc};
  return PeArith(find_pe_design("int8"), exact, exact, "-");
}

PeArith PeArith::int4(Rounding r) {
  const WindowSpec w = preset("1opt", r);
  return PeArith(find_pe_design("int4"), w, w, "1opt");
}

PeArith PeArith::bsparq(const WindowSpec& w) {
  const std::string name = preset_name_of(w);
  PeArith p(find_pe_design("bsparq"), w, w, name.empty() ? "{" + shift_set_string(w.shift_mask) + "}" : name);
  p.validate();
  return p;
}

PeArith PeArith::vsparq(int budget, const WindowSpec& w4) {
  if (budget == 4) {
    if (w4.n != 4) throw std::invalid_argument("vsparq budget 4 needs a 4-bit window");
    return vsparq(w4, WindowSpec{8, 0b1, w4.rounding});
  }
  for (const VsparqBudget& b : kVsparqBudgets)
    if (b.budget == budget) return vsparq(preset(b.lanes, w4.rounding), preset(b.partner, w4.rounding));
  throw std::invalid_argument("vsparq budget must be 4, 3 or 2, got " + std::to_string(budget));
}

PeArith PeArith::vsparq(const WindowSpec& lanes, const WindowSpec& partner) {
  const std::string w = preset_name_of(lanes), q = preset_name_of(partner);
  std::string label = w.empty() ? "{" + shift_set_string(lanes.shift_mask) + "}" : w;
  const bool exact_partner = partner.n == 8 && partner.shift_mask == 0b1;
  if (!exact_partner) label += "/" + (q.empty() ? "{" + shift_set_string(partner.shift_mask) + "}" : q);
  PeArith p(find_pe_design("vsparq"), lanes, partner, label);
  p.validate();
  return p;
}

std::array<int, 2> effective_activations(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) {
  if (!pe.design->consumes_pairs()) return {a1, a2};
  return effective_pair(pe.design->encode(a1, a2, pe));
}

// --- Shift codes.

int shift_code(int s, std::uint16_t mask) {
  if (s < 0 || s > 15 || !((mask >> s) & 1u))
    throw std::logic_error("shift " + std::to_string(s) + " is not in the shift set {" + shift_set_string(mask) + "}");
  return __builtin_popcount(mask & ((1u << s) - 1u));
}

int code_shift(int code, std::uint16_t mask) {
  for (int t = 0; t < 16; ++t)
    if ((mask >> t) & 1u) {
      if (code == 0) return t;
      --code;
    }
  throw std::logic_error("shift code out of range for shift set {" + shift_set_string(mask) + "}");
}

int code_bits(std::uint16_t mask) {
  const int n = __builtin_popcount(mask);
  int b = 0;
  while ((1 << b) < n) ++b;
  return b;
}

}  // namespace sparq
