#include "cost_report.h"

#include <stdexcept>

#include "errors.h"

namespace sparq {

CostConfig cost_config(const DesignPoint& d) {
  CostConfig c;
  c.arith = d.array.pe;
  c.lod = d.array.lod;
  c.dataflow = d.array.dataflow;
  c.acc_bits = d.array.acc_bits;
  c.rows = d.array.rows;
  c.cols = d.array.cols;
  c.weight_buffering = d.array.weight_buffering;
  return c;
}

ArrayCost design_cost(const DesignPoint& d, const CellLibrary& lib) {
  try {
    return estimate_cost(cost_config(d), lib);
  } catch (const std::invalid_argument& e) {
    throw InputError("design " + d.name + ": the area model cannot cost this configuration: " + e.what());
  }
}

EnergyActivity energy_activity(const hw::ArrayStats& s, const DesignPoint& d) {
  EnergyActivity a;
  const bool pairs = consumes_pairs(d.array.pe.design);
  a.lane_multiplies = s.mult_slot_busy;
  const hw::RegisterWidths w = hw::register_widths(d.array);
  a.combined_multiplies = s.combined_multiplies;
  a.mult_act_bit_toggles = s.mult_input_toggles - s.mult_weight_toggles;
  a.mult_weight_bit_toggles = s.mult_weight_toggles;
  a.reg_bit_writes = s.act_reg_writes * static_cast<std::uint64_t>(w.act_bits) +
                     s.weight_reg_writes * static_cast<std::uint64_t>(w.weight_bits) +
                     s.psum_reg_writes * static_cast<std::uint64_t>(w.psum_bits);
  a.reg_bit_toggles = s.act_reg_toggles + s.weight_reg_toggles + s.psum_reg_toggles + s.acc_toggles;
  a.pair_adds = pairs ? s.pe_active_cycles : 0;
  a.acc_adds = s.pe_active_cycles;
  a.encodings_pe = s.lod_pe_encodings;
  a.encodings_edge = s.lod_edge_encodings;
  a.memory = d.memory.enabled;
  a.sram_bytes = s.sram_bytes();
  a.dram_bytes = s.dram_bytes();
  return a;
}

namespace {
void add_unit(StatGroup& g, const UnitCost& u) {
  g.add("area", u.area_um2, "um^2", "cell area");
  g.add("nand2_eq", u.nand2_eq, "NAND2-eq", "area / area(NAND2_X1)");
  g.add_count("cells", static_cast<std::uint64_t>(u.cells.total()), "cell", "standard cells");
  for (const auto& c : u.components) {
    if (c.cells.total() == 0) continue;
    StatGroup& k = g.child(to_string(c.id), c.basis);
    k.add("area", c.area_um2, "um^2", "cell area of " + std::string(to_string(c.id)));
    k.add("nand2_eq", c.nand2_eq, "NAND2-eq", "area / area(NAND2_X1)");
    k.add_text("cells", c.cells.to_string(), "cell counts by library cell");
  }
}
}  // namespace

StatGroup area_stats(const ArrayCost& c, double macs_per_cycle, double clock_mhz) {
  StatGroup g("area", "area proxy: cell counts x Nangate 45 nm X1 cell areas (docs/cost_model.md)");
  g.add("pe", c.pe.area_um2, "um^2", "area of one PE (with its front end when lod = pe)");
  g.add("pe_relative_to_int8", c.pe_area_ratio, "x", "PE area / int8 PE area (same accumulator and dataflow)");
  g.add("pe_amortized", c.pe_amortized_area_um2, "um^2", "PE area + row-edge logic / cols");
  g.add("pe_amortized_relative_to_int8", c.pe_amortized_area_ratio, "x", "amortized PE area / int8 PE area");
  g.add("array", c.array_area_um2, "um^2", "rows*cols*PE + rows*edge logic");
  g.add("array_nand2_eq", c.array_nand2_eq, "NAND2-eq", "array area / area(NAND2_X1)");
  g.add("array_relative_to_int8", c.array_area_ratio, "x", "array area / int8 array area of the same shape");
  g.add("area_per_peak_mac_relative_to_int8", c.area_per_peak_mac_ratio, "x",
        "(array area / peak MACs per cycle) relative to int8");
  g.add("gmacs_per_s_per_mm2", gmacs_per_s_per_mm2(macs_per_cycle, clock_mhz, c.array_area_um2), "GMAC/s/mm^2",
        "measured useful MACs per second over array area");
  add_unit(g.child("pe_breakdown", "one PE by component"), c.pe);
  if (c.edge.cells.total() > 0) add_unit(g.child("edge_breakdown", "edge logic of one array row (lod = edge)"), c.edge);
  return g;
}

StatGroup energy_stats(const EnergyBreakdown& e, std::uint64_t macs) {
  StatGroup g("energy",
              "activity-based energy proxy: event counts x energy per event (configs/cost, docs/cost_model.md)");
  g.add("total", e.total_pj, "pJ", "sum of the components");
  g.add("per_mac", macs ? e.total_pj / static_cast<double>(macs) : 0, "pJ/MAC", "total / useful MACs");
  StatGroup& c = g.child("components", "energy by component");
  for (const auto& k : e.components) c.add(k.name, k.pj, "pJ", k.basis);
  return g;
}

}  // namespace sparq
