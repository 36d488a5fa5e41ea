#include "lane_design.h"

#include <algorithm>

namespace sparq {

namespace {

std::uint16_t lane_mask(const PeArith& pe, bool zeros) {
  return zeros ? static_cast<std::uint16_t>(pe.window.shift_mask | pe.partner.shift_mask) : pe.window.shift_mask;
}

std::string times2(const CellCounts& c, const std::string& what) {
  return "2 x " + what + " (each " + c.to_string() + ")";
}

int popcount16(std::uint16_t m) {
  return __builtin_popcount(m);
}

}  // namespace

void LaneDesign::validate(const PeArith& pe) const {
  pe.window.validate();
  if (!detects_zeros()) return;
  pe.partner.validate();
  if (pe.partner.n > 2 * pe.window.n)
    throw std::invalid_argument("the partner window (" + std::to_string(pe.partner.n) +
                                " bits) must fit the two combined multipliers (2 x " + std::to_string(pe.window.n) +
                                " bits)");
}

// The front end (docs/arithmetic.md §3): without zero detectors both lanes
// encode their activation (a zero simply multiplies a zero window); with
// them, a pair with one zero is encoded as the partner at partner precision.
EncodedPair LaneDesign::encode(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) const {
  EncodedPair e;
  if (detects_zeros()) {
    e.mode = classify_pair(a1, a2);
    switch (e.mode) {
      case PairMode::BothNonzero:
        e.lane[0] = select_window(a1, pe.window);
        e.lane[1] = select_window(a2, pe.window);
        break;
      case PairMode::FirstZero: e.lane[0] = select_window(a2, pe.partner); break;
      case PairMode::SecondZero: e.lane[0] = select_window(a1, pe.partner); break;
      case PairMode::BothZero: break;
    }
    return e;
  }
  e.mode = PairMode::BothNonzero;
  e.lane[0] = select_window(a1, pe.window);
  e.lane[1] = select_window(a2, pe.window);
  return e;
}

LaneOperands LaneDesign::route(const EncodedPair& e, std::int8_t w1, std::int8_t w2, const PeArith& pe) const {
  LaneOperands o;
  switch (e.mode) {
    case PairMode::BothNonzero:
    case PairMode::BothZero:
      o.lane = e.lane;
      o.w = {w1, w2};
      break;
    case PairMode::FirstZero:
    case PairMode::SecondZero: {
      const int n = pe.window.n;
      const Window& p = e.lane[0];
      const std::int8_t w = e.mode == PairMode::FirstZero ? w2 : w1;
      o.lane[0].v = static_cast<std::uint8_t>(p.v >> n);
      o.lane[0].s = static_cast<std::uint8_t>(p.s + n);
      o.lane[1].v = static_cast<std::uint8_t>(p.v & ((1u << n) - 1u));
      o.lane[1].s = p.s;
      o.w = {w, w};
      break;
    }
  }
  return o;
}

// The encoded operand is the front end's output after the operand side of
// the pair multiplexer: two routed lanes of (n-bit window, shift code over
// the lanes' shift set) plus, with zero detectors, the 2-bit pair mode that
// tells the PE which weight each lane takes and to shift the high half of a
// combined partner by n. This is the operand register with edge LOD.
PeWidths LaneDesign::widths(const PeArith& pe, LodPlacement lod, int acc_bits) const {
  PeWidths w;
  const int n = pe.window.n;
  w.lane_shift_mask = lane_mask(pe, detects_zeros());
  w.lane_v_bits = n;
  w.code_bits = code_bits(w.lane_shift_mask);
  w.mode_bits = detects_zeros() ? 2 : 0;
  w.lane_v_pos = {0, n + w.code_bits};
  w.lane_code_pos = {n, 2 * n + w.code_bits};
  w.act_bits = lod == LodPlacement::PE ? 2 * kActBits : 2 * (n + w.code_bits) + w.mode_bits;
  w.weight_bits = 2 * kWeightBits;
  w.psum_bits = acc_bits;
  w.mult_input_bits = 2 * (n + kWeightBits);
  return w;
}

std::uint32_t LaneDesign::pack(const EncodedPair& e, const PeArith& pe) const {
  const PeWidths w = widths(pe, LodPlacement::Edge, 32);
  std::uint32_t bits = w.mode_bits ? static_cast<std::uint32_t>(e.mode) << kPairModePos : 0u;
  if (e.mode == PairMode::BothZero) return bits;
  const LaneOperands o = route(e, 0, 0, pe);
  const bool combined = e.mode == PairMode::FirstZero || e.mode == PairMode::SecondZero;
  for (int l = 0; l < 2; ++l) {
    // A combined lane carries the partner's shift; the PE adds n to the high half.
    const int s = combined ? e.lane[0].s : e.lane[l].s;
    bits |= static_cast<std::uint32_t>(o.lane[l].v) << w.lane_v_pos[l];
    bits |= static_cast<std::uint32_t>(shift_code(s, w.lane_shift_mask)) << w.lane_code_pos[l];
  }
  return bits;
}

EncodedPair LaneDesign::unpack(std::uint32_t bits, const PeArith& pe) const {
  const PeWidths w = widths(pe, LodPlacement::Edge, 32);
  const std::uint32_t vmask = (1u << w.lane_v_bits) - 1u, cmask = (1u << w.code_bits) - 1u;
  EncodedPair e;
  e.mode = w.mode_bits ? static_cast<PairMode>((bits >> kPairModePos) & 3u) : PairMode::BothNonzero;
  if (e.mode == PairMode::BothZero) return e;
  std::array<Window, 2> lane{};
  for (int l = 0; l < 2; ++l) {
    lane[l].v = static_cast<std::uint8_t>((bits >> w.lane_v_pos[l]) & vmask);
    lane[l].s = static_cast<std::uint8_t>(
        code_shift(static_cast<int>((bits >> w.lane_code_pos[l]) & cmask), w.lane_shift_mask));
  }
  if (e.mode == PairMode::BothNonzero) {
    e.lane = lane;
  } else {
    e.lane[0].v = static_cast<std::uint8_t>((lane[0].v << pe.window.n) | lane[1].v);
    e.lane[0].s = lane[1].s;
  }
  return e;
}

// The activation-pair front end: per lane LOD, shift encoder, window mux,
// rounding; with zero detectors also the partner window path and the operand
// side of the pair multiplexer (docs/cost_model.md).
void LaneDesign::frontend_parts(const PeArith& a, CostParts& p) const {
  const WindowSpec& w = a.window;
  const bool vs = detects_zeros();
  const bool lane_enc = popcount16(w.shift_mask) > 1;
  const bool partner_enc = vs && popcount16(a.partner.shift_mask) > 1;
  if (lane_enc || partner_enc) {
    const CellCounts lod = leading_one_detector_cells(kActBits);
    p.add(CostComponent::LeadingOneDetectors, lod * 2, times2(lod, "8-bit recursive leading-one detector"));
  }
  if (lane_enc) {
    const CellCounts e = shift_encoder_cells(w);
    p.add(CostComponent::ShiftEncoders, e * 2,
          times2(e, "msb -> " + std::to_string(code_bits(w.shift_mask)) + "-bit shift code, minimal SOP"));
  }
  const CellCounts win = window_mux_cells(w);
  if (win.total() > 0)
    p.add(CostComponent::WindowMuxes, win * 2, times2(win, window_spec_name(w) + " select, MUX2 trees"));
  const CellCounts rnd = rounding_cells(w);
  if (rnd.total() > 0)
    p.add(CostComponent::Rounding, rnd * 2,
          times2(rnd, std::to_string(w.n) + "-bit round-half-even incrementer with saturation"));
  if (!vs) return;

  const WindowSpec& q = a.partner;
  if (partner_enc) {
    const CellCounts e = shift_encoder_cells(q);
    p.add(CostComponent::ShiftEncoders, e, "partner encoder " + window_spec_name(q) + " (" + e.to_string() + ")");
  }
  const CellCounts pwin = window_mux_cells(q);
  if (pwin.total() > 0)
    p.add(CostComponent::WindowMuxes, pwin, "partner " + window_spec_name(q) + " select (" + pwin.to_string() + ")");
  const CellCounts prnd = rounding_cells(q);
  if (prnd.total() > 0)
    p.add(CostComponent::Rounding, prnd, "partner " + std::to_string(q.n) + "-bit rounding (" + prnd.to_string() + ")");
  const CellCounts zd = zero_detector_cells();
  p.add(CostComponent::ZeroDetectors, zd * 2, times2(zd, "8-input NOR"));

  const PeWidths wd = widths(a, LodPlacement::Edge, 32);
  CellCounts mux = cells_of(CellKind::Mux2, kActBits);  // partner = a1 or a2
  std::string basis = "8 MUX2 partner select";
  if (partner_enc) {
    mux += cells_of(CellKind::Mux2, 3);
    basis += ", 3 MUX2 partner msb select";
  }
  mux += cells_of(CellKind::Mux2, 2 * wd.lane_v_bits + 2 * wd.code_bits);
  basis += ", " + std::to_string(2 * wd.lane_v_bits) + " MUX2 lane window (own window or partner half), " +
           std::to_string(2 * wd.code_bits) + " MUX2 lane shift code";
  mux += cells_of(CellKind::Xor2) + cells_of(CellKind::And2);
  basis += ", XOR2 + AND2 pair mode (one zero / both zero)";
  p.add(CostComponent::PairMux, mux, basis);
}

void LaneDesign::datapath_parts(const PeArith& a, const PeContext& ctx, CostParts& p) const {
  const PeWidths wd = widths(a, ctx.lod, ctx.acc_bits);
  const int n = wd.lane_v_bits;
  const CellCounts m = array_multiplier_cells(n, kWeightBits);
  p.add(CostComponent::Multipliers, m * 2,
        times2(m, std::to_string(n) + "x8 unsigned-by-signed Baugh-Wooley ripple array"));
  const CellCounts sh = barrel_shifter_cells(wd.lane_shift_mask, n + kWeightBits, kShiftedProductBits);
  if (sh.total() > 0)
    p.add(CostComponent::BarrelShifters, sh * 2,
          times2(sh, std::to_string(n + kWeightBits) + "-bit product shifted by S={" +
                         shift_set_string(wd.lane_shift_mask) + "} to 16 bits, log-depth MUX2 stages"));
  if (detects_zeros()) {
    CellCounts pm = cells_of(CellKind::Mux2, 2 * kWeightBits);
    const CellCounts hi =
        barrel_shifter_cells(static_cast<std::uint16_t>(1u | (1u << n)), kShiftedProductBits, kShiftedProductBits);
    pm += hi;
    p.add(CostComponent::PairMux, pm,
          "16 MUX2 lane weight routing (both lanes take the partner's weight), extra shift-by-" + std::to_string(n) +
              " stage on the high product (" + hi.to_string() + ")");
  }
  p.add(CostComponent::PairAdder, ripple_adder_cells(kPairSumBits),
        "17-bit ripple adder of the two 16-bit shifted products (1 HA + 16 FA)");
  std::string act_basis = "2 x 8-bit raw activation pipeline register";
  if (ctx.lod == LodPlacement::Edge)
    act_basis = "encoded operand pipeline register: 2 x (" + std::to_string(n) + " window + " +
                std::to_string(wd.code_bits) + " shift-code bits)" + (wd.mode_bits ? " + 2 pair-mode bits" : "");
  common_pe_parts(wd, ctx, act_basis, p);
}

// --- Keys.

DesignKey rounding_key() {
  return {"rounding", "round", enum_choices<Rounding>() + " (int4, bsparq, vsparq)"};
}

DesignKey shift_set_key() {
  return {"shift_set", "5opt",
          "window shift set: a preset (5opt 3opt 2opt 6opt 7opt 6b-3opt 1opt) or a list of shifts, e.g. [4, 2, 0]"};
}

DesignKey window_bits_key() {
  return {"window_bits", "4", "window width n for an explicit shift list (1..8)"};
}

Rounding parse_rounding_key(const DesignParams& p) {
  try {
    return parse_enum<Rounding>(p.text("rounding"));
  } catch (const std::invalid_argument& e) {
    throw SettingError("rounding", e.what());
  }
}

WindowSpec parse_window_keys(const DesignParams& p, const std::string& shift_key, const std::string& bits_key,
                             Rounding r, std::string* label) {
  // The width key applies to an explicit list only, but a value of the wrong
  // type is an error wherever it stands (not silently ignored with a preset).
  const long bits = p.integer(bits_key);
  WindowSpec w;
  if (p.is_list(shift_key)) {
    std::uint16_t mask = 0;
    for (long s : p.integers(shift_key)) {
      if (s < 0 || s > 7) throw SettingError(shift_key, "shifts must be in 0..7, got " + std::to_string(s));
      mask = static_cast<std::uint16_t>(mask | (1u << s));
    }
    if (!mask) throw SettingError(shift_key, "must not be empty");
    w = WindowSpec{static_cast<int>(bits), mask, r};
    *label = "{" + shift_set_string(mask) + "}";
  } else {
    const std::string name = p.text(shift_key);
    try {
      if (name.find(',') != std::string::npos) {
        w = WindowSpec{static_cast<int>(bits), parse_shift_set(name), r};
        *label = "{" + shift_set_string(w.shift_mask) + "}";
      } else {
        w = preset(name, r);
        *label = name;
      }
    } catch (const SettingError&) {
      throw;
    } catch (const std::invalid_argument& e) {
      throw SettingError(shift_key, e.what());
    }
  }
  try {
    w.validate();
  } catch (const std::invalid_argument& e) {
    throw SettingError(shift_key, e.what());
  }
  return w;
}

std::string window_param(const WindowSpec& w) {
  const std::string name = preset_name_of(w);
  if (!name.empty()) return name;
  std::string s;
  for (int t = 15; t >= 0; --t)
    if ((w.shift_mask >> t) & 1u) s += (s.empty() ? "" : ", ") + std::to_string(t);
  return "[" + s + "]";
}

std::string rounding_suffix(const WindowSpec& w) {
  return w.rounding == Rounding::Round ? "" : std::string("-") + to_string(w.rounding);
}

}  // namespace sparq
