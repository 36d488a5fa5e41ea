#include "cli.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "atomic_file.h"
#include "bundle.h"
#include "config.h"
#include "errors.h"
#include "run_budget.h"
#include "trace_stats.h"

namespace po = boost::program_options;

namespace sparq {

// Commands implemented in other files of the CLI.
int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_area(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_sweep(const std::vector<std::string>& args, const std::string& self, std::ostream& out, std::ostream& err);
int cmd_merge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_infer(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

std::vector<std::string> split_list(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& s : in) {
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');) {
      const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    }
  }
  return out;
}

po::variables_map parse_command(const std::vector<std::string>& args, const po::options_description& visible,
                                std::vector<std::string>* positionals, int max_positionals) {
  po::options_description hidden;
  hidden.add_options()("positional", po::value(positionals)->multitoken());
  po::positional_options_description pos;
  pos.add("positional", max_positionals);
  po::options_description all;
  all.add(visible).add(hidden);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  return vm;
}

namespace {

const char* kUsage =
    "sparq-sim: cycle-accurate SystemC simulator of a systolic array of SPARQ processing elements\n"
    "\n"
    "usage: sparq-sim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run CONFIG      simulate a trace bundle under one or more PE designs (table, JSON, CSV)\n"
    "  infer CONFIG    run a whole network bundle over its images under each PE design (accuracy, cost)\n"
    "  sweep SWEEP     simulate the cartesian product of a sweep file's axes, one process per point\n"
    "  merge DIR...    combine sweep shards (--shard i/N) into one result set\n"
    "  area [CONFIG]   area and energy-per-event breakdown of PE designs and arrays, without a trace\n"
    "  stats BUNDLE    per-layer statistics of a trace bundle (zeros, pair cases, leading ones, MACs)\n"
    "\n"
    "`sparq-sim <command> --help` describes each. Exit codes: 0 success, 2 bad input, 1 internal error.\n";

int cmd_stats(const std::vector<std::string>& args, std::ostream& out, std::ostream& /*err*/) {
  po::options_description opts("sparq-sim stats BUNDLE [options]");
  std::string bundle, json;
  std::vector<std::string> layers;
  opts.add_options()("help,h", "this help")("layers,l", po::value(&layers)->multitoken(),
                                            "layer names (comma-separated or repeated); default: all")(
      "json", po::value(&json), "also write the statistics as JSON to this file")(
      "no-verify", "skip sha256 verification of the arrays")(
      "max-memory", po::value<std::string>()->default_value("8GiB"),
      "refuse a layer whose arrays and lowered GEMM would need more memory than this");
  std::vector<std::string> pos;
  const po::variables_map vm = parse_command(args, opts, &pos, 1);
  if (!pos.empty()) bundle = pos.front();
  if (vm.count("help")) {
    out << opts
        << "\nPrints, per layer: shape, MACs, zero fraction, pair cases over adjacent input channels\n"
           "(as docs/traces.md §6 measures them) and over the lowered GEMM (what the PEs see), and the\n"
           "leading-one position histogram.\n";
    return 0;
  }
  if (bundle.empty()) throw InputError("stats: a trace bundle directory is required (sparq-sim stats BUNDLE)");
  std::uint64_t max_memory = 0;
  try {
    max_memory = parse_size(vm["max-memory"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("--max-memory: ") + e.what());
  }
  const BundleManifest m = read_manifest(bundle);
  std::vector<const LayerInfo*> sel;
  const auto names = split_list(layers);
  if (names.empty())
    for (const auto& l : m.layers) sel.push_back(&l);
  else
    for (const auto& n : names) sel.push_back(&m.layer(n));
  StatGroup root(m.name, "trace statistics of bundle " + m.manifest_path);
  out << "bundle " << m.name << " (" << m.model_name << (m.pretrained ? ", pretrained" : ", NOT pretrained")
      << ", image " << (m.image_path.empty() ? "-" : m.image_path) << ")\n";
  out << "pair shares are over adjacent input channels (c, c+1), c even; gemm any0 = PE-visible pairs with a zero\n";
  out << std::left << std::setw(20) << "layer" << std::setw(34) << "geometry" << std::right << std::setw(12) << "MACs"
      << std::setw(7) << "zeros" << std::setw(7) << "2nz" << std::setw(7) << "1z" << std::setw(7) << "2z"
      << std::setw(8) << "gemm0"
      << "   msb histogram (zero,b0..b7) %\n";
  for (const LayerInfo* L : sel) {
    LayerBudget lb;
    lb.name = L->name;
    lb.geo = L->geo;
    lb.pixels = static_cast<std::int64_t>(L->geo.H_out()) * L->geo.W_out();
    lb.has_float = L->float_output.has_value();
    const MemoryEstimate mem = estimate_run_memory({lb}, {}, false);
    if (mem.bytes > max_memory)
      throw InputError(m.manifest_path + ": layer '" + L->name + "' would need about " + format_bytes(mem.bytes) +
                       " of memory, more than --max-memory " + format_bytes(max_memory));
    const LayerTrace t = load_layer(m, *L, !vm.count("no-verify"));
    const TraceLayerStats s = compute_trace_stats(t);
    root.adopt(trace_stats_group(t, s));
    auto frac = [](std::uint64_t a, std::uint64_t b) {
      return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
    };
    char line[256];
    std::snprintf(line, sizeof line, "%-20s%-34s%12lld%7.3f%7.3f%7.3f%7.3f%8.3f   ", L->name.c_str(),
                  (L->geo.describe() + (L->activation_signed ? " s" : "")).c_str(), static_cast<long long>(s.macs),
                  frac(s.zeros, s.elements), frac(s.tensor_pair_cases[0], s.tensor_pairs),
                  frac(s.tensor_pair_cases[1], s.tensor_pairs), frac(s.tensor_pair_cases[2], s.tensor_pairs),
                  frac(s.gemm_pair_cases[1] + s.gemm_pair_cases[2], s.gemm_pairs));
    out << line;
    for (std::size_t i = 0; i < s.leading_one.size(); ++i)
      out << (i ? " " : "") << std::fixed << std::setprecision(0) << 100.0 * frac(s.leading_one[i], s.elements);
    out << std::defaultfloat << "\n";
  }
  out << "(s = signed activations: outside SPARQ's unsigned scope, simulated under int8 only)\n";
  if (!json.empty()) {
    std::ostringstream js;
    root.write_json(js);
    js << "\n";
    write_file_atomic(json, js.str());
  }
  return 0;
}

}  // namespace

int cli_main(int argc, char** argv, std::ostream& out, std::ostream& err) {
  try {
    if (argc < 2) {
      err << kUsage;
      return 2;
    }
    const std::string cmd = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      out << kUsage;
      return 0;
    }
    if (cmd == "stats") return cmd_stats(args, out, err);
    if (cmd == "run") return cmd_run(args, out, err);
    if (cmd == "infer") return cmd_infer(args, out, err);
    if (cmd == "area") return cmd_area(args, out, err);
    if (cmd == "sweep") return cmd_sweep(args, argv[0], out, err);
    if (cmd == "merge") return cmd_merge(args, out, err);
    err << "error: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const InputError& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    err << "error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the user gave that the file system refuses (a symlink loop, a
    // name too long, a file where a directory is needed): bad input, named.
    err << "error: " << (e.path1().empty() ? std::string() : e.path1().string() + ": ") << e.code().message() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sparq
