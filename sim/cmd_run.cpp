// The `run` and `area` commands.
#include <sys/resource.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "atomic_file.h"
#include "cli.h"
#include "cost_library.h"
#include "cost_report.h"
#include "errors.h"
#include "runner.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace sparq {

namespace {

std::string cell(double v, int prec) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

std::string sqnr_cell(const ErrorMetrics& e) {
  return e.exact ? "exact" : cell(e.sqnr_db, 1);
}

void print_rows(std::ostream& out, const std::vector<std::pair<const DesignOutcome*, const LayerOutcome*>>& rows) {
  char line[400];
  std::snprintf(line, sizeof line, "  %-20s %11s %8s %6s %6s %9s %9s %8s %7s %8s %9s\n", "design", "cycles", "MAC/cyc",
                "PE ut", "mult", "SQNR i8", "relL2 fl", "i8 fl", "area", "energy", "GMAC/s");
  out << line;
  std::snprintf(line, sizeof line, "  %-20s %11s %8s %6s %6s %9s %9s %8s %7s %8s %9s\n", "", "[cycle]", "[MAC/cy]",
                "[%]", "[%]", "[dB]", "[1]", "[1]", "[x i8]", "[pJ/MAC]", "[/mm^2]");
  out << line;
  for (const auto& [d, lp] : rows) {
    const LayerOutcome& l = *lp;
    if (l.skipped) {
      std::snprintf(line, sizeof line, "  %-20s %s\n", d->design.name.c_str(), ("skipped: " + l.skip_reason).c_str());
      out << line;
      continue;
    }
    const auto& a = l.array;
    const double mpc = a.macs_per_cycle();
    const std::string name = d->design.name + (l.int8_fallback ? " @int8" : "");
    std::snprintf(line, sizeof line, "  %-20s %11llu %8.1f %6.1f %6.1f %9s %9s %8s %7.3f %8.4f %9.1f\n", name.c_str(),
                  static_cast<unsigned long long>(a.cycles), mpc, 100 * a.pe_utilization(),
                  100 * a.mult_slot_utilization(), sqnr_cell(l.vs_int8).c_str(),
                  l.has_float ? cell(l.vs_float.rel_l2, 4).c_str() : "-",
                  l.has_float ? cell(l.int8_vs_float.rel_l2, 4).c_str() : "-", d->cost.array_area_ratio,
                  a.macs ? l.energy.total_pj / static_cast<double>(a.macs) : 0.0,
                  gmacs_per_s_per_mm2(mpc, d->design.clock_mhz, d->cost.array_area_um2));
    out << line;
  }
}

// The memory system's view of the same rows (memory.enabled).
void print_memory_rows(std::ostream& out,
                       const std::vector<std::pair<const DesignOutcome*, const LayerOutcome*>>& rows) {
  char line[400];
  std::snprintf(line, sizeof line, "  %-20s %11s %11s %7s %7s %7s %9s %7s %8s %8s %7s\n", "memory", "compute", "stall",
                "ifmap", "filter", "ofmap", "DRAM", "/uniq", "need BW", "SRAM rd", "row bus");
  out << line;
  std::snprintf(line, sizeof line, "  %-20s %11s %11s %7s %7s %7s %9s %7s %8s %8s %7s\n", "", "[cycle]", "[cycle]",
                "[%]", "[%]", "[%]", "[MB]", "[x]", "[B/cyc]", "[B/cyc]", "[bit]");
  out << line;
  for (const auto& [d, lp] : rows) {
    const LayerOutcome& l = *lp;
    if (l.skipped) continue;
    const auto& a = l.array;
    const double all = a.cycles ? static_cast<double>(a.cycles) : 1.0;
    const double dram = static_cast<double>(a.dram_bytes());
    const double uniq = static_cast<double>(a.unique_bytes());
    const std::uint64_t compute = a.cycles - a.stall;
    std::snprintf(line, sizeof line, "  %-20s %11llu %11llu %7.1f %7.1f %7.1f %9.3f %7.2f %8.2f %8llu %7llu\n",
                  d->design.name.c_str(), static_cast<unsigned long long>(compute),
                  static_cast<unsigned long long>(a.stall), 100.0 * static_cast<double>(a.stall_ifmap) / all,
                  100.0 * static_cast<double>(a.stall_filter) / all, 100.0 * static_cast<double>(a.stall_ofmap) / all,
                  dram / 1e6, uniq > 0 ? dram / uniq : 0.0, compute ? dram / static_cast<double>(compute) : 0.0,
                  static_cast<unsigned long long>(a.ifmap_bytes_per_cycle),
                  static_cast<unsigned long long>(a.row_bus_bits));
    out << line;
  }
}

void print_design_rows(std::ostream& out, bool memory,
                       const std::vector<std::pair<const DesignOutcome*, const LayerOutcome*>>& rows) {
  print_rows(out, rows);
  if (memory) print_memory_rows(out, rows);
}

}  // namespace

void print_table(const RunOutcome& r, std::ostream& out) {
  if (r.designs.empty()) return;
  const auto& first = r.designs.front();
  const auto& a = first.design.array;
  out << "\nbundle " << r.bundle_name << ": " << first.layers.size() << " layer(s) x " << r.designs.size()
      << " design(s); array " << a.rows << "x" << a.cols << " " << hw::to_string(a.dataflow)
      << (a.weight_buffering == WeightBuffering::Double ? " double-buffered" : "") << " at " << first.design.clock_mhz
      << " MHz, " << hw::to_string(a.fidelity) << " fidelity\n";
  const bool memory = first.design.memory.enabled;
  if (memory) {
    const MemoryConfig& m = first.design.memory;
    const auto kib = [](std::uint64_t b) { return b ? std::to_string(b / 1024) + " KiB" : std::string("unlimited"); };
    out << "memory: scratchpads ifmap " << kib(m.ifmap.bytes) << ", filter " << kib(m.filter.bytes) << ", ofmap "
        << kib(m.ofmap.bytes) << "; DRAM "
        << (m.dram.bytes_per_cycle > 0 ? cell(m.dram.bytes_per_cycle, 2) + " B/cycle" : std::string("unlimited"))
        << ", latency " << m.dram.latency << " cycles (stall shares of all cycles; /uniq: DRAM traffic over the\n"
        << "unique bytes; need BW: DRAM bytes per compute cycle; SRAM rd: ifmap bytes per cycle the array reads;\n"
        << "row bus: bits per cycle on the row buses)\n";
  }
  out << "SQNR i8: accumulators vs exact int8 (dB); relL2 fl: dequantized output vs the float model; i8 fl: the\n"
         "exact int8 baseline vs the float model; area: array area proxy relative to int8 (Nangate 45 nm cells);\n"
         "energy: activity-based proxy per useful MAC; GMAC/s per mm^2 of array. Every statistic, with units:\n  "
      << (fs::path(r.config.output_dir) / "results.json").string() << "\n";
  for (std::size_t li = 0; li < first.layers.size(); ++li) {
    const auto& L = first.layers[li];
    out << "\nlayer " << L.layer << "  " << L.op << " " << L.geometry << "  (" << L.pixels << " output pixels)"
        << (L.signed_activations ? "  signed activations: the pair designs run it at int8 (@int8), as the paper" : "")
        << "\n";
    std::vector<std::pair<const DesignOutcome*, const LayerOutcome*>> rows;
    for (const auto& d : r.designs) rows.emplace_back(&d, &d.layers[li]);
    print_design_rows(out, memory, rows);
  }
  if (first.layers.size() < 2) return;
  std::vector<LayerOutcome> totals;
  int in_total = 0, excluded = 0;
  for (const auto& d : r.designs) totals.push_back(design_total(d, &in_total, &excluded));
  out << "\ntotal over " << in_total << " layers (cycles and energy summed, errors pooled over all outputs)";
  if (excluded) out << "; " << excluded << " signed-activation layer(s) (run at int8) left out of every design's total";
  out << "\n";
  std::vector<std::pair<const DesignOutcome*, const LayerOutcome*>> rows;
  for (std::size_t i = 0; i < r.designs.size(); ++i) rows.emplace_back(&r.designs[i], &totals[i]);
  print_design_rows(out, memory, rows);
}

int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description opts("sparq-sim run CONFIG.yaml [MORE.yaml ...] [options]");
  std::vector<std::string> configs;
  std::string out_dir, dump, layers, fidelity, vcd;
  std::vector<std::string> sets;
  opts.add_options()("help,h", "this help, and every configuration key")(
      "set,s", po::value(&sets)->composing(), "override a configuration key: --set array.rows=32 (repeatable)")(
      "out,o", po::value(&out_dir), "output directory (output.dir)")(
      "dump-outputs", po::value(&dump), "write each layer's integer accumulators as .npy [H_out, W_out, C_out] here")(
      "layers,l", po::value(&layers), "comma-separated layer names (trace.layers)")(
      "fidelity", po::value(&fidelity), "fast | structural (simulation.fidelity)")(
      "vcd", po::value(&vcd),
      "write a waveform to this VCD file (implies structural fidelity; PEs and cycle window: output.vcd)")(
      "check", "also run the reference engine and require bit-exact equal outputs")("quiet,q", "no table on stdout");
  const po::variables_map vm = parse_command(args, opts, &configs, -1);
  if (vm.count("help")) {
    out << opts
        << "\nSeveral config files merge in order (later keys win), e.g.\n"
           "  sparq-sim run configs/default.yaml configs/pe/vsparq-3opt.yaml configs/array/32x32-os.yaml\n\n"
        << config_reference();
    return 0;
  }
  if (configs.empty()) throw InputError("run: a configuration file is required (sparq-sim run CONFIG.yaml)");
  if (!out_dir.empty()) sets.push_back("output.dir=" + yaml_quote(out_dir));
  if (!dump.empty()) sets.push_back("output.dump_outputs=" + yaml_quote(dump));
  if (!layers.empty()) {
    std::string list;
    for (const auto& l : split_list({layers})) list += (list.empty() ? "" : ", ") + yaml_quote(l);
    sets.push_back("trace.layers=[" + list + "]");
  }
  if (!fidelity.empty()) sets.push_back("simulation.fidelity=" + yaml_quote(fidelity));
  if (!vcd.empty()) {
    sets.push_back("output.vcd.path=" + yaml_quote(vcd));
    sets.push_back("simulation.fidelity=structural");
  }
  if (vm.count("quiet")) sets.push_back("output.quiet=true");
  const RunConfig cfg = load_run_config(configs, sets);
  ensure_directory(cfg.output_dir);  // fail before simulating if it cannot be written
  RunOptions opt;
  opt.check_reference = vm.count("check") > 0;
  const RunOutcome r = run_simulation(cfg, opt, cfg.quiet ? std::cerr : err);
  // The waveform writer reports a failed write; a file that reached the
  // size limit (ulimit -f) exactly is truncated as well, so say so.
  struct rlimit fl {};
  if (!r.vcd_files.empty() && ::getrlimit(RLIMIT_FSIZE, &fl) == 0 && fl.rlim_cur != RLIM_INFINITY)
    for (const auto& f : r.vcd_files) {
      std::error_code ec;
      const auto size = fs::file_size(f, ec);
      if (!ec && size >= fl.rlim_cur)
        throw InputError(f + ": waveform truncated at the file-size limit (ulimit -f, " + std::to_string(fl.rlim_cur) +
                         " bytes); narrow output.vcd's pes or cycle window, or raise the limit");
    }
  write_results(r);
  if (!cfg.quiet) print_table(r, out);
  // Quiet or not, one line says where the results went.
  out << "results: " << (fs::path(cfg.output_dir) / "results.json").string() << " (summary.csv, layers.csv, "
      << "effective_config.yaml, report.html alongside)\n";
  if (!r.vcd_files.empty()) {
    err << "waveforms (" << r.vcd_files.size() << (r.vcd_files.size() == 1 ? " file, " : " files, ")
        << "group 0 of each layer):\n";
    for (const auto& f : r.vcd_files) err << "  " << f << "\n";
  }
  return 0;
}

int cmd_area(const std::vector<std::string>& args, std::ostream& out, std::ostream& /*err*/) {
  po::options_description opts("sparq-sim area [CONFIG.yaml ...] [options]");
  std::vector<std::string> configs, sets;
  opts.add_options()("help,h", "this help")("set,s", po::value(&sets)->composing(),
                                            "override a configuration key (repeatable)")(
      "detail,d", "print every component of every design (cells, area, basis)");
  const po::variables_map vm = parse_command(args, opts, &configs, -1);
  if (vm.count("help")) {
    out << opts
        << "\nArea proxy of each configured design (or, without a config, of every PE preset on a 16x16\n"
           "ws array): per-PE and array area, ratios to int8, per-component breakdown. No trace is run.\n"
           "Model and sources: docs/cost_model.md; cell table: configs/cost/nangate45.yaml.\n";
    return 0;
  }
  if (configs.empty() && std::find_if(sets.begin(), sets.end(),
                                      [](const std::string& s) { return s.rfind("compare", 0) == 0; }) == sets.end())
    sets.insert(sets.begin(),
                "compare=[{design: int8}, {design: int4}, {design: bsparq, shift_set: 5opt}, "
                "{design: bsparq, shift_set: 3opt}, {design: bsparq, shift_set: 2opt}, "
                "{design: vsparq, shift_set: 5opt}, {design: vsparq, shift_set: 3opt}, "
                "{design: vsparq, shift_set: 2opt}, {design: vsparq, budget: 3}, "
                "{design: vsparq, budget: 2}]");
  const RunConfig cfg = load_run_config(configs, sets, /*require_trace=*/false);
  const CellLibrary lib = load_cell_library(cfg.cost_library);
  out << "Area proxy (" << lib.name << "; " << cfg.cost_library << ")\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-24s %10s %9s %11s %9s %12s %9s %12s\n", "design", "PE", "PE/int8", "PE+edge/C",
                "x int8", "array", "x int8", "area/peakMAC");
  out << line;
  std::snprintf(line, sizeof line, "  %-24s %10s %9s %11s %9s %12s %9s %12s\n", "", "[um^2]", "[x]", "[um^2]", "[x]",
                "[mm^2]", "[x]", "[x int8]");
  out << line;
  std::vector<ArrayCost> costs;
  for (const auto& d : cfg.designs) {
    const ArrayCost c = design_cost(d, lib);
    std::snprintf(line, sizeof line, "  %-24s %10.1f %9.3f %11.1f %9.3f %12.4f %9.3f %12.3f\n", d.name.c_str(),
                  c.pe.area_um2, c.pe_area_ratio, c.pe_amortized_area_um2, c.pe_amortized_area_ratio,
                  c.array_area_um2 * 1e-6, c.array_area_ratio, c.area_per_peak_mac_ratio);
    out << line;
    costs.push_back(c);
  }
  out << "  (array " << cfg.designs.front().array.rows << "x" << cfg.designs.front().array.cols << " "
      << hw::to_string(cfg.designs.front().array.dataflow) << "; PE+edge/C = PE area plus its share of the row-edge "
      << "logic; area/peakMAC: pair designs do 2 MACs per PE cycle)\n";
  if (vm.count("detail"))
    for (const auto& c : costs) out << "\n" << c.describe();
  const auto& e = lib.energy;
  out << "\nEnergy per event [pJ] (" << lib.energy_source << "):\n"
      << "  partial-product cell toggle " << e.mult_pp_cell_toggle_pj << ", adder bit " << e.add_bit_pj
      << ", logic NAND2-eq op " << e.logic_nand2eq_op_pj << ", register bit clocked " << e.reg_bit_clock_pj
      << ", register bit toggle " << e.reg_bit_toggle_pj << ", scratchpad byte " << e.sram_byte_pj << ", DRAM byte "
      << e.dram_byte_pj << "\n";
  return 0;
}

}  // namespace sparq
