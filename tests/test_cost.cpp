// Area / energy proxy (hw_models/core/cost_model.h). Structural counts are
// checked against independent constructions that are also evaluated bit by bit
// (the multiplier multiplies, the LOD finds the leading one, the shifter
// shifts), exhaustively over their inputs; the rest pins the model's
// contracts: monotonicity, ratios, array totals, energy linearity.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "cost_model.h"

using namespace sparq;

namespace {

// The Nangate 45 nm X1 areas of configs/cost/nangate45.yaml (um^2) and its
// energies (pJ); tests/sim_cost.cpp checks the file loads to these numbers.
CellLibrary nangate45() {
  CellLibrary l;
  l.name = "nangate45 (test copy)";
  const std::pair<CellKind, double> areas[] = {
      {CellKind::Inv, 0.532},  {CellKind::Nand2, 0.798}, {CellKind::And2, 1.064}, {CellKind::And3, 1.330},
      {CellKind::Or2, 1.064},  {CellKind::Or3, 1.330},   {CellKind::Or4, 1.596},  {CellKind::Nor4, 1.330},
      {CellKind::Xor2, 1.596}, {CellKind::Mux2, 1.862},  {CellKind::Ha, 2.660},   {CellKind::Fa, 4.256},
      {CellKind::Dff, 4.522},
  };
  for (const auto& [k, a] : areas) l.area_um2[static_cast<int>(k)] = a;
  l.energy = {0.003125, 0.003125, 0.000586, 0.0046, 0.0076};
  return l;
}

CellCounts cells(std::initializer_list<std::pair<CellKind, std::int64_t>> list) {
  CellCounts c;
  for (const auto& [k, n] : list) c[k] += n;
  return c;
}

// --- Independent constructions ---------------------------------------------

// Unsigned n-bit a times signed m-bit w as a Baugh-Wooley ripple array, built
// row by row from partial-product gates, half and full adders; returns the
// product and counts the cells it instantiated.
struct BwArray {
  int n, m;
  CellCounts count;
  std::int64_t multiply(unsigned a, int w) {
    count = {};
    std::map<int, int> r;  // column -> bit of the running sum
    auto pp = [&](int i, int j) {
      const int bit = ((a >> i) & 1) & ((static_cast<unsigned>(w) >> j) & 1);
      if (j < m - 1 || i == 0) {
        count[CellKind::And2] += 1;
        return bit;
      }
      count[CellKind::Nand2] += 1;
      return 1 - bit;
    };
    for (int j = 0; j < m; ++j) r[j] = pp(0, j);
    count[CellKind::Inv] += 1;  // +2^(m-1) folded into row 0: column m = !column m-1
    r[m] = 1 - r[m - 1];
    for (int i = 1; i < n; ++i) {
      std::map<int, int> row;
      for (int j = 0; j < m; ++j) row[i + j] = pp(i, j);
      int carry = -1;
      for (int col = i; !row.empty() || carry >= 0; ++col) {
        std::vector<int> in;
        if (r.count(col)) in.push_back(r[col]), r.erase(col);
        if (row.count(col)) in.push_back(row[col]), row.erase(col);
        if (carry >= 0) in.push_back(carry), carry = -1;
        int s = 0;
        for (int b : in) s += b;
        if (in.size() == 3) count[CellKind::Fa] += 1;
        if (in.size() == 2) count[CellKind::Ha] += 1;
        r[col] = s & 1;
        if (in.size() >= 2) carry = s >> 1;
      }
    }
    const int top = n + m - 1;  // + 2^(n+m-1): complement the top bit
    if (r.count(top)) {
      count[CellKind::Inv] += 1;
      r[top] ^= 1;
    } else {
      r[top] = 1;
    }
    std::int64_t v = 0;
    for (int col = 0; col < n + m; ++col) v |= static_cast<std::int64_t>(r.count(col) ? r[col] : 0) << col;
    if (v >= (std::int64_t{1} << (n + m - 1))) v -= std::int64_t{1} << (n + m);
    return v;
  }
};

// Recursive leading-one detector: returns (valid, position) and counts cells.
struct Lod {
  CellCounts count;
  std::pair<int, int> detect(unsigned a, int lo, int width) {
    if (width == 2) {
      count[CellKind::Or2] += 1;
      const int b0 = (a >> lo) & 1, b1 = (a >> (lo + 1)) & 1;
      return {b0 | b1, b1};
    }
    const auto hi = detect(a, lo + width / 2, width / 2);
    const auto low = detect(a, lo, width / 2);
    count[CellKind::Or2] += 1;
    int pos_bits = 0;
    while ((1 << pos_bits) < width / 2) ++pos_bits;
    count[CellKind::Mux2] += pos_bits;  // the lower position bits; the new top bit is hi.valid
    const int pos = hi.first ? (1 << pos_bits) | hi.second : low.second;
    return {hi.first | low.first, pos};
  }
};

// Log-depth shifter of a signed in_bits value, stage j shifting by stride*2^j,
// built bit by bit (MUX2 where both sources can be nonzero, AND2 with the
// inverted select where one is the constant 0).
struct Shifter {
  std::vector<int> shifts;
  int in_bits, out_bits;
  CellCounts count;
  std::int64_t shift(std::int64_t x, int s) {
    count = {};
    const int stride = shifts[1] - shifts[0];
    int code = (s - shifts[0]) / stride;
    std::vector<int> bits(static_cast<std::size_t>(out_bits));
    int width = std::min(out_bits, in_bits + shifts[0]);
    for (int i = 0; i < out_bits; ++i) {
      const int src = std::min(i - shifts[0], in_bits - 1);  // sign-extend
      bits[i] = i < shifts[0] ? 0 : static_cast<int>((x >> src) & 1);
    }
    int stages = 0;
    while ((1 << stages) < static_cast<int>(shifts.size())) ++stages;
    for (int j = 0; j < stages; ++j) {
      const int t = stride << j, sel = (code >> j) & 1;
      const int w_out = std::min(out_bits, width + t);
      std::vector<int> next = bits;
      count[CellKind::Inv] += 1;
      for (int i = 0; i < w_out; ++i) {
        if (i < t) {
          count[CellKind::And2] += 1;
          next[i] = sel ? 0 : bits[i];
        } else {
          count[CellKind::Mux2] += 1;
          next[i] = sel ? bits[i - t] : bits[i];
        }
      }
      for (int i = w_out; i < out_bits; ++i) next[i] = next[w_out - 1];  // sign extension is wiring
      bits = next;
      width = w_out;
    }
    std::int64_t v = 0;
    for (int i = 0; i < out_bits; ++i) v |= static_cast<std::int64_t>(bits[i]) << i;
    if (v >= (std::int64_t{1} << (out_bits - 1))) v -= std::int64_t{1} << out_bits;
    return v;
  }
};

ArrayCost cost(const PeArith& a, LodPlacement lod = LodPlacement::PE, Dataflow df = Dataflow::WS, int acc = 32,
               int rows = 16, int cols = 16) {
  CostConfig c;
  c.arith = a;
  c.lod = lod;
  c.dataflow = df;
  c.acc_bits = acc;
  c.rows = rows;
  c.cols = cols;
  return estimate_cost(c, nangate45());
}

const LodPlacement kLods[] = {LodPlacement::PE, LodPlacement::Edge};
const std::pair<int, int> kShapes[] = {{1, 1}, {4, 7}, {16, 16}, {32, 8}};
const Dataflow kFlows[] = {Dataflow::WS, Dataflow::OS};

}  // namespace

// --- Building blocks against constructions ---------------------------------

TEST(CostBlocks, ArrayMultiplierMatchesAConstructionThatMultipliesExhaustively) {
  for (int m = 2; m <= 8; ++m)
    for (int n = 1; n <= 8; ++n) {
      BwArray bw{n, m, {}};
      for (unsigned a = 0; a < (1u << n); ++a)
        for (int w = -(1 << (m - 1)); w < (1 << (m - 1)); ++w)
          ASSERT_EQ(bw.multiply(a, w), static_cast<std::int64_t>(a) * w) << n << "x" << m << " a=" << a << " w=" << w;
      const CellCounts model = array_multiplier_cells(n, m);
      EXPECT_EQ(model, bw.count) << n << "x" << m << ": model " << model.to_string() << " vs built "
                                 << bw.count.to_string();
      // The textbook totals: n*m partial-product gates, (n-1)*m adder cells.
      EXPECT_EQ(model[CellKind::And2] + model[CellKind::Nand2], n * m);
      EXPECT_EQ(model[CellKind::Ha] + model[CellKind::Fa], (n - 1) * m);
    }
}

TEST(CostBlocks, LeadingOneDetectorMatchesAConstructionOnAllInputs) {
  for (int width : {2, 4, 8, 16}) {
    Lod lod;
    for (unsigned a = 0; a < (1u << width); ++a) {
      lod.count = {};
      const auto [valid, pos] = lod.detect(a, 0, width);
      ASSERT_EQ(valid, a != 0 ? 1 : 0);
      if (a != 0 && width == 8) {
        ASSERT_EQ(pos, leading_one(static_cast<std::uint8_t>(a)));
      }
    }
    EXPECT_EQ(leading_one_detector_cells(width), lod.count) << width;
  }
  EXPECT_EQ(leading_one_detector_cells(8), cells({{CellKind::Or2, 7}, {CellKind::Mux2, 4}}));
}

TEST(CostBlocks, BarrelShifterMatchesAConstructionThatShiftsExhaustively) {
  for (const char* name : {"5opt", "3opt", "2opt", "6opt", "7opt", "6b-3opt"}) {
    const WindowSpec spec = preset(name);
    const int in_bits = spec.n + kWeightBits;
    Shifter sh{spec.shifts(), in_bits, kShiftedProductBits, {}};
    for (int v = 0; v < (1 << spec.n); ++v)
      for (int w = -128; w < 128; ++w)
        for (int s : spec.shifts()) {
          if ((v << s) > 255) continue;  // never selected: the window holds an 8-bit value
          ASSERT_EQ(sh.shift(static_cast<std::int64_t>(v) * w, s), static_cast<std::int64_t>(v) * w * (1 << s))
              << name << " v=" << v << " w=" << w << " s=" << s;
        }
    EXPECT_EQ(barrel_shifter_cells(spec.shift_mask, in_bits, kShiftedProductBits), sh.count) << name;
  }
  EXPECT_EQ(barrel_shifter_cells(preset("1opt").shift_mask, 12, 16).total(), 0) << "a fixed shift is wiring";
  // A set that is not an arithmetic progression: a (|S|-1)-MUX2 tree per output bit.
  EXPECT_EQ(barrel_shifter_cells(0b100101, 12, 16), cells({{CellKind::Mux2, 2 * 16}}));
}

TEST(CostBlocks, MinimalSumOfProducts) {
  EXPECT_EQ(sop3_cells(0x00).total(), 0);
  EXPECT_EQ(sop3_cells(0xFF).total(), 0);
  EXPECT_EQ(sop3_cells(0xAA).total(), 0);                                                             // x0
  EXPECT_EQ(sop3_cells(0x55), cells({{CellKind::Inv, 1}}));                                           // !x0
  EXPECT_EQ(sop3_cells(0x88), cells({{CellKind::And2, 1}}));                                          // x0 x1
  EXPECT_EQ(sop3_cells(0x80), cells({{CellKind::And3, 1}}));                                          // x0 x1 x2
  EXPECT_EQ(sop3_cells(0xE8), cells({{CellKind::And2, 3}, {CellKind::Or2, 0}, {CellKind::Or3, 1}}));  // majority
  EXPECT_EQ(sop3_cells(0x96), cells({{CellKind::And3, 4}, {CellKind::Or4, 1}, {CellKind::Inv, 3}}));  // parity
  EXPECT_EQ(sop3_cells(0xFE), cells({{CellKind::Or3, 1}}));                                           // x0 + x1 + x2
}

TEST(CostBlocks, ShiftEncoders) {
  // 2opt: the shift code is msb bit 2 (a wire); 1opt and 8b have no encoder.
  EXPECT_EQ(shift_encoder_cells(preset("2opt")).total(), 0);
  EXPECT_EQ(shift_encoder_cells(preset("1opt")).total(), 0);
  EXPECT_EQ(shift_encoder_cells(preset("8b")).total(), 0);
  // 3opt: code 0 (msb <= 3), 1 (msb 4,5), 2 (msb 6,7): bit0 = p2 !p1, bit1 = p2 p1.
  EXPECT_EQ(shift_encoder_cells(preset("3opt")), cells({{CellKind::And2, 2}, {CellKind::Inv, 1}}));
  // 5opt: code = max(msb - 3, 0): bit0 {4,6} = p2 !p0; bit1 {5,6} = p2 !p1 p0 + p2 p1 !p0; bit2 {7}.
  EXPECT_EQ(shift_encoder_cells(preset("5opt")),
            cells({{CellKind::And2, 1}, {CellKind::And3, 3}, {CellKind::Or2, 1}, {CellKind::Inv, 2}}));
}

TEST(CostBlocks, WindowMuxAndRounding) {
  // Each window bit selects among |S| activation bits (MUX2 tree of |S| - 1).
  EXPECT_EQ(window_mux_cells(preset("5opt")), cells({{CellKind::Mux2, 4 * 4}}));
  EXPECT_EQ(window_mux_cells(preset("3opt")), cells({{CellKind::Mux2, 4 * 2}}));
  EXPECT_EQ(window_mux_cells(preset("2opt")), cells({{CellKind::Mux2, 4 * 1}}));
  EXPECT_EQ(window_mux_cells(preset("1opt")).total(), 0);
  EXPECT_EQ(rounding_cells(preset("5opt", Rounding::Trunc)).total(), 0);
  EXPECT_EQ(rounding_cells(preset("8b")).total(), 0);
  // int4 (1opt, round): half = a3, sticky = a2|a1|a0 (2 OR2), decision OR2+AND2,
  // all-ones 3 AND2, enable INV+AND2, 4-bit incrementer 4 HA.
  EXPECT_EQ(rounding_cells(preset("1opt")),
            cells({{CellKind::Or2, 3}, {CellKind::And2, 5}, {CellKind::Inv, 1}, {CellKind::Ha, 4}}));
  EXPECT_GT(rounding_cells(preset("5opt", Rounding::RoundRenorm)).total(), rounding_cells(preset("5opt")).total());
}

// --- PE and array -----------------------------------------------------------

TEST(CostModel, Int8IsTheUnitOfTheRatios) {
  for (LodPlacement lod : kLods)
    for (Dataflow df : kFlows)
      for (int acc : {16, 24, 32, 48}) {
        const ArrayCost c = cost(PeArith::int8(), lod, df, acc);
        EXPECT_EQ(c.pe_area_ratio, 1.0);
        EXPECT_EQ(c.pe_amortized_area_ratio, 1.0);
        EXPECT_EQ(c.array_area_ratio, 1.0);
        EXPECT_EQ(c.area_per_peak_mac_ratio, 1.0);
        EXPECT_EQ(c.edge.cells.total(), 0) << "int8 has no front end";
        EXPECT_EQ(c.pe[CostComponent::BarrelShifters].cells.total(), 0);
        EXPECT_EQ(c.pe[CostComponent::PairAdder].cells.total(), 0);
        EXPECT_EQ(c.pe[CostComponent::Multipliers].cells, array_multiplier_cells(8, 8));
        EXPECT_EQ(c.peak_macs_per_pe_cycle, 1);
      }
}

TEST(CostModel, ArrayTotalIsRowsTimesColsPesPlusRowsEdges) {
  const PeArith designs[] = {PeArith::int8(), PeArith::int4(), PeArith::bsparq(preset("3opt")),
                             PeArith::vsparq(4, preset("5opt")), PeArith::vsparq(2)};
  for (const auto& a : designs)
    for (LodPlacement lod : kLods)
      for (const auto& [r, c] : kShapes) {
        const ArrayCost x = cost(a, lod, Dataflow::OS, 32, r, c);
        EXPECT_EQ(x.array_cells, x.pe.cells * (r * c) + x.edge.cells * r);
        EXPECT_DOUBLE_EQ(x.array_area_um2, r * c * x.pe.area_um2 + r * x.edge.area_um2);
        EXPECT_NEAR(x.array_area_um2, nangate45().area(x.array_cells), 1e-9 * x.array_area_um2);
        EXPECT_DOUBLE_EQ(x.pe_amortized_area_um2, x.pe.area_um2 + x.edge.area_um2 / c);
        if (lod == LodPlacement::PE) {
          EXPECT_EQ(x.edge.cells.total(), 0);
        }
      }
}

TEST(CostModel, UnitsAreTheSumOfTheirComponents) {
  const CellLibrary lib = nangate45();
  const ArrayCost x = cost(PeArith::vsparq(3), LodPlacement::Edge, Dataflow::WS);
  for (const UnitCost* u : {&x.pe, &x.edge, &x.frontend}) {
    CellCounts sum;
    for (const auto& c : u->components) {
      sum += c.cells;
      EXPECT_DOUBLE_EQ(c.area_um2, lib.area(c.cells));
      EXPECT_DOUBLE_EQ(c.nand2_eq, c.area_um2 / 0.798);
      EXPECT_EQ(c.basis.empty(), c.cells.total() == 0) << to_string(c.id);
    }
    EXPECT_EQ(u->cells, sum);
    EXPECT_DOUBLE_EQ(u->area_um2, lib.area(sum));
    EXPECT_DOUBLE_EQ(u->nand2_eq, u->area_um2 / 0.798);
  }
  // With LOD at the edge, the front end is exactly the edge logic.
  EXPECT_EQ(x.edge.cells, x.frontend.cells);
}

TEST(CostModel, AreaOrderingOfDesigns) {
  for (LodPlacement lod : kLods)
    for (Dataflow df : kFlows) {
      const double int4 = cost(PeArith::int4(), lod, df).pe.area_um2;
      for (const char* s : {"5opt", "3opt", "2opt"}) {
        const double b = cost(PeArith::bsparq(preset(s)), lod, df).pe.area_um2;
        const double v = cost(PeArith::vsparq(4, preset(s)), lod, df).pe.area_um2;
        EXPECT_GT(v, b) << s << " " << to_string(lod);
        EXPECT_GT(b, int4) << s << " " << to_string(lod);
      }
      EXPECT_GT(cost(PeArith::int4(), lod, df).pe.area_um2, cost(PeArith::int8(), lod, df).pe.area_um2);
    }
}

TEST(CostModel, FewerShiftOptionsMeanSmallerMuxesAndShifters) {
  for (LodPlacement lod : kLods) {
    const ArrayCost o5 = cost(PeArith::bsparq(preset("5opt")), lod);
    const ArrayCost o3 = cost(PeArith::bsparq(preset("3opt")), lod);
    const ArrayCost o2 = cost(PeArith::bsparq(preset("2opt")), lod);
    for (CostComponent comp : {CostComponent::WindowMuxes, CostComponent::BarrelShifters}) {
      const auto area = [&](const ArrayCost& c) { return c.pe[comp].area_um2 + c.edge[comp].area_um2; };
      EXPECT_LT(area(o2), area(o3)) << to_string(comp);
      EXPECT_LT(area(o3), area(o5)) << to_string(comp);
    }
    EXPECT_LT(o2.pe_amortized_area_um2, o3.pe_amortized_area_um2);
    EXPECT_LT(o3.pe_amortized_area_um2, o5.pe_amortized_area_um2);
  }
}

TEST(CostModel, EdgeLodShrinksThePe) {
  const PeArith designs[] = {PeArith::int4(),
                             PeArith::bsparq(preset("5opt")),
                             PeArith::bsparq(preset("2opt")),
                             PeArith::vsparq(4, preset("5opt")),
                             PeArith::vsparq(3),
                             PeArith::vsparq(2)};
  for (const auto& a : designs)
    for (Dataflow df : kFlows) {
      const ArrayCost pe = cost(a, LodPlacement::PE, df);
      const ArrayCost edge = cost(a, LodPlacement::Edge, df);
      EXPECT_LT(edge.pe.area_um2, pe.pe.area_um2) << to_string(a.design);
      EXPECT_LT(edge.pe_amortized_area_um2, pe.pe_amortized_area_um2) << "16 columns share one edge unit";
      EXPECT_LT(edge.array_area_um2, pe.array_area_um2);
      EXPECT_GT(edge.edge.area_um2, 0);
      EXPECT_EQ(pe.pe[CostComponent::LeadingOneDetectors].cells, pe.frontend[CostComponent::LeadingOneDetectors].cells);
      EXPECT_EQ(edge.pe[CostComponent::LeadingOneDetectors].cells.total(), 0);
    }
  // A one-column array pays a whole edge unit per PE.
  const ArrayCost one_col = cost(PeArith::vsparq(4, preset("5opt")), LodPlacement::Edge, Dataflow::WS, 32, 4, 1);
  EXPECT_DOUBLE_EQ(one_col.pe_amortized_area_um2, one_col.pe.area_um2 + one_col.edge.area_um2);
}

TEST(CostModel, OperandRegisterWidths) {
  const auto act_dffs = [](const ArrayCost& c) { return c.pe[CostComponent::ActRegister].cells[CellKind::Dff]; };
  EXPECT_EQ(act_dffs(cost(PeArith::int8())), 8);
  EXPECT_EQ(act_dffs(cost(PeArith::int4(), LodPlacement::PE)), 16);
  EXPECT_EQ(act_dffs(cost(PeArith::int4(), LodPlacement::Edge)), 8);                      // 2 x 4 window bits
  EXPECT_EQ(act_dffs(cost(PeArith::bsparq(preset("5opt")), LodPlacement::Edge)), 14);     // 2 x (4 + 3)
  EXPECT_EQ(act_dffs(cost(PeArith::bsparq(preset("2opt")), LodPlacement::Edge)), 10);     // 2 x (4 + 1)
  EXPECT_EQ(act_dffs(cost(PeArith::vsparq(4, preset("5opt")), LodPlacement::Edge)), 16);  // + 2 mode bits
  EXPECT_EQ(act_dffs(cost(PeArith::vsparq(3), LodPlacement::Edge)), 14);                  // 2 x (3 + 3) + 2
  EXPECT_EQ(act_dffs(cost(PeArith::vsparq(2), LodPlacement::Edge)), 12);                  // 2 x (2 + 3) + 2
  const auto w = [](const ArrayCost& c) { return c.pe[CostComponent::WeightRegister].cells; };
  EXPECT_EQ(w(cost(PeArith::int8(), LodPlacement::PE, Dataflow::WS)), cells({{CellKind::Dff, 8}, {CellKind::Mux2, 8}}));
  EXPECT_EQ(w(cost(PeArith::int4(), LodPlacement::PE, Dataflow::OS)), cells({{CellKind::Dff, 16}}));
  const auto p = [](const ArrayCost& c) { return c.pe[CostComponent::PsumRegister].cells[CellKind::Dff]; };
  EXPECT_EQ(p(cost(PeArith::int4(), LodPlacement::PE, Dataflow::WS, 24)), 24);
  EXPECT_EQ(p(cost(PeArith::int4(), LodPlacement::PE, Dataflow::OS, 40)), 40);
}

// The one place register widths come from (PeDesign::widths) against the
// area model's flip-flops and against the bits the simulated operand really
// uses: the OR of the packed encoded operand over all 65,536 activation pairs
// has exactly act_bits bits set (every flip-flop used, no bit outside), and
// unpacking gives the encoding back.
TEST(CostModel, FlipFlopsEqualSimulatedRegisterWidths) {
  std::vector<PeArith> designs = {PeArith::int8(), PeArith::vsparq(3), PeArith::vsparq(2)};
  for (Rounding r : {Rounding::Trunc, Rounding::Round, Rounding::RoundRenorm}) {
    designs.push_back(PeArith::int4(r));
    for (const char* p : {"5opt", "3opt", "2opt", "6opt", "7opt", "6b-3opt", "1opt"})
      designs.push_back(PeArith::bsparq(preset(p, r)));
    for (const char* p : {"5opt", "3opt", "2opt"}) designs.push_back(PeArith::vsparq(4, preset(p, r)));
  }
  for (const PeArith& a : designs)
    for (LodPlacement lod : kLods)
      for (Dataflow df : kFlows)
        for (int acc : {17, 32, 64}) {
          const PeWidths w = a.design->widths(a, lod, acc);
          const ArrayCost c = cost(a, lod, df, acc);
          const std::string what = a.label() + " lod=" + to_string(lod) + " df=" + to_string(df);
          EXPECT_EQ(c.pe[CostComponent::ActRegister].cells[CellKind::Dff], w.act_bits) << what;
          EXPECT_EQ(c.pe[CostComponent::WeightRegister].cells[CellKind::Dff], w.weight_bits) << what;
          EXPECT_EQ(c.pe[CostComponent::PsumRegister].cells[CellKind::Dff], w.psum_bits) << what;
          EXPECT_EQ(w.psum_bits, acc) << what;
          EXPECT_EQ(w.weight_bits, 8 * a.design->multipliers()) << what;
          if (!a.design->consumes_pairs()) {
            EXPECT_EQ(w.act_bits, 8) << what;
            continue;
          }
          if (lod == LodPlacement::PE) {
            EXPECT_EQ(w.act_bits, 16) << what;  // the raw pair
            continue;
          }
          std::uint32_t used = 0;
          for (int a1 = 0; a1 < 256; ++a1)
            for (int a2 = 0; a2 < 256; ++a2) {
              const EncodedPair e = encode_pair(static_cast<std::uint8_t>(a1), static_cast<std::uint8_t>(a2), a);
              const std::uint32_t bits = a.design->pack(e, a);
              used |= bits;
              const EncodedPair back = a.design->unpack(bits, a);
              ASSERT_EQ(back.mode, e.mode) << what << " a=" << a1 << "," << a2;
              ASSERT_EQ(effective_pair(back), effective_pair(e)) << what << " a=" << a1 << "," << a2;
            }
          EXPECT_EQ(__builtin_popcount(used), w.act_bits) << what;
        }
}

TEST(CostModel, VsparqComponents) {
  const ArrayCost v = cost(PeArith::vsparq(4, preset("5opt")), LodPlacement::PE);
  EXPECT_EQ(v.pe[CostComponent::Multipliers].cells, array_multiplier_cells(4, 8) * 2);
  EXPECT_EQ(v.pe[CostComponent::ZeroDetectors].cells, zero_detector_cells() * 2);
  EXPECT_GT(v.pe[CostComponent::PairMux].cells.total(), 0);
  EXPECT_EQ(cost(PeArith::bsparq(preset("5opt"))).pe[CostComponent::PairMux].cells.total(), 0);
  EXPECT_EQ(cost(PeArith::bsparq(preset("5opt"))).pe[CostComponent::ZeroDetectors].cells.total(), 0);
  // Budget 3 and 2 use 3x8 and 2x8 multipliers and a partner window path.
  EXPECT_EQ(cost(PeArith::vsparq(3)).pe[CostComponent::Multipliers].cells, array_multiplier_cells(3, 8) * 2);
  EXPECT_EQ(cost(PeArith::vsparq(2)).pe[CostComponent::Multipliers].cells, array_multiplier_cells(2, 8) * 2);
  EXPECT_GT(cost(PeArith::vsparq(3)).frontend[CostComponent::WindowMuxes].cells.total(),
            cost(PeArith::bsparq(preset("6opt"))).frontend[CostComponent::WindowMuxes].cells.total());
}

TEST(CostModel, WiderAccumulatorsCostMore) {
  for (const auto& a : {PeArith::int8(), PeArith::vsparq(4, preset("3opt"))}) {
    double prev = 0;
    for (int acc : {17, 20, 24, 32, 48, 64}) {
      const double area = cost(a, LodPlacement::PE, Dataflow::OS, acc).pe.area_um2;
      EXPECT_GT(area, prev);
      prev = area;
    }
  }
}

TEST(CostModel, RejectsBadConfigurations) {
  CostConfig c;
  c.arith = PeArith::vsparq(4, preset("5opt"));
  c.acc_bits = 16;
  EXPECT_THROW(estimate_cost(c, nangate45()), std::invalid_argument);  // a pair sum needs 17 bits
  c.acc_bits = 65;
  EXPECT_THROW(estimate_cost(c, nangate45()), std::invalid_argument);
  c.acc_bits = 32;
  c.rows = 0;
  EXPECT_THROW(estimate_cost(c, nangate45()), std::invalid_argument);
  c.rows = 4;
  CellLibrary bad = nangate45();
  bad.area_um2[static_cast<int>(CellKind::Fa)] = -1;
  try {
    estimate_cost(c, bad);
    FAIL() << "negative area accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("FA_X1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_enum<Dataflow>("os"), Dataflow::OS);
  EXPECT_EQ(parse_enum<LodPlacement>("edge"), LodPlacement::Edge);
  EXPECT_THROW(parse_enum<LodPlacement>("row"), std::invalid_argument);
  CellKind k{};
  EXPECT_TRUE(parse_cell_name("MUX2_X1", k));
  EXPECT_EQ(k, CellKind::Mux2);
  EXPECT_FALSE(parse_cell_name("MUX4_X1", k));
}

TEST(CostModel, DescribeStatesUnitsAndBases) {
  const ArrayCost x = cost(PeArith::vsparq(4, preset("5opt")), LodPlacement::Edge);
  const std::string d = x.describe();
  for (const char* s : {"um2", "NAND2-eq", "mm2", "basis:", "Edge logic per row", "Relative to the int8 PE"})
    EXPECT_NE(d.find(s), std::string::npos) << s;
  for (const auto& c : x.pe.components)
    if (c.cells.total() > 0) {
      EXPECT_NE(d.find(to_string(c.id)), std::string::npos) << to_string(c.id);
    }
}

TEST(CostModel, ThroughputPerArea) {
  EXPECT_DOUBLE_EQ(gmacs_per_s_per_mm2(2.0, 1000.0, 1e6), 2.0);  // 2 MAC x 1 GHz on 1 mm^2
  EXPECT_DOUBLE_EQ(gmacs_per_s_per_mm2(256.0, 500.0, 0.5e6), 256.0);
  EXPECT_THROW(gmacs_per_s_per_mm2(1, 1, 0), std::invalid_argument);
}

// --- Energy ------------------------------------------------------------------

namespace {
EnergyActivity random_activity(std::mt19937_64& rng) {
  std::uniform_int_distribution<std::uint64_t> d(0, 1'000'000);
  EnergyActivity a;
  a.lane_multiplies = d(rng);
  a.combined_multiplies = d(rng);
  a.mult_act_bit_toggles = d(rng);
  a.mult_weight_bit_toggles = d(rng);
  a.reg_bit_writes = d(rng);
  a.reg_bit_toggles = d(rng);
  a.pair_adds = d(rng);
  a.acc_adds = d(rng);
  a.encodings_pe = d(rng);
  a.encodings_edge = d(rng);
  return a;
}

EnergyActivity operator+(const EnergyActivity& x, const EnergyActivity& y) {
  EnergyActivity r;
  r.lane_multiplies = x.lane_multiplies + y.lane_multiplies;
  r.combined_multiplies = x.combined_multiplies + y.combined_multiplies;
  r.mult_act_bit_toggles = x.mult_act_bit_toggles + y.mult_act_bit_toggles;
  r.mult_weight_bit_toggles = x.mult_weight_bit_toggles + y.mult_weight_bit_toggles;
  r.reg_bit_writes = x.reg_bit_writes + y.reg_bit_writes;
  r.reg_bit_toggles = x.reg_bit_toggles + y.reg_bit_toggles;
  r.pair_adds = x.pair_adds + y.pair_adds;
  r.acc_adds = x.acc_adds + y.acc_adds;
  r.encodings_pe = x.encodings_pe + y.encodings_pe;
  r.encodings_edge = x.encodings_edge + y.encodings_edge;
  return r;
}
}  // namespace

TEST(CostEnergy, LinearInEveryCount) {
  const std::uint64_t seed = ::testing::UnitTest::GetInstance()->random_seed();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const CellLibrary lib = nangate45();
  for (const auto& a : {PeArith::int8(), PeArith::bsparq(preset("3opt")), PeArith::vsparq(4, preset("5opt"))})
    for (LodPlacement lod : kLods) {
      const ArrayCost c = cost(a, lod);
      EXPECT_EQ(estimate_energy(c, lib, EnergyActivity{}).total_pj, 0.0);
      for (int trial = 0; trial < 20; ++trial) {
        const EnergyActivity x = random_activity(rng), y = random_activity(rng);
        const EnergyBreakdown ex = estimate_energy(c, lib, x), ey = estimate_energy(c, lib, y);
        const EnergyBreakdown exy = estimate_energy(c, lib, x + y), e3 = estimate_energy(c, lib, x + x + x);
        ASSERT_EQ(ex.components.size(), 9u);
        double sum = 0;
        for (std::size_t i = 0; i < ex.components.size(); ++i) {
          const double tol = 1e-12 * (1 + exy.components[i].pj);
          EXPECT_NEAR(exy.components[i].pj, ex.components[i].pj + ey.components[i].pj, tol) << ex.components[i].name;
          EXPECT_NEAR(e3.components[i].pj, 3 * ex.components[i].pj, 3 * tol) << ex.components[i].name;
          EXPECT_GE(ex.components[i].pj, 0);
          EXPECT_FALSE(ex.components[i].basis.empty());
          sum += ex.components[i].pj;
        }
        EXPECT_NEAR(ex.total_pj, sum, 1e-9 * sum);
      }
    }
}

TEST(CostEnergy, EnergyPerEvent) {
  const CellLibrary lib = nangate45();
  const auto component = [](const EnergyBreakdown& e, const std::string& name) {
    for (const auto& c : e.components)
      if (c.name == name) return c.pj;
    ADD_FAILURE() << "no component " << name;
    return -1.0;
  };
  EnergyActivity one_act;
  one_act.mult_act_bit_toggles = 1;
  EnergyActivity one_w;
  one_w.mult_weight_bit_toggles = 1;
  // An activation bit reaches a row of 8 partial-product cells; a weight bit a column of n.
  EXPECT_DOUBLE_EQ(component(estimate_energy(cost(PeArith::int8()), lib, one_act), "multipliers"), 8 * 0.003125);
  EXPECT_DOUBLE_EQ(component(estimate_energy(cost(PeArith::int8()), lib, one_w), "multipliers"), 8 * 0.003125);
  EXPECT_DOUBLE_EQ(component(estimate_energy(cost(PeArith::vsparq(2)), lib, one_w), "multipliers"), 2 * 0.003125);
  EnergyActivity acc;
  acc.acc_adds = 10;
  EXPECT_DOUBLE_EQ(
      component(estimate_energy(cost(PeArith::int8(), LodPlacement::PE, Dataflow::WS, 24), lib, acc), "acc_adder"),
      10 * 24 * 0.003125);
  EnergyActivity regs;
  regs.reg_bit_writes = 100;
  regs.reg_bit_toggles = 40;
  const EnergyBreakdown r = estimate_energy(cost(PeArith::int4()), lib, regs);
  EXPECT_DOUBLE_EQ(component(r, "register_clock"), 100 * 0.0046);
  EXPECT_DOUBLE_EQ(component(r, "register_toggle"), 40 * 0.0076);
  // The front end costs the same per encoding wherever it sits.
  EnergyActivity enc_pe, enc_edge;
  enc_pe.encodings_pe = 1000;
  enc_edge.encodings_edge = 1000;
  const ArrayCost v = cost(PeArith::vsparq(4, preset("5opt")), LodPlacement::Edge);
  EXPECT_DOUBLE_EQ(component(estimate_energy(v, lib, enc_pe), "frontend_pe"),
                   component(estimate_energy(v, lib, enc_edge), "frontend_edge"));
  EXPECT_DOUBLE_EQ(component(estimate_energy(v, lib, enc_edge), "frontend_edge"),
                   1000 * v.frontend.nand2_eq / 2 * 0.000586);
  // int8 has no shifters: lane multiplies cost no shifter energy.
  EnergyActivity mults;
  mults.lane_multiplies = 1000;
  EXPECT_EQ(component(estimate_energy(cost(PeArith::int8()), lib, mults), "barrel_shifters"), 0.0);
  EXPECT_GT(component(estimate_energy(cost(PeArith::bsparq(preset("5opt"))), lib, mults), "barrel_shifters"), 0.0);
  EXPECT_NE(estimate_energy(v, lib, enc_edge).describe().find("pJ"), std::string::npos);
}

// Double buffering adds its register to the PE: ws a shadow weight register
// (weight_bits DFF with a shift/hold MUX2 per bit) and the multiplier's
// select between it and the active register (weight_bits MUX2); os an output
// register (psum_bits DFF) whose capture/shift MUX2 replaces the
// accumulator's drain MUX2. Nothing else changes; the int8 baseline of the
// ratios is double-buffered too.
TEST(CostModel, DoubleBufferingAddsItsRegister) {
  for (const PeArith& a : {PeArith::int8(), PeArith::int4(), PeArith::vsparq(4, preset("5opt"))})
    for (LodPlacement lod : kLods)
      for (Dataflow df : kFlows) {
        CostConfig c;
        c.arith = a;
        c.lod = lod;
        c.dataflow = df;
        const ArrayCost single = estimate_cost(c, nangate45());
        c.weight_buffering = WeightBuffering::Double;
        const ArrayCost dbl = estimate_cost(c, nangate45());
        const PeWidths w = a.design->widths(a, lod, c.acc_bits);
        const std::string what = a.label() + " lod=" + to_string(lod) + " df=" + to_string(df);
        CellCounts extra;
        if (df == Dataflow::WS) {
          extra = cells({{CellKind::Dff, w.weight_bits}, {CellKind::Mux2, 2 * w.weight_bits}});
          EXPECT_EQ(dbl.pe[CostComponent::WeightRegister].cells, single.pe[CostComponent::WeightRegister].cells + extra)
              << what;
        } else {
          extra = cells({{CellKind::Dff, w.psum_bits}});
          EXPECT_EQ(dbl.pe[CostComponent::PsumRegister].cells, single.pe[CostComponent::PsumRegister].cells + extra)
              << what;
        }
        EXPECT_EQ(dbl.pe.cells, single.pe.cells + extra) << what;
        EXPECT_EQ(dbl.edge.cells, single.edge.cells) << what;
        EXPECT_GT(dbl.array_area_um2, single.array_area_um2) << what;
        EXPECT_NE(dbl.describe().find("double-buffered"), std::string::npos) << what;
      }
}
