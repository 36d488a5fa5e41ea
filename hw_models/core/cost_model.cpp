#include "cost_model.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace sparq {

// --- Cells ---------------------------------------------------------------

namespace {
constexpr std::array<const char*, kCellKindCount> kCellNames = {
    "INV_X1",  "NAND2_X1", "AND2_X1", "AND3_X1", "OR2_X1", "OR3_X1", "OR4_X1",
    "NOR4_X1", "XOR2_X1",  "MUX2_X1", "HA_X1",   "FA_X1",  "DFF_X1",
};

CellKind kind(int i) {
  return static_cast<CellKind>(i);
}

int ceil_log2(int k) {
  int c = 0;
  while ((1 << c) < k) ++c;
  return c;
}

CellCounts one(CellKind k, std::int64_t count = 1) {
  CellCounts c;
  c[k] = count;
  return c;
}
}  // namespace

const char* cell_name(CellKind k) {
  return kCellNames[static_cast<int>(k)];
}

bool parse_cell_name(const std::string& name, CellKind& out) {
  for (int i = 0; i < kCellKindCount; ++i)
    if (name == kCellNames[i]) {
      out = kind(i);
      return true;
    }
  return false;
}

CellCounts& CellCounts::operator+=(const CellCounts& o) {
  for (int i = 0; i < kCellKindCount; ++i) n[i] += o.n[i];
  return *this;
}

CellCounts CellCounts::operator+(const CellCounts& o) const {
  CellCounts r = *this;
  r += o;
  return r;
}

CellCounts CellCounts::operator*(std::int64_t k) const {
  CellCounts r = *this;
  for (auto& x : r.n) x *= k;
  return r;
}

std::int64_t CellCounts::total() const {
  std::int64_t t = 0;
  for (auto x : n) t += x;
  return t;
}

std::string CellCounts::to_string() const {
  std::string out;
  for (int i = 0; i < kCellKindCount; ++i)
    if (n[i] != 0) out += (out.empty() ? "" : ", ") + std::to_string(n[i]) + " " + kCellNames[i];
  return out.empty() ? "none" : out;
}

double CellLibrary::area(const CellCounts& c) const {
  double a = 0;
  for (int i = 0; i < kCellKindCount; ++i) a += static_cast<double>(c.n[i]) * area_um2[i];
  return a;
}

void CellLibrary::validate() const {
  for (int i = 0; i < kCellKindCount; ++i)
    if (!std::isfinite(area_um2[i]) || area_um2[i] <= 0)
      throw std::invalid_argument(std::string("cell library '") + name + "': area of " + kCellNames[i] +
                                  " must be a positive number of um^2");
  const std::pair<const char*, double> energies[] = {
      {"mult_pp_cell_toggle_pj", energy.mult_pp_cell_toggle_pj},
      {"add_bit_pj", energy.add_bit_pj},
      {"logic_nand2eq_op_pj", energy.logic_nand2eq_op_pj},
      {"reg_bit_clock_pj", energy.reg_bit_clock_pj},
      {"reg_bit_toggle_pj", energy.reg_bit_toggle_pj},
      {"sram_byte_pj", energy.sram_byte_pj},
      {"dram_byte_pj", energy.dram_byte_pj},
  };
  for (const auto& [key, v] : energies)
    if (!std::isfinite(v) || v < 0)
      throw std::invalid_argument(std::string("cell library '") + name + "': energy " + key +
                                  " must be a non-negative number of pJ");
}

// --- Configuration -------------------------------------------------------

void CostConfig::validate() const {
  arith.validate();
  if (rows < 1 || cols < 1)
    throw std::invalid_argument("array must be at least 1 x 1, got " + std::to_string(rows) + " x " +
                                std::to_string(cols));
  const int min_acc = arith.design->min_acc_bits();
  if (acc_bits < min_acc || acc_bits > 64)
    throw std::invalid_argument("accumulator width must be in " + std::to_string(min_acc) + "..64 bits for " +
                                to_string(arith.design) + ", got " + std::to_string(acc_bits));
}

const char* to_string(CostComponent c) {
  switch (c) {
    case CostComponent::Multipliers: return "multipliers";
    case CostComponent::BarrelShifters: return "barrel_shifters";
    case CostComponent::LeadingOneDetectors: return "leading_one_detectors";
    case CostComponent::ShiftEncoders: return "shift_encoders";
    case CostComponent::WindowMuxes: return "window_muxes";
    case CostComponent::Rounding: return "rounding";
    case CostComponent::ZeroDetectors: return "zero_detectors";
    case CostComponent::PairMux: return "pair_mux";
    case CostComponent::PairAdder: return "pair_adder";
    case CostComponent::AccAdder: return "acc_adder";
    case CostComponent::ActRegister: return "act_register";
    case CostComponent::WeightRegister: return "weight_register";
    case CostComponent::PsumRegister: return "psum_register";
  }
  return "?";
}

// --- Building blocks -----------------------------------------------------

CellCounts array_multiplier_cells(int n, int m) {
  if (n < 1 || m < 2) throw std::invalid_argument("array multiplier needs n >= 1 and m >= 2");
  CellCounts c;
  // Row 0: m AND2 (its sign bit kept as AND2; the +2^(m-1) Baugh-Wooley
  // constant folded in as the complement of that bit, one INV, at column m).
  // Rows 1..n-1: m-1 AND2 and one NAND2 on the sign column, each row a
  // ripple adder of 1 HA + (m-1) FA. One INV complements the top bit.
  c[CellKind::And2] = static_cast<std::int64_t>(n) * (m - 1) + 1;
  c[CellKind::Nand2] = n - 1;
  c[CellKind::Inv] = 2;
  c[CellKind::Ha] = n - 1;
  c[CellKind::Fa] = static_cast<std::int64_t>(n - 1) * (m - 1);
  return c;
}

CellCounts leading_one_detector_cells(int width) {
  if (width < 2 || (width & (width - 1)) != 0)
    throw std::invalid_argument("leading-one detector width must be a power of two >= 2");
  // Leaves: pairs of bits (valid = OR2, position = high bit). Each merge of
  // two halves with p-bit positions: valid OR2, p MUX2 selecting the position.
  CellCounts c;
  c[CellKind::Or2] = width / 2;
  int units = width / 2;
  int pos_bits = 1;
  while (units > 1) {
    units /= 2;
    c[CellKind::Or2] += units;
    c[CellKind::Mux2] += static_cast<std::int64_t>(units) * pos_bits;
    ++pos_bits;
  }
  return c;
}

namespace {

// A product term over 3 inputs: per input 0 (complemented), 1 (true), 2 (absent).
struct Cube {
  std::array<int, 3> lit{};
  std::uint8_t minterms() const {
    std::uint8_t m = 0;
    for (int x = 0; x < 8; ++x) {
      bool in = true;
      for (int i = 0; i < 3; ++i)
        if (lit[i] != 2 && ((x >> i) & 1) != lit[i]) in = false;
      if (in) m = static_cast<std::uint8_t>(m | (1u << x));
    }
    return m;
  }
  int literals() const {
    int k = 0;
    for (int v : lit) k += v != 2;
    return k;
  }
};

std::vector<Cube> minimal_sop3(std::uint8_t truth) {
  if (truth == 0) return {};
  std::vector<Cube> implicants;
  for (int code = 0; code < 27; ++code) {
    Cube c{{code % 3, (code / 3) % 3, code / 9}};
    const std::uint8_t m = c.minterms();
    if ((m & ~truth) == 0) implicants.push_back(c);
  }
  std::vector<Cube> primes;
  for (const auto& c : implicants) {
    bool prime = true;
    for (const auto& d : implicants) {
      const std::uint8_t mc = c.minterms(), md = d.minterms();
      if (mc != md && (mc & md) == mc) prime = false;
    }
    if (prime) primes.push_back(c);
  }
  // Exhaustive cover search (a 3-input function has at most 6 primes):
  // fewest terms, then fewest literals.
  std::vector<Cube> best;
  int best_terms = 1 << 30, best_lits = 1 << 30;
  const int p = static_cast<int>(primes.size());
  for (int sub = 1; sub < (1 << p); ++sub) {
    std::uint8_t cover = 0;
    int terms = 0, lits = 0;
    for (int i = 0; i < p; ++i)
      if ((sub >> i) & 1) {
        cover = static_cast<std::uint8_t>(cover | primes[i].minterms());
        ++terms;
        lits += primes[i].literals();
      }
    if (cover != truth) continue;
    if (terms < best_terms || (terms == best_terms && lits < best_lits)) {
      best_terms = terms;
      best_lits = lits;
      best.clear();
      for (int i = 0; i < p; ++i)
        if ((sub >> i) & 1) best.push_back(primes[i]);
    }
  }
  return best;
}

// Gates of a cover, without the input inverters (returned in the mask).
CellCounts cover_gates(const std::vector<Cube>& cover, int& complemented_inputs) {
  CellCounts c;
  for (const auto& cube : cover) {
    const int k = cube.literals();
    if (k == 2) c[CellKind::And2] += 1;
    if (k == 3) c[CellKind::And3] += 1;
    for (int i = 0; i < 3; ++i)
      if (cube.lit[i] == 0) complemented_inputs |= 1 << i;
  }
  const auto t = static_cast<std::int64_t>(cover.size());
  if (t == 2) c[CellKind::Or2] += 1;
  if (t == 3) c[CellKind::Or3] += 1;
  if (t == 4) c[CellKind::Or4] += 1;
  if (t > 4) c[CellKind::Or2] += t - 1;
  return c;
}

CellCounts inverters_for(int complemented_inputs) {
  int k = 0;
  for (int i = 0; i < 3; ++i) k += (complemented_inputs >> i) & 1;
  return one(CellKind::Inv, k);
}

// Cells of a mux choosing among `nonzero` distinct signals and (if `zero`) a
// constant 0: a MUX2 tree over the signals, the zero by one AND2 gate.
CellCounts select_cells(int nonzero, bool zero) {
  CellCounts c;
  if (nonzero <= 0) return c;
  c[CellKind::Mux2] = nonzero - 1;
  if (zero) c[CellKind::And2] = 1;
  return c;
}

bool is_progression(const std::vector<int>& s) {
  for (std::size_t i = 2; i < s.size(); ++i)
    if (s[i] - s[i - 1] != s[1] - s[0]) return false;
  return true;
}

}  // namespace

CellCounts sop3_cells(std::uint8_t truth) {
  if (truth == 0xFF) return {};
  int inv = 0;
  CellCounts c = cover_gates(minimal_sop3(truth), inv);
  return c + inverters_for(inv);
}

CellCounts shift_encoder_cells(const WindowSpec& spec) {
  const std::vector<int> shifts = spec.shifts();
  const int code_bits = ceil_log2(static_cast<int>(shifts.size()));
  CellCounts c;
  int inv = 0;
  for (int j = 0; j < code_bits; ++j) {
    std::uint8_t truth = 0;
    for (int msb = 0; msb < 8; ++msb) {
      const int s = encode_shift(msb, spec);
      const auto idx = std::find(shifts.begin(), shifts.end(), s) - shifts.begin();
      if ((idx >> j) & 1) truth = static_cast<std::uint8_t>(truth | (1u << msb));
    }
    if (truth != 0xFF) c += cover_gates(minimal_sop3(truth), inv);
  }
  return c + inverters_for(inv);
}

CellCounts window_mux_cells(const WindowSpec& spec) {
  CellCounts c;
  for (int j = 0; j < spec.n; ++j) {
    int nonzero = 0;
    bool zero = false;
    for (int s : spec.shifts()) {
      if (j + s <= kActBits - 1)
        ++nonzero;
      else
        zero = true;
    }
    c += select_cells(nonzero, zero);
  }
  return c;
}

CellCounts rounding_cells(const WindowSpec& spec) {
  CellCounts c;
  const std::vector<int> shifts = spec.shifts();
  const int max_s = spec.max_shift();
  if (spec.rounding == Rounding::Trunc || max_s == 0) return c;
  // half = bit s-1: a select over the shifts (s = 0 gives 0).
  int half_src = 0, sticky_src = 0;
  bool half_zero = false, sticky_zero = false;
  for (int s : shifts) {
    if (s >= 1)
      ++half_src;
    else
      half_zero = true;
    if (s >= 2)
      ++sticky_src;
    else
      sticky_zero = true;
  }
  c += select_cells(half_src, half_zero);
  // sticky = OR of bits below s-1: a prefix-OR chain P_k = a_0|..|a_k, then a select.
  c += one(CellKind::Or2, std::max(0, max_s - 2));
  c += select_cells(sticky_src, sticky_zero);
  // Round up iff half & (lsb | sticky).
  c += one(CellKind::Or2) + one(CellKind::And2);
  // Saturation: the window is all ones (n-input AND as AND2s); increment enable = up & !all_ones.
  c += one(CellKind::And2, spec.n - 1) + one(CellKind::Inv) + one(CellKind::And2);
  // n-bit incrementer (v + enable).
  c += one(CellKind::Ha, spec.n);
  if (spec.rounding == Rounding::RoundRenorm && shifts.size() > 1) {
    // Move to the next shift: code incrementer, renormalized window select, condition.
    c += one(CellKind::Ha, ceil_log2(static_cast<int>(shifts.size()))) + one(CellKind::Mux2, spec.n) +
         one(CellKind::And2, 2);
  }
  return c;
}

CellCounts barrel_shifter_cells(std::uint16_t shift_mask, int in_bits, int out_bits) {
  std::vector<int> s;
  for (int i = 0; i < 16; ++i)
    if ((shift_mask >> i) & 1) s.push_back(i);
  CellCounts c;
  if (s.size() <= 1) return c;  // a fixed shift is wiring
  if (!is_progression(s)) {
    c[CellKind::Mux2] = static_cast<std::int64_t>(s.size() - 1) * out_bits;
    return c;
  }
  // Fixed offset min(S) is wiring; stage j shifts by stride*2^j or not: the
  // low bits select x_i or 0 (AND2 with the inverted stage select), the others
  // x_i (or the sign) or x_(i-shift) (MUX2).
  const int stride = s[1] - s[0];
  int width = std::min(out_bits, in_bits + s[0]);
  for (int j = 0; j < ceil_log2(static_cast<int>(s.size())); ++j) {
    const int t = stride << j;
    const int w_out = std::min(out_bits, width + t);
    c[CellKind::Mux2] += std::max(0, w_out - t);
    c[CellKind::And2] += std::min(t, w_out);
    c[CellKind::Inv] += 1;
    width = w_out;
  }
  return c;
}

CellCounts ripple_adder_cells(int bits) {
  if (bits < 1) throw std::invalid_argument("adder needs at least one bit");
  return one(CellKind::Ha) + one(CellKind::Fa, bits - 1);
}

CellCounts zero_detector_cells() {
  return one(CellKind::Nor4, 2) + one(CellKind::And2);
}

// --- Estimates -----------------------------------------------------------

namespace {

UnitCost finish(const CostParts& cp, const CellLibrary& lib) {
  const auto& parts = cp.parts;
  UnitCost u;
  for (int i = 0; i < kCostComponentCount; ++i) {
    ComponentCost& cc = u.components[i];
    cc.id = static_cast<CostComponent>(i);
    cc.cells = parts[i].cells;
    cc.basis = parts[i].basis;
    cc.area_um2 = lib.area(cc.cells);
    cc.nand2_eq = cc.area_um2 / lib.nand2_area();
    u.cells += cc.cells;
  }
  u.area_um2 = lib.area(u.cells);
  u.nand2_eq = u.area_um2 / lib.nand2_area();
  return u;
}

CostParts merge(const CostParts& a, const CostParts& b) {
  CostParts r = a;
  for (int i = 0; i < kCostComponentCount; ++i)
    r.add(static_cast<CostComponent>(i), b.parts[i].cells, b.parts[i].basis);
  return r;
}

struct Units {
  UnitCost pe, edge, frontend;
};

Units units(const CostConfig& cfg, const CellLibrary& lib) {
  CostParts fe, dp;
  cfg.arith.design->frontend_parts(cfg.arith, fe);
  cfg.arith.design->datapath_parts(cfg.arith, PeContext{cfg.lod, cfg.dataflow, cfg.acc_bits, cfg.weight_buffering}, dp);
  Units u;
  u.frontend = finish(fe, lib);
  if (cfg.lod == LodPlacement::PE) {
    u.pe = finish(merge(dp, fe), lib);
    u.edge = finish(CostParts{}, lib);
  } else {
    u.pe = finish(dp, lib);
    u.edge = finish(fe, lib);
  }
  return u;
}

}  // namespace

void CostParts::add(CostComponent c, const CellCounts& cells, const std::string& basis) {
  if (cells.total() == 0 && basis.empty()) return;
  CostPart& part = parts[static_cast<int>(c)];
  part.cells += cells;
  if (!basis.empty()) part.basis += (part.basis.empty() ? "" : "; ") + basis;
}

CellCounts cells_of(CellKind k, std::int64_t count) {
  return one(k, count);
}

std::string window_spec_name(const WindowSpec& w) {
  return std::to_string(w.n) + "-bit window, S={" + shift_set_string(w.shift_mask) + "}, " + to_string(w.rounding);
}

void common_pe_parts(const PeWidths& w, const PeContext& ctx, const std::string& act_basis, CostParts& p) {
  p.add(CostComponent::AccAdder, ripple_adder_cells(ctx.acc_bits) + one(CellKind::Xor2),
        std::to_string(ctx.acc_bits) + "-bit ripple accumulator adder (1 HA + " + std::to_string(ctx.acc_bits - 1) +
            " FA) + XOR2 overflow detect");
  p.add(CostComponent::ActRegister, one(CellKind::Dff, w.act_bits),
        act_basis + " (" + std::to_string(w.act_bits) + " DFF)");
  const bool dbl = ctx.buffering == WeightBuffering::Double;
  if (ctx.dataflow == Dataflow::WS) {
    p.add(CostComponent::WeightRegister, one(CellKind::Dff, w.weight_bits) + one(CellKind::Mux2, w.weight_bits),
          std::to_string(w.weight_bits) + "-bit stationary weight register with load/hold MUX2 per bit");
    // Double buffering (docs/hardware.md "Weight buffering"): the shadow
    // register shifting down the column, and the multiplier's select between
    // it and the active register (the fold's first slot takes the shadow).
    if (dbl)
      p.add(CostComponent::WeightRegister, one(CellKind::Dff, w.weight_bits) + one(CellKind::Mux2, 2 * w.weight_bits),
            std::to_string(w.weight_bits) + "-bit shadow weight register with shift/hold MUX2 per bit, " +
                std::to_string(w.weight_bits) + " MUX2 selecting the shadow weight for the fold's first slot");
    p.add(CostComponent::PsumRegister, one(CellKind::Dff, w.psum_bits),
          std::to_string(w.psum_bits) + "-bit partial-sum pipeline register");
  } else if (!dbl) {
    p.add(CostComponent::WeightRegister, one(CellKind::Dff, w.weight_bits),
          std::to_string(w.weight_bits) + "-bit weight pipeline register");
    p.add(CostComponent::PsumRegister,
          one(CellKind::Dff, w.psum_bits) + one(CellKind::Mux2, w.psum_bits) + one(CellKind::And2, w.psum_bits),
          std::to_string(w.psum_bits) + "-bit accumulator register with drain MUX2 and clear AND2 per bit");
  } else {
    // Double buffering: the accumulator clears when its result moves to the
    // output register, which captures it or shifts the one above down.
    p.add(CostComponent::WeightRegister, one(CellKind::Dff, w.weight_bits),
          std::to_string(w.weight_bits) + "-bit weight pipeline register");
    p.add(CostComponent::PsumRegister,
          one(CellKind::Dff, 2 * w.psum_bits) + one(CellKind::Mux2, w.psum_bits) + one(CellKind::And2, w.psum_bits),
          std::to_string(w.psum_bits) + "-bit accumulator register with clear AND2 per bit, " +
              std::to_string(w.psum_bits) + "-bit output register with capture/shift MUX2 per bit");
  }
}

ArrayCost estimate_cost(const CostConfig& cfg, const CellLibrary& lib) {
  cfg.validate();
  lib.validate();
  ArrayCost r;
  r.config = cfg;
  Units u = units(cfg, lib);
  r.pe = u.pe;
  r.edge = u.edge;
  r.frontend = u.frontend;
  const std::int64_t pes = static_cast<std::int64_t>(cfg.rows) * cfg.cols;
  r.array_cells = r.pe.cells * pes + r.edge.cells * cfg.rows;
  r.array_area_um2 = static_cast<double>(pes) * r.pe.area_um2 + static_cast<double>(cfg.rows) * r.edge.area_um2;
  r.array_nand2_eq = r.array_area_um2 / lib.nand2_area();
  r.peak_macs_per_pe_cycle = cfg.arith.design->multipliers();

  CostConfig ref = cfg;
  ref.arith = PeArith::int8();
  ref.acc_bits = std::max(cfg.acc_bits, kShiftedProductBits);
  const Units base = units(ref, lib);
  const double base_array = static_cast<double>(pes) * base.pe.area_um2;
  r.pe_area_ratio = r.pe.area_um2 / base.pe.area_um2;
  r.pe_amortized_area_um2 = r.pe.area_um2 + r.edge.area_um2 / cfg.cols;
  r.pe_amortized_area_ratio = r.pe_amortized_area_um2 / base.pe.area_um2;
  r.array_area_ratio = r.array_area_um2 / base_array;
  r.area_per_peak_mac_ratio = r.array_area_ratio / r.peak_macs_per_pe_cycle;
  return r;
}

double gmacs_per_s_per_mm2(double macs_per_cycle, double clock_mhz, double area_um2) {
  if (!(area_um2 > 0)) throw std::invalid_argument("throughput per area needs a positive area");
  const double gmacs = macs_per_cycle * clock_mhz * 1e-3;  // MHz -> GHz
  return gmacs / (area_um2 * 1e-6);
}

namespace {

std::string fmt(double v, int prec = 2) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(prec) << v;
  return o.str();
}

void describe_unit(std::ostringstream& o, const char* title, const UnitCost& u) {
  o << title << ": " << fmt(u.area_um2) << " um2 = " << fmt(u.nand2_eq, 1) << " NAND2-eq (" << u.cells.total()
    << " cells)\n";
  for (const auto& c : u.components) {
    if (c.cells.total() == 0) continue;
    o << "  " << std::left << std::setw(22) << to_string(c.id) << std::right << std::setw(9) << fmt(c.area_um2)
      << " um2 " << std::setw(7) << fmt(c.nand2_eq, 1) << " NAND2-eq  [" << c.cells.to_string() << "]\n"
      << "  " << std::string(22, ' ') << "basis: " << c.basis << "\n";
  }
}

}  // namespace

std::string ArrayCost::describe() const {
  std::ostringstream o;
  const auto& a = config.arith;
  o << "Area proxy: design " << to_string(a.design);
  if (consumes_pairs(a.design)) o << ", window " << window_spec_name(a.window);
  if (a.design->detects_zeros()) o << ", partner " << window_spec_name(a.partner);
  o << ", LOD " << to_string(config.lod) << ", dataflow " << to_string(config.dataflow)
    << (config.weight_buffering == WeightBuffering::Double ? " (double-buffered)" : "") << ", acc " << config.acc_bits
    << " bits, array " << config.rows << " x " << config.cols << "\n";
  o << "Basis: cell counts of ripple-carry / MUX2-tree structures (docs/cost_model.md) x X1 cell areas; no wiring, "
       "clock tree or synthesis optimization; NAND2-eq = area / area(NAND2_X1)\n";
  describe_unit(o, "PE", pe);
  if (edge.cells.total() > 0) describe_unit(o, "Edge logic per row", edge);
  o << "Array: " << fmt(array_area_um2) << " um2 = " << fmt(array_area_um2 * 1e-6, 4)
    << " mm2 = " << fmt(array_nand2_eq, 0) << " NAND2-eq (rows*cols*PE + rows*edge)\n";
  o << "Relative to the int8 PE (same acc bits and dataflow): PE area x" << fmt(pe_area_ratio, 3)
    << ", PE + amortized edge x" << fmt(pe_amortized_area_ratio, 3) << ", array x" << fmt(array_area_ratio, 3)
    << ", array area per peak MAC/cycle x" << fmt(area_per_peak_mac_ratio, 3) << " (peak " << peak_macs_per_pe_cycle
    << " MAC/cycle/PE)\n";
  return o.str();
}

// --- Energy --------------------------------------------------------------

EnergyBreakdown estimate_energy(const ArrayCost& cost, const CellLibrary& lib, const EnergyActivity& act) {
  const EnergyPerEvent& e = lib.energy;
  const PeArith& a = cost.config.arith;
  const bool pairs = consumes_pairs(a.design);
  const int n = pairs ? a.design->widths(a, cost.config.lod, cost.config.acc_bits).lane_v_bits : kActBits;
  const double shifter_per_lane = pairs ? cost.pe[CostComponent::BarrelShifters].nand2_eq / 2 : 0.0;
  const double pair_mux_pe =
      cost.pe[CostComponent::PairMux].nand2_eq -
      (cost.config.lod == LodPlacement::PE ? cost.frontend[CostComponent::PairMux].nand2_eq : 0.0);
  const double frontend_per_act = cost.frontend.nand2_eq / 2;
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };

  EnergyBreakdown b;
  b.components = {
      {"multipliers",
       (d(act.mult_act_bit_toggles) * kWeightBits + d(act.mult_weight_bit_toggles) * n) * e.mult_pp_cell_toggle_pj,
       "activation-input toggles x 8 + weight-input toggles x " + std::to_string(n) +
           " partial-product cells reached, x " + fmt(e.mult_pp_cell_toggle_pj, 6) + " pJ per cell toggle"},
      {"barrel_shifters", d(act.lane_multiplies) * shifter_per_lane * e.logic_nand2eq_op_pj,
       "lane multiplies x " + fmt(shifter_per_lane, 1) + " NAND2-eq per lane shifter x " +
           fmt(e.logic_nand2eq_op_pj, 6) + " pJ per NAND2-eq op"},
      {"pair_mux", d(act.combined_multiplies) * pair_mux_pe * e.logic_nand2eq_op_pj,
       "combined partner multiplies x " + fmt(pair_mux_pe, 1) + " NAND2-eq (weight routing + high-product shift) x " +
           fmt(e.logic_nand2eq_op_pj, 6) + " pJ per NAND2-eq op"},
      {"frontend_pe", d(act.encodings_pe) * frontend_per_act * e.logic_nand2eq_op_pj,
       "activations encoded in PEs x " + fmt(frontend_per_act, 1) + " NAND2-eq front end per activation x " +
           fmt(e.logic_nand2eq_op_pj, 6) + " pJ per NAND2-eq op"},
      {"frontend_edge", d(act.encodings_edge) * frontend_per_act * e.logic_nand2eq_op_pj,
       "activations encoded at row edges x " + fmt(frontend_per_act, 1) + " NAND2-eq front end per activation x " +
           fmt(e.logic_nand2eq_op_pj, 6) + " pJ per NAND2-eq op"},
      {"pair_adder", d(act.pair_adds) * kPairSumBits * e.add_bit_pj,
       "pair adds x 17 bits x " + fmt(e.add_bit_pj, 6) + " pJ per adder bit"},
      {"acc_adder", d(act.acc_adds) * cost.config.acc_bits * e.add_bit_pj,
       "accumulator adds x " + std::to_string(cost.config.acc_bits) + " bits x " + fmt(e.add_bit_pj, 6) +
           " pJ per adder bit"},
      {"register_clock", d(act.reg_bit_writes) * e.reg_bit_clock_pj,
       "flip-flop writes x " + fmt(e.reg_bit_clock_pj, 6) + " pJ per clocked flip-flop"},
      {"register_toggle", d(act.reg_bit_toggles) * e.reg_bit_toggle_pj,
       "flip-flop output toggles x " + fmt(e.reg_bit_toggle_pj, 6) + " pJ per toggle"},
  };
  if (act.memory) {
    b.components.push_back({"sram", d(act.sram_bytes) * e.sram_byte_pj,
                            "scratchpad bytes read and written x " + fmt(e.sram_byte_pj, 6) + " pJ per byte"});
    b.components.push_back(
        {"dram", d(act.dram_bytes) * e.dram_byte_pj, "DRAM bytes x " + fmt(e.dram_byte_pj, 6) + " pJ per byte"});
  }
  for (const auto& c : b.components) b.total_pj += c.pj;
  return b;
}

std::string EnergyBreakdown::describe() const {
  std::ostringstream o;
  o << "Energy proxy: " << fmt(total_pj, 3) << " pJ (activity counts x energy per event; docs/cost_model.md)\n";
  for (const auto& c : components)
    o << "  " << std::left << std::setw(16) << c.name << std::right << std::setw(14) << fmt(c.pj, 3)
      << " pJ  basis: " << c.basis << "\n";
  return o.str();
}

}  // namespace sparq
