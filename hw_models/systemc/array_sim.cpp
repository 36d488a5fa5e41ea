#include "array_sim.h"

#include <stdexcept>

#include "fast_array.h"
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
  cycles += o.cycles;
  weight_load += o.weight_load;
  fill += o.fill;
  stream += o.stream;
  drain += o.drain;
  scalesim_compute_cycles += o.scalesim_compute_cycles;
  gemms += o.gemms;
  macs += o.macs;
  pe_active_cycles += o.pe_active_cycles;
  pe_cycles_available += o.pe_cycles_available;
  mult_slot_busy += o.mult_slot_busy;
  mult_slots_available += o.mult_slots_available;
  mult_input_toggles += o.mult_input_toggles;
  act_reg_toggles += o.act_reg_toggles;
  weight_reg_toggles += o.weight_reg_toggles;
  psum_reg_toggles += o.psum_reg_toggles;
  acc_toggles += o.acc_toggles;
  reg_writes += o.reg_writes;
  mult_weight_toggles += o.mult_weight_toggles;
  act_reg_writes += o.act_reg_writes;
  weight_reg_writes += o.weight_reg_writes;
  psum_reg_writes += o.psum_reg_writes;
  combined_multiplies += o.combined_multiplies;
  lod_edge_encodings += o.lod_edge_encodings;
  lod_pe_encodings += o.lod_pe_encodings;
  folds += o.folds;
  acc_overflows += o.acc_overflows;
  front_end.merge(o.front_end);
}

bool ArrayStats::operator==(const ArrayStats& o) const {
  return cycles == o.cycles && weight_load == o.weight_load && fill == o.fill && stream == o.stream &&
         drain == o.drain && scalesim_compute_cycles == o.scalesim_compute_cycles && gemms == o.gemms &&
         macs == o.macs && pe_active_cycles == o.pe_active_cycles && pe_cycles_available == o.pe_cycles_available &&
         mult_slot_busy == o.mult_slot_busy && mult_slots_available == o.mult_slots_available &&
         mult_input_toggles == o.mult_input_toggles && act_reg_toggles == o.act_reg_toggles &&
         weight_reg_toggles == o.weight_reg_toggles && psum_reg_toggles == o.psum_reg_toggles &&
         acc_toggles == o.acc_toggles && reg_writes == o.reg_writes && mult_weight_toggles == o.mult_weight_toggles &&
         act_reg_writes == o.act_reg_writes && weight_reg_writes == o.weight_reg_writes &&
         psum_reg_writes == o.psum_reg_writes && combined_multiplies == o.combined_multiplies &&
         lod_edge_encodings == o.lod_edge_encodings && lod_pe_encodings == o.lod_pe_encodings && folds == o.folds &&
         acc_overflows == o.acc_overflows && front_end == o.front_end;
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

GemmRun simulate_gemm(const Gemm& g, const ArrayConfig& cfg, const VcdOptions* vcd, CycleProbe* probe) {
  check_gemm(g, cfg);
  if (probe && (probe->col < 0 || probe->col >= cfg.cols))
    throw std::invalid_argument("probe column " + std::to_string(probe->col) + " is outside the array");
  const OperandMemory mem(g, cfg);
  GemmRun run;
  fill_gemm_stats(g, cfg, mem, run.stats);
  if (cfg.fidelity == Fidelity::Fast)
    run.C = run_fast(mem, cfg, run.stats, probe);
  else
    run.C = run_structural(mem, cfg, run.stats, vcd, probe);
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
  for (int grp = 0; grp < geo.groups; ++grp) {
    const Gemm g = lower_conv(geo, input, weights, grp, signed_activations);
    const GemmRun r = simulate_gemm(g, cfg, grp == 0 ? vcd : nullptr);
    for (int m = 0; m < g.M; ++m)
      for (int n = 0; n < g.N; ++n)
        out.acc[static_cast<std::size_t>(m) * geo.C_out + static_cast<std::size_t>(grp) * g.N + n] =
            r.C[static_cast<std::size_t>(m) * g.N + n];
    out.stats.merge(r.stats);
  }
  return out;
}

}  // namespace sparq::hw
