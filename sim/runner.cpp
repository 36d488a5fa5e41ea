#include "runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>

#include "atomic_file.h"
#include "bundle.h"
#include "cost_library.h"
#include "cost_report.h"
#include "csv.h"
#include "errors.h"
#include "gemm.h"
#include "npy.h"
#include "pe_datapath.h"
#include "plots.h"
#include "report_html.h"
#include "run_budget.h"
#include "safe_io.h"

namespace fs = std::filesystem;

namespace sparq {

std::int64_t simulated_pixels(const ConvGeometry& g, std::int64_t max_pixels) {
  const std::int64_t all = static_cast<std::int64_t>(g.H_out()) * g.W_out();
  return max_pixels > 0 ? std::min(all, max_pixels) : all;
}

std::vector<std::int64_t> accumulator_shape(const ConvGeometry& g, std::int64_t pixels) {
  if (pixels == static_cast<std::int64_t>(g.H_out()) * g.W_out()) return {g.H_out(), g.W_out(), g.C_out};
  return {pixels, g.C_out};
}

DesignPoint layer_design(const DesignPoint& d, const LayerInfo& info) {
  if (!info.activation_signed || !consumes_pairs(d.array.pe.design)) return d;
  DesignPoint i8 = d;
  i8.array.pe = PeArith::int8();
  return i8;
}

namespace {

struct LoadedLayer {
  LayerTrace trace;
  std::vector<Gemm> gemms;          // one per group, truncated to max_pixels rows
  std::vector<std::int64_t> exact;  // exact int8 sums [pixels, C_out]
  std::int64_t pixels = 0;
};

// Scatters a group's GEMM result [M, N] into [pixels, C_out].
void scatter(const std::vector<std::int64_t>& c, const Gemm& g, int group, int c_out, std::vector<std::int64_t>& out) {
  for (int m = 0; m < g.M; ++m)
    for (int n = 0; n < g.N; ++n)
      out[static_cast<std::size_t>(m) * c_out + group * g.N + n] = c[static_cast<std::size_t>(m) * g.N + n];
}

// Lowers a loaded layer to its GEMMs (the first max_pixels output pixels if > 0) and its exact int8 sums.
LoadedLayer lower(LayerTrace trace, std::int64_t max_pixels) {
  LoadedLayer L;
  L.trace = std::move(trace);
  const LayerInfo& info = L.trace.info;
  const ConvGeometry& g = info.geo;
  L.pixels = simulated_pixels(g, max_pixels);
  L.exact.assign(static_cast<std::size_t>(L.pixels) * g.C_out, 0);
  for (int grp = 0; grp < g.groups; ++grp) {
    // Only the simulated rows are lowered: a preview never builds the whole im2col matrix.
    Gemm gm = lower_conv(g, L.trace.input.data(), L.trace.weights.data(), grp, info.activation_signed, L.pixels);
    scatter(exact_gemm(gm), gm, grp, g.C_out, L.exact);
    L.gemms.push_back(std::move(gm));
  }
  return L;
}

LoadedLayer load(const BundleManifest& m, const LayerInfo& info, const RunConfig& cfg) {
  return lower(load_layer(m, info, cfg.verify_sha256), cfg.max_pixels);
}

std::vector<float> first_pixels(const std::vector<float>& v, std::int64_t pixels, int c_out) {
  return std::vector<float>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(pixels * c_out));
}

std::vector<double> to_double(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

void add_error(StatGroup& g, const ErrorMetrics& e, const std::string& unit, const std::string& against) {
  g.add_optional("sqnr", e.sqnr_db, !e.exact, "dB",
                 "signal-to-quantization-noise ratio against " + against +
                     " (null: identical outputs, or an all-zero reference; see mismatches)");
  g.add("max_abs_error", e.max_abs, unit, "largest |output - " + against + "|");
  g.add("mean_abs_error", e.mean_abs, unit, "mean |output - " + against + "|");
  g.add("relative_l2", e.rel_l2, "1", "||output - " + against + "||_2 / ||" + against + "||_2");
  g.add_count("mismatches", e.mismatches, "output", "outputs that differ from " + against);
  g.add_count("outputs", e.count, "output", "outputs compared");
}

}  // namespace

// Every statistic of array_stat_defs(), in its order and groups.
void add_array_stats(StatGroup& g, const hw::ArrayStats& s, double clock_mhz, bool scalesim, bool memory) {
  for (const hw::ArrayStatDef& d : hw::array_stat_defs()) {
    if (d.group.empty() || (d.scalesim_only && !scalesim) || (d.memory_only && !memory)) continue;
    StatGroup& c = g.child(d.group, hw::array_stat_group_description(d.group));
    if (d.counter)
      c.add_count(d.name, s.*d.counter, d.unit, d.desc);
    else if (d.integer)
      c.add_count(d.name, static_cast<std::uint64_t>(d.derived(s, clock_mhz)), d.unit, d.desc);
    else
      c.add(d.name, d.derived(s, clock_mhz), d.unit, d.desc);
  }
}

namespace {

// Runs the layer through the memory system (docs/memory.md) and adds its
// stalls and traffic to the array's statistics. The whole array stalls (its
// clock gated), so the stalls add cycles, PE-cycles and multiplier slots
// available, and change no output or activity counter.
MemoryStats run_memory(const DesignPoint& d, const LayerInfo& info, std::int64_t pixels) {
  MemoryArray a;
  a.rows = d.array.rows;
  a.cols = d.array.cols;
  a.dataflow = d.array.dataflow;
  a.buffering = d.array.weight_buffering;
  a.pairs = consumes_pairs(d.array.pe.design);
  try {
    return simulate_memory(d.memory, a, MemoryLayer{info.geo, pixels});
  } catch (const std::invalid_argument& e) {
    throw InputError("layer " + info.name + ", design " + d.name + ": " + e.what());
  }
}

void apply_memory(const DesignPoint& d, const LayerInfo& info, const MemoryStats& m, hw::ArrayStats& st) {
  if (m.compute_cycles != st.cycles)
    throw std::logic_error("memory model: layer " + info.name + " design " + d.name + " has " +
                           std::to_string(m.compute_cycles) + " array cycles in the fold schedule but the array ran " +
                           std::to_string(st.cycles));
  const std::uint64_t s = m.stalls();
  const auto pes = static_cast<std::uint64_t>(d.array.rows) * static_cast<std::uint64_t>(d.array.cols);
  st.cycles += s;
  st.stall += s;
  st.pe_cycles_available += pes * s;
  st.mult_slots_available += static_cast<std::uint64_t>(hw::multipliers_per_pe(d.array.pe)) * pes * s;
  st.stall_ifmap += m.stall[kIfmap];
  st.stall_filter += m.stall[kFilter];
  st.stall_ofmap += m.stall[kOfmap];
  st.stall_port += m.port_stall[kIfmap] + m.port_stall[kFilter] + m.port_stall[kOfmap];
  st.sram_ifmap_read += m.sram_read[kIfmap];
  st.sram_ifmap_write += m.sram_write[kIfmap];
  st.sram_filter_read += m.sram_read[kFilter];
  st.sram_filter_write += m.sram_write[kFilter];
  st.sram_ofmap_read += m.sram_read[kOfmap];
  st.sram_ofmap_write += m.sram_write[kOfmap];
  st.dram_ifmap_read += m.dram_read[kIfmap];
  st.dram_filter_read += m.dram_read[kFilter];
  st.dram_ofmap_write += m.dram_write[kOfmap];
  st.unique_ifmap += m.unique[kIfmap];
  st.unique_filter += m.unique[kFilter];
  st.unique_ofmap += m.unique[kOfmap];
  st.dram_requests += m.dram_requests;
  st.dram_bus_cycles += m.dram_bus_cycles;
  st.peak_ifmap = std::max(st.peak_ifmap, m.peak[kIfmap]);
  st.peak_filter = std::max(st.peak_filter, m.peak[kFilter]);
  st.peak_ofmap = std::max(st.peak_ofmap, m.peak[kOfmap]);
  st.ifmap_bytes_per_cycle = std::max(st.ifmap_bytes_per_cycle, m.peak_ifmap_demand);
  st.row_bus_bits = std::max(st.row_bus_bits, static_cast<std::uint64_t>(d.array.rows) *
                                                  static_cast<std::uint64_t>(hw::register_widths(d.array).act_bits));
}

// One layer under one design: every group on the array (the VCD, if any,
// covers group 0), the memory system's stalls (mem, if enabled), the energy
// proxy, the errors against exact int8 and the float model. acc: the
// accumulators [pixels, C_out].
void simulate_design_layer(const DesignPoint& d, const ArrayCost& cost, const CellLibrary& lib, const LoadedLayer& L,
                           const MemoryStats* mem, const hw::VcdOptions* vcd, hw::StructuralSession* structural,
                           bool check_reference, LayerOutcome& lo, std::vector<std::int64_t>& acc) {
  const LayerInfo& info = L.trace.info;
  const auto t0 = std::chrono::steady_clock::now();
  acc.assign(L.exact.size(), 0);
  for (std::size_t grp = 0; grp < L.gemms.size(); ++grp) {
    const hw::GemmRun run = hw::simulate_gemm(L.gemms[grp], d.array, grp == 0 ? vcd : nullptr, nullptr, structural);
    lo.array.merge(run.stats);
    scatter(run.C, L.gemms[grp], static_cast<int>(grp), info.geo.C_out, acc);
    if (check_reference) {
      const auto ref = reference_gemm(L.gemms[grp], d.array.pe, d.array.acc_bits, nullptr);
      if (ref != run.C)
        throw std::runtime_error("array output differs from the reference engine on layer " + info.name + " group " +
                                 std::to_string(grp) + " under design " + d.name);
      lo.reference_checked = true;
    }
  }
  if (mem) apply_memory(d, info, *mem, lo.array);
  lo.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  lo.energy = estimate_energy(cost, lib, energy_activity(lo.array, d));
  lo.vs_int8 = compare(acc, L.exact);
  if (!L.trace.float_output.empty()) {
    lo.has_float = true;
    const auto ref = to_double(first_pixels(L.trace.float_output, L.pixels, info.geo.C_out));
    lo.vs_float = compare(dequantize(acc, info.activation_scale, L.trace.weight_scales, L.trace.bias), ref);
    lo.int8_vs_float = compare(dequantize(L.exact, info.activation_scale, L.trace.weight_scales, L.trace.bias), ref);
  }
}

// The memory budget entry of one layer (sim/run_budget.h).
LayerBudget layer_budget(const LayerInfo& info, std::int64_t max_pixels, bool has_bias, bool has_float) {
  LayerBudget b;
  b.name = info.name;
  b.geo = info.geo;
  b.pixels = simulated_pixels(info.geo, max_pixels);
  b.has_bias = has_bias;
  b.has_float = has_float;
  return b;
}

// Refuses a run whose estimated memory exceeds simulation.max_memory.
void check_memory_budget(const RunConfig& cfg, const std::vector<LayerBudget>& budget, bool check_reference) {
  std::vector<hw::ArrayConfig> arrays;
  for (const DesignPoint& d : cfg.designs) arrays.push_back(d.array);
  const MemoryEstimate mem = estimate_run_memory(budget, arrays, check_reference);
  if (mem.bytes > cfg.max_memory)
    throw InputError("this run would need about " + format_bytes(mem.bytes) + " of memory, more than " +
                     "simulation.max_memory (" + format_bytes(cfg.max_memory) + "); most of it is " + mem.biggest +
                     ". Use a smaller array or trace.max_pixels, or raise simulation.max_memory");
}

// A layer's outcome before simulation, and the design it runs on (*ld): a
// signed-input layer (e.g. the first convolution on an ImageNet-normalized
// image) runs at int8 on the design's array, as the paper keeps such layers
// at 8 bits: SPARQ's pairs take unsigned activations.
LayerOutcome start_layer(const DesignPoint& d, const LoadedLayer& L, DesignPoint* ld) {
  const LayerInfo& info = L.trace.info;
  LayerOutcome lo;
  lo.layer = info.name;
  lo.op = info.op;
  lo.geometry = info.geo.describe();
  lo.signed_activations = info.activation_signed;
  lo.pixels = L.pixels;
  *ld = layer_design(d, info);
  lo.int8_fallback = ld->array.pe.design != d.array.pe.design;
  return lo;
}

}  // namespace

RunOutcome run_simulation(const RunConfig& cfg, const RunOptions& opt, std::ostream& progress) {
  RunOutcome r;
  r.config = cfg;
  r.library = load_cell_library(cfg.cost_library);
  const BundleManifest m = read_manifest(cfg.bundle);
  r.bundle_name = m.name;
  std::vector<const LayerInfo*> sel;
  if (cfg.layers.empty())
    for (const auto& l : m.layers) sel.push_back(&l);
  else
    for (const auto& n : cfg.layers) sel.push_back(&m.layer(n));

  // Names that become file names, memory, output paths: all checked before
  // any array is read or anything simulated.
  const bool per_pair_vcd = !cfg.vcd.path.empty() && (sel.size() > 1 || cfg.designs.size() > 1);
  std::map<std::string, std::string> files;  // file name -> "design / layer" that writes it
  for (const DesignPoint& d : cfg.designs)
    for (const LayerInfo* info : sel) {
      const std::string stem = file_component(d.name) + "." + file_component(info->name);
      const std::string who = "design '" + d.name + "' / layer '" + info->name + "'";
      std::vector<std::string> mine;
      if (!cfg.dump_outputs_dir.empty()) mine.push_back(stem + ".acc.npy");
      if (per_pair_vcd) mine.push_back(stem + ".vcd");
      for (const auto& f : mine) {
        if (f.size() > 240)
          throw InputError(who + ": the output file name " + f + " would be too long; shorten the design name");
        auto [it, fresh] = files.emplace(f, who);
        if (!fresh) throw InputError(who + " and " + it->second + " would both write " + f + "; rename one design");
      }
    }
  if (!cfg.vcd.path.empty()) {
    if (per_pair_vcd) {
      for (const auto& [f, who] : files)
        if (f.size() > 4 && f.compare(f.size() - 4, 4, ".vcd") == 0)
          check_output_file((fs::path(cfg.output_dir) / f).string(), "waveform");
    } else {
      check_output_file(cfg.vcd.path, "output.vcd.path");
    }
  }
  std::vector<LayerBudget> budget;
  for (const LayerInfo* info : sel)
    budget.push_back(layer_budget(*info, cfg.max_pixels, info->bias.has_value(), info->float_output.has_value()));
  check_memory_budget(cfg, budget, opt.check_reference);
  // One warning per design, for the first layer its array dwarfs.
  for (const DesignPoint& d : cfg.designs)
    for (const LayerBudget& b : budget)
      if (const std::string w = array_dwarfs_layer(d.array, b); !w.empty()) {
        progress << w << std::flush;
        break;
      }

  // Load and check every selected layer, cost every design and create the
  // dump directory before simulating anything: bad input fails fast.
  std::vector<LoadedLayer> layers;
  for (const LayerInfo* info : sel) layers.push_back(load(m, *info, cfg));
  std::vector<ArrayCost> costs;
  for (const DesignPoint& d : cfg.designs) costs.push_back(design_cost(d, r.library));
  if (!cfg.dump_outputs_dir.empty()) ensure_directory(cfg.dump_outputs_dir);
  // The memory system does not depend on the data: run it first, so that a
  // scratchpad too small for a layer fails before anything is simulated.
  std::vector<std::vector<MemoryStats>> memory(cfg.designs.size());
  for (std::size_t di = 0; di < cfg.designs.size(); ++di)
    if (cfg.designs[di].memory.enabled)
      for (const LoadedLayer& L : layers) {
        const LayerInfo& info = L.trace.info;
        memory[di].push_back(run_memory(layer_design(cfg.designs[di], info), info, L.pixels));
      }

  for (std::size_t di = 0; di < cfg.designs.size(); ++di) {
    const DesignPoint& d = cfg.designs[di];
    DesignOutcome out;
    out.design = d;
    out.cost = costs[di];
    hw::StructuralSession structural;  // structural fidelity: one elaboration for the design's layers and groups
    for (std::size_t li = 0; li < layers.size(); ++li) {
      const LoadedLayer& L = layers[li];
      const LayerInfo& info = L.trace.info;
      DesignPoint ld;
      LayerOutcome lo = start_layer(d, L, &ld);
      const ArrayCost int8_cost = lo.int8_fallback ? design_cost(ld, r.library) : ArrayCost{};
      if (!cfg.quiet) progress << "  " << d.name << " / " << info.name << " ..." << std::flush;
      std::vector<std::int64_t> acc;
      const hw::VcdOptions* vcd = cfg.vcd.path.empty() ? nullptr : &cfg.vcd;
      hw::VcdOptions vcd_layer;
      if (vcd && (layers.size() > 1 || cfg.designs.size() > 1)) {
        vcd_layer = cfg.vcd;
        vcd_layer.path =
            (fs::path(cfg.output_dir) / (file_component(d.name) + "." + file_component(info.name) + ".vcd")).string();
        vcd = &vcd_layer;
      }
      if (vcd) r.vcd_files.push_back(vcd->path);  // ends in ".vcd" (config, or the per-pair name)
      simulate_design_layer(ld, lo.int8_fallback ? int8_cost : out.cost, r.library, L,
                            d.memory.enabled ? &memory[di][li] : nullptr, vcd, &structural, opt.check_reference, lo,
                            acc);
      if (!cfg.dump_outputs_dir.empty()) {
        const std::vector<std::int64_t> shape = accumulator_shape(info.geo, L.pixels);
        write_npy(
            (fs::path(cfg.dump_outputs_dir) / (file_component(d.name) + "." + file_component(info.name) + ".acc.npy"))
                .string(),
            make_npy(DType::I8, shape, acc));
      }
      if (!cfg.quiet)
        progress << " " << lo.array.cycles << " cycles, " << std::fixed << std::setprecision(2) << lo.wall_seconds
                 << " s\n"
                 << std::defaultfloat;
      out.layers.push_back(std::move(lo));
    }
    r.designs.push_back(std::move(out));
  }
  return r;
}

RunOutcome run_layer_trace(const RunConfig& cfg, const LayerTrace& layer, std::vector<std::vector<std::int64_t>>* acc,
                           std::vector<std::int64_t>* exact) {
  RunOutcome r;
  r.config = cfg;
  r.library = load_cell_library(cfg.cost_library);
  r.bundle_name = "(in memory)";
  const LayerInfo& info = layer.info;
  check_memory_budget(cfg, {layer_budget(info, cfg.max_pixels, !layer.bias.empty(), !layer.float_output.empty())},
                      false);
  const LoadedLayer L = lower(layer, cfg.max_pixels);
  if (exact) *exact = L.exact;
  if (acc) acc->assign(cfg.designs.size(), {});
  for (std::size_t di = 0; di < cfg.designs.size(); ++di) {
    const DesignPoint& d = cfg.designs[di];
    DesignOutcome out;
    out.design = d;
    out.cost = design_cost(d, r.library);
    DesignPoint ld;
    LayerOutcome lo = start_layer(d, L, &ld);
    const MemoryStats ms = d.memory.enabled ? run_memory(ld, info, L.pixels) : MemoryStats{};
    hw::StructuralSession structural;
    std::vector<std::int64_t> a;
    simulate_design_layer(ld, lo.int8_fallback ? design_cost(ld, r.library) : out.cost, r.library, L,
                          d.memory.enabled ? &ms : nullptr, nullptr, &structural, false, lo, a);
    if (acc) (*acc)[di] = std::move(a);
    out.layers.push_back(std::move(lo));
    r.designs.push_back(std::move(out));
  }
  return r;
}

StatGroup layer_stats(const DesignOutcome& d, const LayerOutcome& l, bool scalesim_compatible) {
  StatGroup g(l.layer, l.op + " " + l.geometry);
  g.add_text("geometry", l.geometry, "kernel/stride, input -> output");
  g.add_count("pixels", static_cast<std::uint64_t>(l.pixels), "pixel", "output pixels simulated");
  if (l.int8_fallback)
    g.add_text("ran_at", "int8",
               "signed activations: SPARQ's pairs take unsigned activations, so the layer ran on the int8 PE (as the "
               "paper keeps such layers at 8 bits); left out of the totals");
  add_array_stats(g, l.array, d.design.clock_mhz, scalesim_compatible, d.design.memory.enabled);
  add_error(g.child("error_vs_int8", "accumulators against the exact int8 accumulators (integer units)"), l.vs_int8,
            "LSB", "exact int8");
  if (l.has_float) {
    add_error(g.child("error_vs_float", "dequantized output against the original float model's output"), l.vs_float,
              "1", "float");
    add_error(g.child("int8_error_vs_float", "baseline: exact int8 output against the float model's output"),
              l.int8_vs_float, "1", "float");
  }
  g.adopt(energy_stats(l.energy, l.array.macs));
  g.add_text("reference_checked", l.reference_checked ? "true" : "false",
             "outputs compared bit for bit against the reference engine (--check)");
  return g;
}

}  // namespace sparq

namespace sparq {

namespace {

void add_energy(EnergyBreakdown& sum, const EnergyBreakdown& e) {
  if (sum.components.empty()) {
    sum = e;
    return;
  }
  for (std::size_t i = 0; i < e.components.size() && i < sum.components.size(); ++i)
    sum.components[i].pj += e.components[i].pj;
  sum.total_pj += e.total_pj;
}

void add_design_keys(StatGroup& g, const DesignPoint& d) {
  const auto& a = d.array;
  g.add_text("design", d.name, "design label");
  g.add_text("pe_design", to_string(a.pe.design), "PE design: int8 | int4 | bsparq | vsparq");
  g.add_text("shift_set", d.shift_set_label, "window shift set (preset or list)");
  g.add_count("window_bits", static_cast<std::uint64_t>(a.pe.window.n), "bit", "window width n");
  g.add_text("rounding", to_string(a.pe.window.rounding), "rounding mode");
  g.add_text("lod", hw::to_string(a.lod), "leading-one detection placement");
  g.add_text("dataflow", hw::to_string(a.dataflow), "array dataflow");
  g.add_count("rows", static_cast<std::uint64_t>(a.rows), "PE", "array rows");
  g.add_count("cols", static_cast<std::uint64_t>(a.cols), "PE", "array columns");
  g.add_count("accumulator_bits", static_cast<std::uint64_t>(a.acc_bits), "bit", "accumulator width");
  g.add("clock", d.clock_mhz, "MHz", "clock frequency");
  if (d.memory.enabled) {
    const MemoryConfig& m = d.memory;
    g.add("dram_bandwidth", m.dram.bytes_per_cycle, "byte/cycle", "DRAM bandwidth (0 = unlimited)");
    g.add_count("dram_latency", m.dram.latency, "cycle", "DRAM latency");
    g.add_count("ifmap_scratchpad", m.ifmap.bytes, "byte", "ifmap scratchpad capacity (0 = unlimited)");
    g.add_count("filter_scratchpad", m.filter.bytes, "byte", "filter scratchpad capacity (0 = unlimited)");
    g.add_count("ofmap_scratchpad", m.ofmap.bytes, "byte", "ofmap scratchpad capacity (0 = unlimited)");
  }
}

}  // namespace

LayerOutcome design_total(const DesignOutcome& d, int* run, int* skipped) {
  LayerOutcome t;
  t.layer = "total";
  int n_run = 0, n_excluded = 0;
  for (const auto& l : d.layers) {
    // Signed-activation layers are excluded from every design's totals (the
    // pair designs run them at int8), so that all designs' totals, and every
    // sweep point's, cover the same layers and compare the designs proper.
    if (l.signed_activations) {
      ++n_excluded;
      continue;
    }
    ++n_run;
    t.pixels += l.pixels;
    t.array.merge(l.array);
    add_energy(t.energy, l.energy);
    t.vs_int8.merge(l.vs_int8);
    if (l.has_float) {
      t.has_float = true;
      t.vs_float.merge(l.vs_float);
      t.int8_vs_float.merge(l.int8_vs_float);
    }
  }
  t.skipped = n_run == 0;
  if (t.skipped) t.skip_reason = "no layer in the totals: every selected layer has signed activations (excluded)";
  if (run) *run = n_run;
  if (skipped) *skipped = n_excluded;
  return t;
}

StatGroup design_totals(const RunConfig& cfg, const DesignOutcome& d) {
  int layers_run = 0, layers_skipped = 0;
  const LayerOutcome t = design_total(d, &layers_run, &layers_skipped);
  StatGroup g("total", "the unsigned-activation layers (the same set for every design) under design " + d.design.name);
  g.add_count("layers_in_total", static_cast<std::uint64_t>(layers_run), "layer", "layers pooled into these totals");
  g.add_count("layers_excluded", static_cast<std::uint64_t>(layers_skipped), "layer",
              "signed-activation layers, left out of every design's totals (pair designs run them at int8)");
  add_array_stats(g, t.array, d.design.clock_mhz, cfg.scalesim_compatible, d.design.memory.enabled);
  add_error(g.child("error_vs_int8", "all layers' accumulators against exact int8 (pooled sums of squares)"), t.vs_int8,
            "LSB", "exact int8");
  if (t.has_float) {
    add_error(g.child("error_vs_float", "dequantized outputs against the float model (pooled over layers)"), t.vs_float,
              "1", "float");
    add_error(g.child("int8_error_vs_float", "baseline: exact int8 against the float model (pooled)"), t.int8_vs_float,
              "1", "float");
  }
  g.adopt(area_stats(d.cost,
                     t.array.cycles ? static_cast<double>(t.array.macs) / static_cast<double>(t.array.cycles) : 0,
                     d.design.clock_mhz));
  g.adopt(energy_stats(t.energy, t.array.macs));
  return g;
}

namespace {

void csv_append(CsvTable& t, const std::vector<std::pair<std::string, std::string>>& lead, const StatGroup& g) {
  std::vector<std::pair<std::string, const Stat*>> flat;
  g.flatten(flat);
  std::vector<std::string> header, row;
  for (const auto& [k, v] : lead) header.push_back(k), row.push_back(v);
  for (const auto& [path, s] : flat) {
    header.push_back(s->unit == "text" || s->unit.empty() ? path : path + " [" + s->unit + "]");
    row.push_back(s->unit == "text" ? s->text : (s->defined ? format_number(s->value, s->integer) : "null"));
  }
  t.add_row(header, row);  // skipped layers have fewer columns
}

// report.html of a run (report_html.h): the summary and layer tables as in
// the CSVs, the plots inline, the effective config, the bundle's provenance.
std::string run_report(const RunOutcome& r, const std::string& run_id, const CsvTable& summary,
                       const CsvTable& layers) {
  const RunConfig& cfg = r.config;
  HtmlReport h;
  h.title = "sparq-sim run: " + r.bundle_name;
  std::string designs;
  for (const auto& d : r.designs) designs += (designs.empty() ? "" : ", ") + d.design.name;
  h.subtitle = std::to_string(r.designs.size()) + " design(s): " + designs;
  h.provenance.push_back({"run id", run_id});
  h.provenance.push_back({"configuration", cfg.config_file});
  add_bundle_provenance(h, cfg.bundle);
  HtmlReport::Table key{"Summary: key statistics per design",
                        "the totals over the unsigned-activation layers; 4 significant digits (hover for the full "
                        "value) from summary.csv (which has every "
                        "statistic); units in brackets",
                        select_columns(summary, summary_key_columns())};
  h.tables.push_back(std::move(key));
  HtmlReport::Table all{"Summary: every statistic (summary.csv, one column per design)", "", summary};
  all.collapsed = all.transposed = true;
  h.tables.push_back(std::move(all));
  HtmlReport::Table lk{"Per layer: key statistics", "4 significant digits (hover for the full value) from layers.csv",
                       select_columns(layers, layer_key_columns())};
  lk.collapsed = layers.rows.size() > 30;
  h.tables.push_back(std::move(lk));
  h.plots = make_plots(summary, layers);
  h.config_yaml = cfg.effective_yaml;
  h.files = {"summary.csv", "layers.csv", "results.json", "effective_config.yaml", kResultManifest};
  return render_report(h);
}

}  // namespace

StatGroup design_stats(const RunConfig& cfg, const DesignOutcome& d) {
  StatGroup dg(d.design.name, "PE design " + d.design.name);
  StatGroup& conf = dg.child("config", "the design's configuration");
  add_design_keys(conf, d.design);
  // Not a CSV column (the tables keep their columns); in results.json only.
  conf.add_text("weight_buffering", to_string(d.design.array.weight_buffering),
                "single | double (shadow weight / output registers, docs/hardware.md \"Weight buffering\")");
  StatGroup& lg = dg.child("layers", "per-layer results");
  for (const auto& l : d.layers) lg.adopt(layer_stats(d, l, cfg.scalesim_compatible));
  dg.adopt(design_totals(cfg, d));
  return dg;
}

void write_results(const RunOutcome& r) {
  const RunConfig& cfg = r.config;
  ensure_directory(cfg.output_dir);
  const std::string run_id = new_run_id();
  StatGroup root("run", "sparq-sim run of bundle " + r.bundle_name);
  root.add_text("run_id", run_id, "identifies this run's result set (result_manifest.txt lists its files)");
  root.add_text("bundle", cfg.bundle, "trace bundle directory");
  root.add_text("config", cfg.config_file, "configuration file");
  double wall = 0;
  for (const auto& d : r.designs)
    for (const auto& l : d.layers) wall += l.wall_seconds;
  root.add("simulation_wall_time", wall, "s",
           "host time spent simulating the arrays (not in the CSVs: not deterministic)");
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  root.add("peak_rss", static_cast<double>(ru.ru_maxrss) / 1024.0, "MiB", "peak resident memory of the process so far");
  CsvTable layers_csv, summary_csv;
  for (const auto& d : r.designs) {
    const StatGroup& dg = root.child("designs", "one group per PE design").adopt(design_stats(cfg, d));
    for (const auto& ls : dg.children()[1].children())
      csv_append(layers_csv, {{"design", d.design.name}, {"layer", ls.name()}}, ls);
    // One summary row per design: its configuration keys, then its totals.
    StatGroup row("summary");
    add_design_keys(row, d.design);
    const StatGroup& tot = dg.children()[2];
    for (const auto& c : tot.children()) row.adopt(c);
    for (const auto& st : tot.stats()) row.add(st);
    csv_append(summary_csv, {}, row);
  }
  std::ostringstream js;
  root.write_json(js);
  js << "\n";
  // One set: staged, then renamed in, the manifest last (atomic_file.h).
  write_result_set(cfg.output_dir, run_id,
                   {{"effective_config.yaml", "# run_id: " + run_id + "\n" + cfg.effective_yaml},
                    {"results.json", js.str()},
                    {"layers.csv", layers_csv.to_string()},
                    {"summary.csv", summary_csv.to_string()},
                    {"report.html", run_report(r, run_id, summary_csv, layers_csv)}});
}

}  // namespace sparq
