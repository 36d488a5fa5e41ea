#include "array_sim.h"

#include <algorithm>
#include <stdexcept>

#include "fast_array.h"
#include "fold_model.h"
#include "pe_datapath.h"
#include "structural_array.h"

namespace sparq::hw {

void ArrayConfig::validate() const {
  if (rows < 1 || rows > 4096) throw SettingError("rows", "must be in 1..4096, got " + std::to_string(rows));
  if (cols < 1 || cols > 4096) throw SettingError("cols", "must be in 1..4096, got " + std::to_string(cols));
  if (acc_bits < 2 || acc_bits > 64)
    throw SettingError("accumulator_bits", "must be in 2..64, got " + std::to_string(acc_bits));
  try {
    pe.validate();
  } catch (const SettingError&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw SettingError("design", e.what());
  }
}

RegisterWidths register_widths(const ArrayConfig& cfg) {
  return cfg.pe.design->widths(cfg.pe, cfg.lod, cfg.acc_bits);
}

double ArrayStats::pe_utilization() const {
  return pe_cycles_available ? static_cast<double>(pe_active_cycles) / static_cast<double>(pe_cycles_available) : 0.0;
}
double ArrayStats::mult_slot_utilization() const {
  return mult_slots_available ? static_cast<double>(mult_slot_busy) / static_cast<double>(mult_slots_available) : 0.0;
}
double ArrayStats::macs_per_cycle() const {
  return cycles ? static_cast<double>(macs) / static_cast<double>(cycles) : 0.0;
}

void ArrayStats::merge(const ArrayStats& o) {
  for (const ArrayStatDef& d : array_stat_defs())
    if (d.counter)
      this->*d.counter = d.peak ? std::max(this->*d.counter, o.*d.counter) : this->*d.counter + o.*d.counter;
  front_end.merge(o.front_end);
}

bool ArrayStats::operator==(const ArrayStats& o) const {
  for (const ArrayStatDef& d : array_stat_defs())
    if (d.counter && this->*d.counter != o.*d.counter) return false;
  return front_end == o.front_end;
}

namespace {

double pct(double a, double b) {
  return b > 0 ? 100.0 * a / b : 0.0;
}
double share(std::uint64_t a, std::uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

std::vector<ArrayStatDef> build_stat_defs() {
  using S = ArrayStats;
  std::vector<ArrayStatDef> v;
  const auto counter = [&](const char* group, const char* name, const char* unit, const char* desc, std::uint64_t S::*m,
                           bool scalesim = false) {
    ArrayStatDef d{group, name, unit, desc, m, nullptr, true, scalesim};
    v.push_back(std::move(d));
  };
  const auto derived = [&](const char* group, const std::string& name, const char* unit, const std::string& desc,
                           std::function<double(const S&, double)> f, bool integer = false) {
    v.push_back(ArrayStatDef{group, name, unit, desc, nullptr, std::move(f), integer, false});
  };
  counter("cycles", "total", "cycle", "all cycles from the first weight load to the last output drained", &S::cycles);
  counter("cycles", "weight_load", "cycle", "cycles spent loading weights into the PEs", &S::weight_load);
  counter("cycles", "fill", "cycle", "pipeline fill: operands skewing in before the first result", &S::fill);
  counter("cycles", "stream", "cycle", "steady streaming of operand pairs", &S::stream);
  counter("cycles", "drain", "cycle", "pipeline drain after the last operand enters", &S::drain);
  {
    ArrayStatDef d{"cycles",  "stall", "cycle", "array stalled by the memory system (see memory)",
                   &S::stall, nullptr, true,    false};
    d.memory_only = true;
    v.push_back(std::move(d));
  }
  counter("cycles", "scalesim_compute", "cycle", "SCALE-Sim v2 compute cycles for the same array, dataflow and GEMM",
          &S::scalesim_compute_cycles, true);
  counter("throughput", "macs", "MAC", "useful multiply-accumulates (M*N*K, unpadded)", &S::macs);
  derived("throughput", "macs_per_cycle", "MAC/cycle", "useful MACs per array cycle",
          [](const S& s, double) { return s.macs_per_cycle(); });
  derived("throughput", "pe_utilization", "%", "PE-cycles doing useful work / (rows * cols * cycles)",
          [](const S& s, double) {
            return pct(static_cast<double>(s.pe_active_cycles), static_cast<double>(s.pe_cycles_available));
          });
  derived("throughput", "mult_slot_utilization", "%",
          "busy multiplier slots / available slots (int8: 1 per PE, pair designs: 2 per PE)", [](const S& s, double) {
            return pct(static_cast<double>(s.mult_slot_busy), static_cast<double>(s.mult_slots_available));
          });
  derived("throughput", "time", "us", "cycles / clock frequency",
          [](const S& s, double mhz) { return static_cast<double>(s.cycles) / mhz; });
  derived("throughput", "gmacs_per_s", "GMAC/s", "useful MACs per second", [](const S& s, double mhz) {
    const double us = static_cast<double>(s.cycles) / mhz;
    return us > 0 ? static_cast<double>(s.macs) / us / 1e3 : 0;
  });
  counter("throughput", "tiles", "tile", "array folds over M, N and K", &S::folds);
  // The front end's functional statistics (PeStats), as shares.
  derived(
      "pairs", "pairs", "pair", "activation pairs",
      [](const S& s, double) { return static_cast<double>(s.front_end.pairs); }, true);
  derived("pairs", "both_nonzero", "1", "share of pairs with no zero",
          [](const S& s, double) { return share(s.front_end.both_nonzero(), s.front_end.pairs); });
  derived("pairs", "one_zero", "1", "share of pairs with exactly one zero",
          [](const S& s, double) { return share(s.front_end.one_zero(), s.front_end.pairs); });
  derived("pairs", "both_zero", "1", "share of pairs with two zeros",
          [](const S& s, double) { return share(s.front_end.both_zero(), s.front_end.pairs); });
  derived(
      "windows", "windows", "window", "lane windows selected (nonzero activations)",
      [](const S& s, double) { return static_cast<double>(s.front_end.windows); }, true);
  for (int t = 0; t < 8; ++t)
    derived("windows", "shift" + std::to_string(t), "1", "share of lane windows at shift " + std::to_string(t),
            [t](const S& s, double) { return share(s.front_end.shift_hist[t], s.front_end.windows); });
  derived(
      "windows", "partner_windows", "window", "vsparq: windows of the partner of a zero, at partner precision",
      [](const S& s, double) { return static_cast<double>(s.front_end.partner_windows); }, true);
  for (int t = 0; t < 8; ++t)
    derived("windows", "partner_shift" + std::to_string(t), "1",
            "share of partner windows at shift " + std::to_string(t),
            [t](const S& s, double) { return share(s.front_end.partner_shift_hist[t], s.front_end.partner_windows); });
  derived(
      "windows", "rounded_up", "window", "lane and partner windows the rounding incrementer increased",
      [](const S& s, double) { return static_cast<double>(s.front_end.rounded_up); }, true);
  derived(
      "windows", "saturated", "window", "lane and partner windows held at their maximum instead of overflowing",
      [](const S& s, double) { return static_cast<double>(s.front_end.saturated); }, true);
  derived(
      "windows", "renormed", "window", "round_renorm lane and partner windows moved to the next larger shift",
      [](const S& s, double) { return static_cast<double>(s.front_end.renormed); }, true);
  derived(
      "windows", "renorm_differs_from_round", "window", "windows where round_renorm gives another value than round",
      [](const S& s, double) { return static_cast<double>(s.front_end.renorm_differs); }, true);
  counter("activity", "mult_input_toggles", "bit toggle", "bit flips on multiplier operand inputs",
          &S::mult_input_toggles);
  counter("activity", "act_reg_toggles", "bit toggle", "bit flips of horizontal operand registers",
          &S::act_reg_toggles);
  counter("activity", "weight_reg_toggles", "bit toggle", "bit flips of weight registers", &S::weight_reg_toggles);
  counter("activity", "psum_reg_toggles", "bit toggle", "bit flips of partial-sum / PE accumulator registers",
          &S::psum_reg_toggles);
  counter("activity", "acc_toggles", "bit toggle", "bit flips of the output accumulators at the array edge",
          &S::acc_toggles);
  counter("activity", "mult_weight_toggles", "bit toggle", "the weight-side part of mult_input_toggles",
          &S::mult_weight_toggles);
  counter("activity", "reg_writes", "event", "clock-enabled data register loads", &S::reg_writes);
  counter("activity", "act_reg_writes", "event", "loads of horizontal operand registers", &S::act_reg_writes);
  counter("activity", "weight_reg_writes", "event", "loads of weight registers", &S::weight_reg_writes);
  counter("activity", "psum_reg_writes", "event", "loads of partial-sum and accumulator registers",
          &S::psum_reg_writes);
  counter("activity", "combined_multiplies", "multiply",
          "vsparq pairs with one zero computed on both multipliers (partner precision)", &S::combined_multiplies);
  counter("activity", "lod_edge_encodings", "encoding", "operand pairs encoded at the row edges",
          &S::lod_edge_encodings);
  counter("activity", "lod_pe_encodings", "encoding", "operand pairs encoded inside PEs", &S::lod_pe_encodings);
  counter("accumulator", "overflows", "event", "accumulator additions whose exact result left the signed range",
          &S::acc_overflows);
  // The memory system (memory.enabled).
  const auto mem = [&](const char* name, const char* unit, const char* desc, std::uint64_t S::*m, bool peak = false) {
    ArrayStatDef d{"memory", name, unit, desc, m, nullptr, true, false};
    d.memory_only = true;
    d.peak = peak;
    v.push_back(std::move(d));
  };
  const auto mem_derived = [&](const char* name, const char* unit, const char* desc,
                               std::function<double(const S&, double)> f) {
    ArrayStatDef d{"memory", name, unit, desc, nullptr, std::move(f), false, false};
    d.memory_only = true;
    v.push_back(std::move(d));
  };
  mem("stall_ifmap", "cycle", "stalls waiting for activations (DRAM or the ifmap port)", &S::stall_ifmap);
  mem("stall_filter", "cycle", "stalls waiting for weights (DRAM or the filter port)", &S::stall_filter);
  mem("stall_ofmap", "cycle", "stalls on a full ofmap scratchpad, its port, or the last outputs reaching DRAM",
      &S::stall_ofmap);
  mem("stall_port", "cycle", "the part of the stalls caused by a scratchpad port's width", &S::stall_port);
  mem("sram_ifmap_read", "byte", "activation bytes the array read from the ifmap scratchpad", &S::sram_ifmap_read);
  mem("sram_ifmap_write", "byte", "bytes written into the ifmap scratchpad from DRAM", &S::sram_ifmap_write);
  mem("sram_filter_read", "byte", "weight bytes the array read from the filter scratchpad", &S::sram_filter_read);
  mem("sram_filter_write", "byte", "bytes written into the filter scratchpad from DRAM", &S::sram_filter_write);
  mem("sram_ofmap_write", "byte", "output bytes the array wrote into the ofmap scratchpad", &S::sram_ofmap_write);
  mem("sram_ofmap_read", "byte", "output bytes read from the ofmap scratchpad into DRAM", &S::sram_ofmap_read);
  mem("dram_ifmap_read", "byte", "DRAM bytes read into the ifmap scratchpad", &S::dram_ifmap_read);
  mem("dram_filter_read", "byte", "DRAM bytes read into the filter scratchpad", &S::dram_filter_read);
  mem("dram_ofmap_write", "byte", "DRAM bytes written from the ofmap scratchpad", &S::dram_ofmap_write);
  mem("unique_ifmap", "byte", "distinct activation bytes the layers read (the DRAM read floor)", &S::unique_ifmap);
  mem("unique_filter", "byte", "distinct weight bytes the layers read", &S::unique_filter);
  mem("unique_ofmap", "byte", "output bytes the layers write", &S::unique_ofmap);
  mem_derived("dram_traffic_over_unique", "1", "DRAM bytes / the unique bytes read and written (1 = no refetch)",
              [](const S& s, double) {
                const double u = static_cast<double>(s.unique_bytes());
                return u > 0 ? static_cast<double>(s.dram_bytes()) / u : 0.0;
              });
  mem_derived("dram_bandwidth_achieved", "byte/cycle", "DRAM bytes / all cycles", [](const S& s, double) {
    return s.cycles ? static_cast<double>(s.dram_bytes()) / static_cast<double>(s.cycles) : 0.0;
  });
  mem_derived("dram_bandwidth_required", "byte/cycle",
              "DRAM bytes / the cycles without stalls (the average bandwidth that would hide the memory)",
              [](const S& s, double) {
                const std::uint64_t c = s.cycles - s.stall;
                return c ? static_cast<double>(s.dram_bytes()) / static_cast<double>(c) : 0.0;
              });
  mem("dram_requests", "request", "DRAM requests (bursts)", &S::dram_requests);
  mem("dram_bus_cycles", "cycle", "cycles the DRAM bus moved data", &S::dram_bus_cycles);
  mem("peak_ifmap", "byte", "largest ifmap scratchpad occupancy", &S::peak_ifmap, true);
  mem("peak_filter", "byte", "largest filter scratchpad occupancy", &S::peak_filter, true);
  mem("peak_ofmap", "byte", "largest ofmap scratchpad occupancy", &S::peak_ofmap, true);
  mem("ifmap_bytes_per_cycle", "byte/cycle",
      "activation bytes the array reads from the ifmap scratchpad per cycle at full rate (rows x 1, pair designs "
      "rows x 2)",
      &S::ifmap_bytes_per_cycle, true);
  mem("row_bus_bits", "bit/cycle", "bits per cycle on the row buses into the array (rows x operand register width)",
      &S::row_bus_bits, true);
  // Counters behind the derived figures, not reported themselves.
  counter("", "gemms", "GEMM", "GEMMs simulated (groups of a layer)", &S::gemms);
  counter("", "pe_active_cycles", "PE-cycle", "(PE, cycle) pairs doing useful work", &S::pe_active_cycles);
  counter("", "pe_cycles_available", "PE-cycle", "rows * cols * cycles", &S::pe_cycles_available);
  counter("", "mult_slot_busy", "slot-cycle", "multiplier-cycles on useful operands", &S::mult_slot_busy);
  counter("", "mult_slots_available", "slot-cycle", "multipliers per PE * rows * cols * cycles",
          &S::mult_slots_available);
  return v;
}

}  // namespace

const std::vector<ArrayStatDef>& array_stat_defs() {
  static const std::vector<ArrayStatDef> defs = build_stat_defs();
  return defs;
}

std::size_t array_stat_counters() {
  std::size_t n = 0;
  for (const auto& d : array_stat_defs()) n += d.counter != nullptr;
  return n;
}

std::string array_stat_group_description(const std::string& group) {
  static const std::pair<const char*, const char*> groups[] = {
      {"cycles", "clock cycles of the array; the parts sum to the total"},
      {"throughput", "work per cycle and occupancy"},
      {"pairs", "activation pairs of the lowered GEMM, each (output pixel, k-pair) once"},
      {"windows", "n-bit windows selected for nonzero activations, each A-matrix pair once"},
      {"activity", "switching activity, the basis of the energy proxy"},
      {"accumulator", ""},
      {"memory", "scratchpads and DRAM: stalls by cause, traffic in bytes, occupancy, operand bandwidth"}};
  for (const auto& [name, desc] : groups)
    if (group == name) return desc;
  return "";
}

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
}  // namespace

std::uint64_t scalesim_compute_cycles(std::uint64_t M, std::uint64_t N, std::uint64_t steps, int R, int C,
                                      Dataflow df) {
  const std::uint64_t r = static_cast<std::uint64_t>(R), c = static_cast<std::uint64_t>(C);
  if (df == Dataflow::WS) return ceil_div(steps, r) * ceil_div(N, c) * (2 * r + c + M - 2) - 1;
  return ceil_div(M, r) * ceil_div(N, c) * (r + c + steps - 2) - 1;
}

std::uint64_t scalesim_offset(std::uint64_t M, std::uint64_t N, std::uint64_t /*steps*/, int R, int C, Dataflow df) {
  if (df == Dataflow::WS) return 2;
  const std::uint64_t r = static_cast<std::uint64_t>(R), c = static_cast<std::uint64_t>(C);
  return 1 + r * ceil_div(M, r) * ceil_div(N, c);
}

GemmRun simulate_gemm(const Gemm& g, const ArrayConfig& cfg, const VcdOptions* vcd, CycleProbe* probe,
                      StructuralSession* session) {
  check_gemm(g, cfg);
  if (probe && (probe->col < 0 || probe->col >= cfg.cols))
    throw std::invalid_argument("probe column " + std::to_string(probe->col) + " is outside the array");
  const OperandMemory mem(g, cfg);
  GemmRun run;
  fill_gemm_stats(g, cfg, mem, run.stats);
  switch (cfg.fidelity) {
    case Fidelity::Fast:
      run.C = probe ? run_fast(mem, cfg, run.stats, probe) : run_fold_model(mem, cfg, run.stats);
      break;
    case Fidelity::Stepped: run.C = run_fast(mem, cfg, run.stats, probe); break;
    case Fidelity::Structural: run.C = run_structural(mem, cfg, run.stats, vcd, probe, session); break;
  }
  run.stats.front_end.overflows = run.stats.acc_overflows;
  return run;
}

LayerRun simulate_layer(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights,
                        const ArrayConfig& cfg, bool signed_activations, const VcdOptions* vcd) {
  geo.validate();
  cfg.validate();
  LayerRun out;
  const int Ho = geo.H_out(), Wo = geo.W_out();
  out.acc.assign(static_cast<std::size_t>(Ho) * Wo * geo.C_out, 0);
  StructuralSession session;  // one elaboration for every group
  for (int grp = 0; grp < geo.groups; ++grp) {
    const Gemm g = lower_conv(geo, input, weights, grp, signed_activations);
    const GemmRun r = simulate_gemm(g, cfg, grp == 0 ? vcd : nullptr, nullptr, &session);
    for (int m = 0; m < g.M; ++m)
      for (int n = 0; n < g.N; ++n)
        out.acc[static_cast<std::size_t>(m) * geo.C_out + static_cast<std::size_t>(grp) * g.N + n] =
            r.C[static_cast<std::size_t>(m) * g.N + n];
    out.stats.merge(r.stats);
  }
  return out;
}

}  // namespace sparq::hw
