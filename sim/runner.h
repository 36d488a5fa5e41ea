// The `run` job: replays the selected layers of a trace bundle through each
// configured PE design on the simulated array, measures cycles, utilization,
// numerical error (against exact int8 and the float model), and attaches
// area and energy proxies. Results are written atomically at the end.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "array_sim.h"
#include "bundle.h"
#include "config.h"
#include "cost_model.h"
#include "metrics.h"
#include "stats.h"

namespace sparq {

struct LayerOutcome {
  std::string layer;
  std::string op;
  std::string geometry;
  bool signed_activations = false;
  bool int8_fallback = false;  // signed activations under a pair design: ran on the int8 PE
  bool skipped = false;        // totals only: no layer pooled
  std::string skip_reason;
  std::int64_t pixels = 0;  // output pixels simulated
  hw::ArrayStats array;     // summed over groups
  ErrorMetrics vs_int8;     // accumulators against exact int8 sums
  bool has_float = false;
  ErrorMetrics vs_float;           // dequantized output against the float model
  ErrorMetrics int8_vs_float;      // the exact int8 baseline against the float model
  EnergyBreakdown energy;          // activity-based energy proxy of this layer
  bool reference_checked = false;  // compared bit for bit against the reference engine
  double wall_seconds = 0;
};

struct DesignOutcome {
  DesignPoint design;
  ArrayCost cost;  // area proxy
  std::vector<LayerOutcome> layers;
};

struct RunOutcome {
  RunConfig config;
  std::string bundle_name;
  CellLibrary library;
  std::vector<DesignOutcome> designs;
  std::vector<std::string> vcd_files;  // waveforms written (structural fidelity), in run order
};

struct RunOptions {
  bool check_reference = false;  // also run the reference engine and require bit-exact equality
};

// Output pixels a run simulates: the first max_pixels (0: all) of the layer's H_out x W_out.
std::int64_t simulated_pixels(const ConvGeometry& g, std::int64_t max_pixels);
// The shape of those pixels' accumulators: [H_out, W_out, C_out] for the
// whole layer, else [pixels, C_out].
std::vector<std::int64_t> accumulator_shape(const ConvGeometry& g, std::int64_t pixels);
// The design a layer runs on: `d` itself, or for a signed-activation layer
// under a pair design (SPARQ takes unsigned activations) the int8 PE on the
// same array (shape, dataflow, buffering, accumulator, memory).
DesignPoint layer_design(const DesignPoint& d, const LayerInfo& info);

RunOutcome run_simulation(const RunConfig& cfg, const RunOptions& opt, std::ostream& progress);

// One layer held in memory (no bundle, nothing written): every design of
// cfg runs it as run_simulation would (trace.max_pixels applies; the bundle,
// layer selection, VCD and dumps do not). The layer must be checked
// (check_layer_trace). acc[d]: design d's accumulators [pixels, C_out] (a
// signed layer runs at int8 under the pair designs); exact: the exact int8 sums.
RunOutcome run_layer_trace(const RunConfig& cfg, const LayerTrace& layer,
                           std::vector<std::vector<std::int64_t>>* acc = nullptr,
                           std::vector<std::int64_t>* exact = nullptr);

// Stats tree of one layer under one design, and of a design's totals.
StatGroup layer_stats(const DesignOutcome& d, const LayerOutcome& l, bool scalesim_compatible);
StatGroup design_totals(const RunConfig& cfg, const DesignOutcome& d);
// Adds every array statistic (cycles, throughput, pairs, windows, activity,
// memory ...; hw::array_stat_defs) to g, one child group per statistic group.
void add_array_stats(StatGroup& g, const hw::ArrayStats& s, double clock_mhz, bool scalesim, bool memory);
// One design's group of results.json: config, layers (layer_stats), total (design_totals).
StatGroup design_stats(const RunConfig& cfg, const DesignOutcome& d);
// All layers of a design pooled into one outcome (sums; errors pooled over
// outputs); counts the layers run and skipped.
LayerOutcome design_total(const DesignOutcome& d, int* run = nullptr, int* skipped = nullptr);

// Writes effective_config.yaml, results.json, layers.csv, summary.csv
// (and dumps) into cfg.output_dir, each atomically.
void write_results(const RunOutcome& r);
// The readable table.
void print_table(const RunOutcome& r, std::ostream& out);

}  // namespace sparq
