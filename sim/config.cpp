#include "config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "errors.h"
#include "safe_io.h"
#include "yaml_util.h"

namespace fs = std::filesystem;

#ifndef SPARQ_DATA_DIR
#define SPARQ_DATA_DIR "."
#endif

namespace sparq {

namespace {

// The schema: section -> key -> (default as YAML text, help).
struct KeyDef {
  std::string key;
  std::string def;  // default, as YAML; "~" = no default (optional)
  std::string help;
};
struct SectionDef {
  std::string name;
  std::vector<KeyDef> keys;
};

// The `pe` section: the keys every design has, then each registered design's
// own keys (PeDesign::keys; a design ignores the others' keys).
std::vector<KeyDef> pe_keys() {
  std::string designs;
  for (const PeDesign* d : pe_designs()) designs += (designs.empty() ? "" : " | ") + d->name();
  std::vector<KeyDef> k = {
      {"design", "vsparq", designs},
      {"lod", "pe", "leading-one detection: pe (in every PE) | edge (once per row at the array edge)"},
      {"accumulator_bits", "32", "signed accumulator width in bits (16..64 for int8, 17..64 for pair designs)"}};
  for (const DesignKey& d : pe_design_keys()) k.push_back({d.key, d.def, d.help});
  return k;
}

const std::vector<SectionDef>& schema() {
  static const std::vector<SectionDef> s = {
      {"array",
       {{"rows", "16", "PE rows R (1..4096)"},
        {"cols", "16", "PE columns C (1..4096)"},
        {"dataflow", "ws", "ws (weight stationary) | os (output stationary)"},
        {"weight_buffering", "single",
         "single (each fold loads its weights (ws) / drains its outputs (os) before the next streams) | double "
         "(a shadow weight register (ws) / an output register (os) per PE: the next fold streams while they "
         "load / drain)"},
        {"clock_mhz", "1000", "clock frequency in MHz (> 0), for time and throughput"}}},
      {"pe", pe_keys()},
      {"simulation",
       {{"fidelity", "fast",
         "fast (fold by fold, cost follows the work) | stepped (every register every cycle, plain C++) | "
         "structural (SystemC modules)"},
        {"scalesim_compatible", "false", "also report SCALE-Sim v2 compute cycles"},
        {"max_memory", "8GiB",
         "refuse a run whose estimated memory exceeds this: bytes, or a number with KiB/MiB/GiB/TiB or KB/MB/GB/TB"}}},
      {"trace",
       {{"bundle", "~", "trace bundle directory (required)"},
        {"layers", "all", "all, or a list of layer names"},
        {"verify_sha256", "true", "check every array against the manifest's sha256"},
        {"max_pixels", "0", "0 = whole layer; N > 0 = only the first N output pixels of each layer (preview)"}}},
      {"output",
       {{"dir", "results", "output directory (created; results are written atomically)"},
        {"dump_outputs", "~", "directory for each layer's integer accumulators as .npy [H_out, W_out, C_out]"},
        {"vcd", "~",
         "waveform (structural fidelity): {path: f.vcd, pes: [[row, col], ...] (default: [[0, 0]]), first_cycle: N, "
         "last_cycle: N}; with several designs or layers: OUT/<design>.<layer>.vcd, group 0 of each layer"},
        {"quiet", "false", "no table on stdout"}}},
      {"cost", {{"library", "~", "cell-area / energy data file (default: configs/cost/nangate45.yaml)"}}},
      {"network",
       {{"bundle", "~", "network bundle directory (sparq-sim infer; traces/README.md, Network bundles)"},
        {"images", "0", "0 = every image of the bundle; N > 0 = the first N"},
        {"engine", "functional", "functional (bit-exact core, no timing) | array (simulation.fidelity's array model)"},
        {"first_layer", "int8", "the design of the convolution on the image pixels: int8 (as the paper) | design"},
        {"overrides", "~", "per-node designs: {NODE: int8 | design}; signed-input nodes always run int8"},
        {"cycles_image", "0", "image whose whole inference is timed on the array model"},
        {"jobs", "0", "threads over images (functional engine; 0 = one per core)"}}},
      {"memory",
       {{"enabled", "false", "model the scratchpads and DRAM (false: ideal memory, no stalls; docs/memory.md)"},
        {"ifmap_kib", "0", "ifmap scratchpad capacity in KiB (0 = unlimited)"},
        {"filter_kib", "0", "filter scratchpad capacity in KiB (0 = unlimited)"},
        {"ofmap_kib", "0", "ofmap scratchpad capacity in KiB (0 = unlimited)"},
        {"ifmap_word_bytes", "0", "ifmap read port width in bytes (0 = as wide as the array needs)"},
        {"filter_word_bytes", "0", "filter read port width in bytes (0 = as wide as the array needs)"},
        {"ofmap_word_bytes", "0", "ofmap write port width in bytes (0 = as wide as the array needs)"},
        {"ifmap_ports", "1", "ifmap read ports toward the array (1..64)"},
        {"filter_ports", "1", "filter read ports toward the array (1..64)"},
        {"ofmap_ports", "1", "ofmap write ports from the array (1..64)"},
        {"dram_bandwidth", "0", "DRAM bytes per array clock cycle, shared by the three scratchpads (0 = unlimited)"},
        {"dram_latency", "0", "DRAM cycles from a request's transfer to its completion"},
        {"dram_max_outstanding", "0", "DRAM requests in flight at once (0 = unlimited)"},
        {"dram_burst_bytes", "64", "DRAM request size in bytes"},
        {"chunk_steps", "16", "stream steps per transfer unit (the prefetch granularity)"},
        {"prefetch_folds", "1",
         "folds ahead the prefetcher may fetch: 1 = double buffering; 0 = as far as the scratchpads have room"},
        {"output_bytes", "1", "bytes per output written to the ofmap scratchpad (1 = requantized int8, 4 = int32)"}}},
      {"compare", {}},
  };
  return s;
}

const SectionDef* find_section(const std::string& name) {
  for (const auto& s : schema())
    if (name == s.name) return &s;
  return nullptr;
}

struct Source {
  std::vector<std::string> files;             // config files, in merge order
  std::map<std::string, std::string> origin;  // "section.key" or "section" -> file that set it
  std::set<std::string> overridden;           // key paths set on the command line
  std::string file_of(const std::string& key) const {
    for (std::string k = key;;) {
      auto it = origin.find(k);
      if (it != origin.end()) return it->second;
      const auto dot = k.rfind('.');
      if (dot == std::string::npos) break;
      k = k.substr(0, dot);
    }
    return files.empty() ? "<defaults>" : files.back();
  }
  std::string where(const std::string& key) const {
    for (const auto& o : overridden)
      if (key == o || key.rfind(o + ".", 0) == 0 || o.rfind(key + ".", 0) == 0) return "--set " + o;
    return file_of(key) + (key.empty() ? "" : ": " + key);
  }
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(where(key) + ": " + why);
  }
};

std::string known_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void apply_override(YAML::Node& root, const std::string& spec, std::set<std::string>& overridden) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("--set " + spec + ": expected key.path=value, e.g. --set array.rows=32");
  const std::string path = spec.substr(0, eq), text = spec.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError("--set " + path + ": value '" + text + "' is not valid YAML: " + e.what());
  }
  check_duplicate_keys(value, "--set " + path);
  // Every component non-empty: "a..b", ".a" and "a." are refused (a
  // trailing dot would otherwise vanish).
  std::vector<std::string> parts;
  for (std::size_t b = 0;;) {
    const auto dot = path.find('.', b);
    const std::string p = path.substr(b, dot == std::string::npos ? std::string::npos : dot - b);
    if (p.empty()) throw InputError("--set " + spec + ": empty key in path '" + path + "'");
    parts.push_back(p);
    if (dot == std::string::npos) break;
    b = dot + 1;
  }
  // Walk with fresh handles: yaml-cpp nodes are references, so assignment
  // through a copied handle would rebind it instead of writing into the tree.
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node cur = chain.back();
    const bool numeric = parts[i].find_first_not_of("0123456789") == std::string::npos;
    if (numeric && !cur.IsSequence())
      throw InputError("--set " + path + ": '" + parts[i] + "' is a list index, but " +
                       (i ? "'" + parts[i - 1] + "'" : std::string("the configuration")) + " is not a list");
    if (cur.IsSequence()) {
      std::size_t idx = 0;
      try {
        idx = std::stoul(parts[i]);
      } catch (...) {
        throw InputError("--set " + path + ": '" + parts[i] + "' must be a list index");
      }
      if (idx >= cur.size()) throw InputError("--set " + path + ": index " + parts[i] + " is out of range");
      chain.push_back(cur[idx]);
    } else {
      if (!cur[parts[i]] || !cur[parts[i]].IsDefined() || cur[parts[i]].IsNull())
        cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      chain.push_back(cur[parts[i]]);
    }
  }
  YAML::Node parent = chain.back();
  if (parent.IsSequence()) {
    std::size_t idx = 0;
    try {
      idx = std::stoul(parts.back());
    } catch (...) {
      throw InputError("--set " + path + ": '" + parts.back() + "' must be a list index");
    }
    if (idx >= parent.size()) throw InputError("--set " + path + ": index out of range");
    parent[idx] = value;
  } else if (parent.IsMap() || parent.IsNull()) {
    parent[parts.back()] = value;
  } else {
    throw InputError("--set " + path + ": '" + parts[parts.size() - 2] + "' is not a mapping");
  }
  overridden.insert(path);
}

// Typed access with defaults from the schema.
class Reader {
 public:
  Reader(const YAML::Node& root, const Source& src) : root_(root), src_(src) {}

  bool has(const std::string& sec, const std::string& key) const {
    const YAML::Node s = root_[sec];
    return s && s.IsMap() && s[key];
  }
  // The key's node, or its schema default.
  YAML::Node value(const std::string& sec, const std::string& key) const {
    if (has(sec, key)) return root_[sec][key];
    for (const auto& k : find_section(sec)->keys)
      if (key == k.key) return YAML::Load(k.def);
    return YAML::Node();
  }
  template <typename T>
  T get(const std::string& sec, const std::string& key, const char* expected) const {
    return convert<T>(value(sec, key), sec + "." + key, expected);
  }
  template <typename T>
  T convert(const YAML::Node& n, const std::string& path, const char* expected) const {
    if (!n.IsScalar()) src_.fail(path, std::string("must be ") + expected);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // "010" is octal 8 and "0x10" hex to yaml-cpp: refuse anything but plain decimal.
      const std::string& t = n.Scalar();
      const std::size_t d = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
      if (d < t.size() && t[d] >= '0' && t[d] <= '9' && !is_decimal_integer(t))
        src_.fail(path, std::string("must be ") + expected +
                            " written in decimal without leading zeros (YAML reads 010 as octal 8), got '" + t + "'");
      if (std::is_unsigned_v<T> && n.Scalar()[0] == '-')
        src_.fail(path, std::string("must be ") + expected + " (not negative), got '" + n.Scalar() + "'");
    }
    try {
      return n.as<T>();
    } catch (const YAML::Exception&) {
      src_.fail(path, std::string("must be ") + expected + ", got '" + n.Scalar() + "'");
    }
  }
  const Source& src() const { return src_; }

 private:
  const YAML::Node& root_;
  const Source& src_;
};

template <typename E>
E choose(const std::string& v, const std::string& key, const Source& src) {
  try {
    return parse_enum<E>(v);
  } catch (const std::invalid_argument& e) {
    src.fail(key, e.what());
  }
}

// A design's keys as DesignParams: the `compare` entry's value, else the
// base `pe` section's, else the key's default.
class YamlDesignParams : public DesignParams {
 public:
  YamlDesignParams(const Reader& r, const YAML::Node& entry, const std::string& prefix)
      : r_(r), entry_(entry), prefix_(prefix) {}
  bool has(const std::string& key) const override { return (entry_ && entry_[key]) || r_.has("pe", key); }
  bool is_list(const std::string& key) const override { return node(key).IsSequence(); }
  std::string text(const std::string& key) const override {
    return r_.convert<std::string>(node(key), path(key), "a string");
  }
  long integer(const std::string& key) const override { return r_.convert<long>(node(key), path(key), "an integer"); }
  std::vector<long> integers(const std::string& key) const override {
    std::vector<long> out;
    for (const auto& e : node(key)) out.push_back(r_.convert<long>(e, path(key), "a list of integers"));
    return out;
  }
  // The key path an error names.
  std::string path(const std::string& key) const { return entry_ && entry_[key] ? prefix_ + "." + key : "pe." + key; }

 private:
  YAML::Node node(const std::string& key) const {
    if (entry_ && entry_[key]) return entry_[key];
    return r_.value("pe", key);
  }
  const Reader& r_;
  const YAML::Node& entry_;
  std::string prefix_;
};

// The `memory` section.
MemoryConfig read_memory(const Reader& r) {
  MemoryConfig m;
  const Source& src = r.src();
  m.enabled = r.get<bool>("memory", "enabled", "true or false");
  const auto kib = [&](const char* key) {
    const auto v = r.get<std::uint64_t>("memory", key, "a whole number of KiB");
    if (v > (std::uint64_t{1} << 30)) src.fail(std::string("memory.") + key, "must be at most 1073741824 KiB");
    return v * 1024;
  };
  const auto integer = [&](const char* key) { return r.get<int>("memory", key, "an integer"); };
  m.ifmap.bytes = kib("ifmap_kib");
  m.filter.bytes = kib("filter_kib");
  m.ofmap.bytes = kib("ofmap_kib");
  m.ifmap.word_bytes = integer("ifmap_word_bytes");
  m.filter.word_bytes = integer("filter_word_bytes");
  m.ofmap.word_bytes = integer("ofmap_word_bytes");
  m.ifmap.read_ports = integer("ifmap_ports");
  m.filter.read_ports = integer("filter_ports");
  m.ofmap.write_ports = integer("ofmap_ports");
  m.dram.bytes_per_cycle = r.get<double>("memory", "dram_bandwidth", "a number");
  const auto lat = r.get<std::int64_t>("memory", "dram_latency", "an integer");
  if (lat < 0 || lat > 1000000) src.fail("memory.dram_latency", "must be in 0..1000000 cycles");
  m.dram.latency = static_cast<std::uint64_t>(lat);
  m.dram.max_outstanding = integer("dram_max_outstanding");
  m.dram.burst_bytes = integer("dram_burst_bytes");
  m.chunk_steps = integer("chunk_steps");
  m.prefetch_folds = integer("prefetch_folds");
  m.output_bytes = integer("output_bytes");
  try {
    m.validate();
  } catch (const SettingError& e) {
    src.fail("memory." + e.key(), e.what());
  }
  return m;
}

// Reads the PE keys from map `entry` (a `compare` entry), on top of the base
// `pe` section, through the chosen design (PeDesign::configure). prefix names
// the keys in errors.
DesignPoint build_design(const Reader& r, const YAML::Node& entry, const std::string& prefix) {
  const Source& src = r.src();
  const YamlDesignParams params(r, entry, prefix);
  DesignPoint d;
  hw::ArrayConfig& a = d.array;
  a.rows = r.get<int>("array", "rows", "an integer");
  a.cols = r.get<int>("array", "cols", "an integer");
  a.dataflow = choose<hw::Dataflow>(r.get<std::string>("array", "dataflow", "a string"), "array.dataflow", src);
  a.weight_buffering = choose<WeightBuffering>(r.get<std::string>("array", "weight_buffering", "a string"),
                                               "array.weight_buffering", src);
  d.clock_mhz = r.get<double>("array", "clock_mhz", "a number");
  if (!(d.clock_mhz > 0) || !std::isfinite(d.clock_mhz)) src.fail("array.clock_mhz", "must be a positive number");
  a.fidelity =
      choose<hw::Fidelity>(r.get<std::string>("simulation", "fidelity", "a string"), "simulation.fidelity", src);
  a.lod = choose<LodPlacement>(params.text("lod"), params.path("lod"), src);
  d.memory = read_memory(r);
  a.acc_bits = static_cast<int>(params.integer("accumulator_bits"));

  const PeDesign* design = nullptr;
  try {
    design = &find_pe_design(params.text("design"));
  } catch (const std::invalid_argument& e) {
    src.fail(params.path("design"), e.what());
  }
  try {
    a.pe = design->configure(params);
    a.validate();
  } catch (const SettingError& e) {
    const std::string& k = e.key();
    src.fail(k == "rows" || k == "cols" ? "array." + k : params.path(k), e.what());
  } catch (const std::invalid_argument& e) {
    src.fail(params.path("design"), e.what());
  }
  // The narrowest accumulator that holds one addend: an 8x8 product (16 bits)
  // or a pair sum (17 bits); narrower ones wrap on every addition.
  const int min_acc = design->min_acc_bits();
  if (a.acc_bits < min_acc)
    src.fail(params.path("accumulator_bits"), "must be at least " + std::to_string(min_acc) + " for " + design->name() +
                                                  " (one " +
                                                  (design->consumes_pairs() ? "pair of products" : "8x8 product") +
                                                  " must fit), got " + std::to_string(a.acc_bits));
  d.shift_set_label = a.pe.shift_label;
  d.name = a.pe.label();
  if (a.lod == LodPlacement::Edge && design->consumes_pairs()) d.name += "-edge";
  if (entry && entry["name"]) d.name = r.convert<std::string>(entry["name"], prefix + ".name", "a string");
  if (const std::string why = output_name_problem(d.name); !why.empty())
    src.fail(entry && entry["name"] ? prefix + ".name" : params.path("design"), "design name '" + d.name + "' " + why);
  return d;
}

void check_structure(const YAML::Node& root, const Source& src) {
  if (!root.IsMap()) src.fail("", "the configuration must be a YAML mapping");
  for (const auto& kv : root) {
    const std::string sec = kv.first.as<std::string>();
    const SectionDef* def = find_section(sec);
    if (!def) {
      std::vector<std::string> names;
      for (const auto& s : schema()) names.push_back(s.name);
      src.fail(sec, "is not a known section (known: " + known_list(names) + ")");
    }
    if (sec == "compare") {
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        src.fail("compare", "must be a non-empty list of PE designs");
      const auto& pe = find_section("pe")->keys;
      for (std::size_t i = 0; i < kv.second.size(); ++i) {
        const YAML::Node e = kv.second[i];
        const std::string p = "compare." + std::to_string(i);
        if (!e.IsMap()) src.fail(p, "must be a mapping of pe keys");
        for (const auto& ek : e) {
          const std::string k = ek.first.as<std::string>();
          bool ok = k == "name";
          for (const auto& kd : pe) ok |= (k == kd.key);
          if (!ok) {
            std::vector<std::string> names{"name"};
            for (const auto& kd : pe) names.push_back(kd.key);
            src.fail(p + "." + k, "is not a known key (known: " + known_list(names) + ")");
          }
        }
      }
      continue;
    }
    if (!kv.second.IsMap()) src.fail(sec, "must be a mapping");
    for (const auto& ek : kv.second) {
      const std::string k = ek.first.as<std::string>();
      bool ok = false;
      for (const auto& kd : def->keys) ok |= (k == kd.key);
      if (!ok) {
        std::vector<std::string> names;
        for (const auto& kd : def->keys) names.push_back(kd.key);
        src.fail(sec + "." + k, "is not a known key (known: " + known_list(names) + ")");
      }
    }
  }
}

std::string absolute(const std::string& p) {
  return p.empty() ? p : fs::absolute(p).lexically_normal().string();
}

// The network section (sparq-sim infer).
void read_network(const Reader& r, const Source& src, NetworkOptions& n) {
  if (r.has("network", "bundle")) n.bundle = r.get<std::string>("network", "bundle", "a path");
  n.images = r.get<std::int64_t>("network", "images", "an integer");
  if (n.images < 0) src.fail("network.images", "must be >= 0");
  n.engine = r.get<std::string>("network", "engine", "functional or array");
  if (n.engine != "functional" && n.engine != "array") src.fail("network.engine", "must be functional or array");
  n.first_layer = r.get<std::string>("network", "first_layer", "int8 or design");
  if (n.first_layer != "int8" && n.first_layer != "design") src.fail("network.first_layer", "must be int8 or design");
  n.cycles_image = r.get<std::int64_t>("network", "cycles_image", "an integer");
  if (n.cycles_image < 0) src.fail("network.cycles_image", "must be >= 0");
  n.jobs = r.get<int>("network", "jobs", "an integer");
  if (n.jobs < 0 || n.jobs > 256) src.fail("network.jobs", "must be in 0..256");
  const YAML::Node ov = r.value("network", "overrides");
  if (ov && !ov.IsNull()) {
    if (!ov.IsMap()) src.fail("network.overrides", "must be a mapping {NODE: int8 | design}");
    for (const auto& kv : ov) {
      const std::string node = kv.first.as<std::string>();
      const std::string v = r.convert<std::string>(kv.second, "network.overrides." + node, "int8 or design");
      if (v != "int8" && v != "design") src.fail("network.overrides." + node, "must be int8 or design");
      n.overrides.emplace_back(node, v);
    }
  }
}

void emit_network(YAML::Emitter& e, const NetworkOptions& n, const std::string& bundle) {
  e << YAML::Key << "network" << YAML::Value << YAML::BeginMap << YAML::Key << "bundle" << YAML::Value << bundle
    << YAML::Key << "images" << YAML::Value << n.images << YAML::Key << "engine" << YAML::Value << n.engine << YAML::Key
    << "first_layer" << YAML::Value << n.first_layer << YAML::Key << "cycles_image" << YAML::Value << n.cycles_image
    << YAML::Key << "jobs" << YAML::Value << n.jobs;
  if (!n.overrides.empty()) {
    e << YAML::Key << "overrides" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : n.overrides) e << YAML::Key << k << YAML::Value << v;
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
}

// The effective configuration in the input schema, every default filled in
// and every path absolute, so that `sparq-sim run effective_config.yaml`
// reproduces the run.
std::string emit_effective(const RunConfig& c) {
  const auto& a0 = c.designs.front();
  YAML::Emitter e;
  e << YAML::Comment("effective configuration of a sparq-sim run (from " +
                     (c.config_file.empty() ? std::string("defaults") : c.config_file) +
                     "); run it again with: sparq-sim " + (c.network.bundle.empty() ? "run" : "infer") +
                     " effective_config.yaml");
  e << YAML::BeginMap;
  e << YAML::Key << "array" << YAML::Value << YAML::BeginMap << YAML::Key << "rows" << YAML::Value << a0.array.rows
    << YAML::Key << "cols" << YAML::Value << a0.array.cols << YAML::Key << "dataflow" << YAML::Value
    << hw::to_string(a0.array.dataflow) << YAML::Key << "weight_buffering" << YAML::Value
    << to_string(a0.array.weight_buffering) << YAML::Key << "clock_mhz" << YAML::Value << a0.clock_mhz << YAML::EndMap;
  e << YAML::Key << "simulation" << YAML::Value << YAML::BeginMap << YAML::Key << "fidelity" << YAML::Value
    << hw::to_string(a0.array.fidelity) << YAML::Key << "scalesim_compatible" << YAML::Value << c.scalesim_compatible
    << YAML::Key << "max_memory" << YAML::Value << c.max_memory << YAML::EndMap;
  e << YAML::Key << "trace" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "bundle" << YAML::Value << absolute(c.bundle);
  e << YAML::Key << "layers" << YAML::Value;
  if (c.layers.empty())
    e << "all";
  else
    e << YAML::Flow << c.layers;
  e << YAML::Key << "verify_sha256" << YAML::Value << c.verify_sha256;
  e << YAML::Key << "max_pixels" << YAML::Value << c.max_pixels << YAML::EndMap;
  e << YAML::Key << "output" << YAML::Value << YAML::BeginMap << YAML::Key << "dir" << YAML::Value
    << absolute(c.output_dir);
  if (!c.dump_outputs_dir.empty()) e << YAML::Key << "dump_outputs" << YAML::Value << absolute(c.dump_outputs_dir);
  e << YAML::Key << "quiet" << YAML::Value << c.quiet;
  if (!c.vcd.path.empty()) {
    e << YAML::Key << "vcd" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
      << absolute(c.vcd.path) << YAML::Key << "pes" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& [r, col] : c.vcd.pes) e << YAML::Flow << YAML::BeginSeq << r << col << YAML::EndSeq;
    e << YAML::EndSeq << YAML::Key << "first_cycle" << YAML::Value << c.vcd.first_cycle;
    if (c.vcd.last_cycle != UINT64_MAX) e << YAML::Key << "last_cycle" << YAML::Value << c.vcd.last_cycle;
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "cost" << YAML::Value << YAML::BeginMap << YAML::Key << "library" << YAML::Value
    << absolute(c.cost_library) << YAML::EndMap;
  if (!c.network.bundle.empty()) emit_network(e, c.network, absolute(c.network.bundle));
  const MemoryConfig& m = a0.memory;
  e << YAML::Key << "memory" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << m.enabled;
  e << YAML::Key << "ifmap_kib" << YAML::Value << m.ifmap.bytes / 1024 << YAML::Key << "filter_kib" << YAML::Value
    << m.filter.bytes / 1024 << YAML::Key << "ofmap_kib" << YAML::Value << m.ofmap.bytes / 1024;
  e << YAML::Key << "ifmap_word_bytes" << YAML::Value << m.ifmap.word_bytes << YAML::Key << "filter_word_bytes"
    << YAML::Value << m.filter.word_bytes << YAML::Key << "ofmap_word_bytes" << YAML::Value << m.ofmap.word_bytes;
  e << YAML::Key << "ifmap_ports" << YAML::Value << m.ifmap.read_ports << YAML::Key << "filter_ports" << YAML::Value
    << m.filter.read_ports << YAML::Key << "ofmap_ports" << YAML::Value << m.ofmap.write_ports;
  e << YAML::Key << "dram_bandwidth" << YAML::Value << m.dram.bytes_per_cycle << YAML::Key << "dram_latency"
    << YAML::Value << m.dram.latency << YAML::Key << "dram_max_outstanding" << YAML::Value << m.dram.max_outstanding
    << YAML::Key << "dram_burst_bytes" << YAML::Value << m.dram.burst_bytes;
  e << YAML::Key << "chunk_steps" << YAML::Value << m.chunk_steps << YAML::Key << "prefetch_folds" << YAML::Value
    << m.prefetch_folds << YAML::Key << "output_bytes" << YAML::Value << m.output_bytes << YAML::EndMap;
  e << YAML::Key << "compare" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : c.designs) {
    const auto& p = d.array.pe;
    std::string note =
        "shifts {" + shift_set_string(p.window.shift_mask) + "}, " + std::to_string(p.window.n) + "-bit window";
    if (p.design->detects_zeros())
      note += "; partner of a zero: " + std::to_string(p.partner.n) + "-bit window, shifts {" +
              shift_set_string(p.partner.shift_mask) + "}";
    e << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << d.name;
    e << YAML::Key << "design" << YAML::Value << p.design->name();
    for (const auto& [key, text] : p.design->params(p)) e << YAML::Key << key << YAML::Value << YAML::Load(text);
    e << YAML::Key << "lod" << YAML::Value << to_string(d.array.lod);
    e << YAML::Key << "accumulator_bits" << YAML::Value << d.array.acc_bits;
    e << YAML::EndMap;
    if (consumes_pairs(p.design)) e << YAML::Comment(note);
  }
  e << YAML::EndSeq << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace

namespace {

// Deep merge: maps merge key by key, anything else replaces.
void merge_into(YAML::Node dst, const YAML::Node& src) {
  for (const auto& kv : src) {
    const std::string k = kv.first.as<std::string>();
    if (kv.second.IsMap() && dst[k] && dst[k].IsMap())
      merge_into(dst[k], kv.second);
    else
      dst[k] = YAML::Clone(kv.second);
  }
}

// Input paths in a file are relative to that file's directory.
void resolve_paths(YAML::Node root, const std::string& file) {
  const fs::path dir = fs::path(file).parent_path();
  for (const auto& [sec, key] :
       {std::pair<const char*, const char*>{"trace", "bundle"}, {"cost", "library"}, {"network", "bundle"}}) {
    YAML::Node s = root[sec];
    if (!s || !s.IsMap() || !s[key] || !s[key].IsScalar()) continue;
    const std::string v = s[key].as<std::string>();
    if (!v.empty() && fs::path(v).is_relative()) s[key] = (dir / v).lexically_normal().string();
  }
}

}  // namespace

namespace {
RunConfig load_run_config_impl(const std::vector<ConfigDocument>& docs, const std::vector<std::string>& overrides,
                               bool require_trace) {
  std::vector<std::string> files;
  for (const auto& d : docs) files.push_back(d.name);
  Source src;
  src.files = files;
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& cd : docs) {
    const std::string& file = cd.name;
    YAML::Node doc;
    if (cd.is_file) {
      std::error_code ec;
      if (!fs::exists(file, ec) && !ec) throw InputError(file + ": configuration file not found");
      if (fs::is_directory(file, ec)) throw InputError(file + ": is a directory, expected a YAML configuration file");
      doc = load_yaml_file(file, "configuration file");
    } else {
      doc = load_yaml_text(cd.text, file);
    }
    if (doc.IsNull()) continue;
    Source one;
    one.files = {file};
    check_structure(doc, one);
    // Relative paths: against the file's directory, or the document's base directory.
    resolve_paths(doc, cd.is_file ? file : (fs::path(cd.base_dir) / "config").string());
    for (const auto& kv : doc) {
      const std::string sec = kv.first.as<std::string>();
      src.origin[sec] = file;
      if (kv.second.IsMap())
        for (const auto& ek : kv.second) src.origin[sec + "." + ek.first.as<std::string>()] = file;
    }
    merge_into(root, doc);
  }
  for (const auto& o : overrides) apply_override(root, o, src.overridden);
  check_structure(root, src);

  const Reader r(root, src);
  RunConfig c;
  for (const auto& f : files) c.config_file += (c.config_file.empty() ? "" : " + ") + f;
  if (root["compare"]) {
    for (std::size_t i = 0; i < root["compare"].size(); ++i)
      c.designs.push_back(build_design(r, root["compare"][i], "compare." + std::to_string(i)));
  } else {
    c.designs.push_back(build_design(r, YAML::Node(), "pe"));
  }
  std::set<std::string> names;
  for (const auto& d : c.designs)
    if (!names.insert(d.name).second)
      src.fail("compare", "two designs are both named '" + d.name + "': give them distinct `name`s");

  if (require_trace && !r.has("trace", "bundle")) src.fail("trace.bundle", "is required (a trace bundle directory)");
  if (r.has("trace", "bundle")) c.bundle = r.get<std::string>("trace", "bundle", "a path");
  const YAML::Node layers = r.value("trace", "layers");
  if (layers.IsSequence()) {
    for (const auto& l : layers) {
      c.layers.push_back(r.convert<std::string>(l, "trace.layers", "a list of layer names"));
      if (std::count(c.layers.begin(), c.layers.end(), c.layers.back()) > 1)
        src.fail("trace.layers", "'" + c.layers.back() + "' is listed twice");
    }
    if (c.layers.empty()) src.fail("trace.layers", "must not be an empty list (use 'all')");
  } else if (r.convert<std::string>(layers, "trace.layers", "'all' or a list of layer names") != "all") {
    c.layers.push_back(layers.Scalar());  // a single layer name
  }
  c.verify_sha256 = r.get<bool>("trace", "verify_sha256", "true or false");
  c.max_pixels = r.get<std::int64_t>("trace", "max_pixels", "an integer");
  if (c.max_pixels < 0) src.fail("trace.max_pixels", "must be >= 0");

  c.output_dir = r.get<std::string>("output", "dir", "a path");
  if (c.output_dir.empty()) src.fail("output.dir", "must not be empty");
  if (r.has("output", "dump_outputs")) c.dump_outputs_dir = r.get<std::string>("output", "dump_outputs", "a path");
  c.quiet = r.get<bool>("output", "quiet", "true or false");
  if (r.has("output", "vcd")) {
    const YAML::Node v = r.value("output", "vcd");
    if (!v.IsMap()) src.fail("output.vcd", "must be a mapping {path, pes, first_cycle, last_cycle}");
    for (const auto& kv : v) {
      const auto k = kv.first.as<std::string>();
      if (k != "path" && k != "pes" && k != "first_cycle" && k != "last_cycle")
        src.fail("output.vcd." + k, "is not a known key (known: path, pes, first_cycle, last_cycle)");
    }
    if (!v["path"]) src.fail("output.vcd.path", "is required");
    c.vcd.path = r.convert<std::string>(v["path"], "output.vcd.path", "a path");
    // A directory name would become "<dir>.vcd" beside it: refuse it; a
    // missing extension is added here, so the name checked is the one written.
    std::error_code ec;
    if (c.vcd.path.empty() || c.vcd.path.back() == '/' || fs::is_directory(c.vcd.path, ec))
      src.fail("output.vcd.path", "'" + c.vcd.path + "' is a directory; give a file name such as waves.vcd");
    if (c.vcd.path.size() < 4 || c.vcd.path.compare(c.vcd.path.size() - 4, 4, ".vcd") != 0) c.vcd.path += ".vcd";
    if (v["pes"]) {
      if (!v["pes"].IsSequence()) src.fail("output.vcd.pes", "must be a list of [row, col] pairs");
      for (const auto& p : v["pes"]) {
        if (!p.IsSequence() || p.size() != 2) src.fail("output.vcd.pes", "must be a list of [row, col] pairs");
        const int pr = r.convert<int>(p[0], "output.vcd.pes", "integers");
        const int pc = r.convert<int>(p[1], "output.vcd.pes", "integers");
        for (const auto& d : c.designs)
          if (pr < 0 || pc < 0 || pr >= d.array.rows || pc >= d.array.cols)
            src.fail("output.vcd.pes", "PE [" + std::to_string(pr) + ", " + std::to_string(pc) + "] is outside the " +
                                           std::to_string(d.array.rows) + "x" + std::to_string(d.array.cols) +
                                           " array");
        c.vcd.pes.emplace_back(pr, pc);
      }
    }
    if (c.vcd.pes.empty()) c.vcd.pes.emplace_back(0, 0);  // a whole array's waveform is rarely wanted (GBs)
    if (v["first_cycle"])
      c.vcd.first_cycle = r.convert<std::uint64_t>(v["first_cycle"], "output.vcd.first_cycle", "a cycle number");
    if (v["last_cycle"])
      c.vcd.last_cycle = r.convert<std::uint64_t>(v["last_cycle"], "output.vcd.last_cycle", "a cycle number");
    if (c.vcd.last_cycle < c.vcd.first_cycle) src.fail("output.vcd.last_cycle", "must be >= first_cycle");
    for (const auto& d : c.designs)
      if (d.array.fidelity != hw::Fidelity::Structural)
        src.fail("output.vcd", "needs simulation.fidelity: structural (the fast model has no signals to trace)");
  }
  c.scalesim_compatible = r.get<bool>("simulation", "scalesim_compatible", "true or false");
  {
    const YAML::Node mm = r.value("simulation", "max_memory");
    const std::string text = r.convert<std::string>(mm, "simulation.max_memory", "a size such as 8GiB");
    try {
      c.max_memory = parse_size(text);
    } catch (const std::invalid_argument& e) {
      src.fail("simulation.max_memory", e.what());
    }
  }
  read_network(r, src, c.network);
  if (r.has("cost", "library"))
    c.cost_library = r.get<std::string>("cost", "library", "a path");
  else
    c.cost_library = (fs::path(SPARQ_DATA_DIR) / "configs/cost/nangate45.yaml").string();
  c.effective_yaml = emit_effective(c);
  return c;
}
}  // namespace

RunConfig load_run_config(const std::vector<ConfigDocument>& docs, const std::vector<std::string>& overrides,
                          bool require_trace) {
  try {
    return load_run_config_impl(docs, overrides, require_trace);
  } catch (const YAML::Exception& e) {
    throw InputError([&] {
      std::string names;
      for (const auto& d : docs) names += (names.empty() ? "" : " + ") + d.name;
      return names.empty() ? std::string("<defaults>") : names;
    }() +
                     ": unexpected YAML structure: " + e.what());
  }
}

RunConfig load_run_config(const std::vector<std::string>& files, const std::vector<std::string>& overrides,
                          bool require_trace) {
  std::vector<ConfigDocument> docs;
  for (const auto& f : files) docs.push_back(ConfigDocument::file(f));
  return load_run_config(docs, overrides, require_trace);
}

std::uint64_t parse_size(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string digits = text.substr(0, i);
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  const std::string bad =
      "'" + text + "' is not a size (bytes, or a whole number with KiB, MiB, GiB, TiB, KB, MB, GB or TB)";
  if (digits.empty() || digits.size() > 15 || !is_decimal_integer(digits)) throw std::invalid_argument(bad);
  static const std::pair<const char*, std::uint64_t> units[] = {{"", 1},
                                                                {"B", 1},
                                                                {"KiB", 1ull << 10},
                                                                {"MiB", 1ull << 20},
                                                                {"GiB", 1ull << 30},
                                                                {"TiB", 1ull << 40},
                                                                {"KB", 1000ull},
                                                                {"MB", 1000000ull},
                                                                {"GB", 1000000000ull},
                                                                {"TB", 1000000000000ull}};
  const std::uint64_t n = std::stoull(digits);
  for (const auto& [u, mult] : units)
    if (unit == u) {
      if (n > UINT64_MAX / mult) throw std::invalid_argument(bad);
      if (n * mult == 0) throw std::invalid_argument("'" + text + "' must be more than 0 bytes");
      return n * mult;
    }
  throw std::invalid_argument(bad);
}

std::string yaml_quote(const std::string& text) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << text;
  return e.c_str();
}

std::string config_reference() {
  std::ostringstream os;
  os << "Configuration keys (YAML sections; override any with --set section.key=value):\n";
  for (const auto& s : schema()) {
    if (s.name == "compare") continue;
    os << "  " << s.name << ":\n";
    for (const auto& k : s.keys) {
      std::string key = k.key + (k.def == "~" ? "" : " = " + k.def);
      os << "    " << key << std::string(key.size() < 28 ? 28 - key.size() : 1, ' ') << k.help << "\n";
    }
  }
  os << "  compare: a list of PE designs simulated side by side; each entry takes `name` and any pe key,\n"
        "           e.g. [{design: int8}, {design: vsparq, shift_set: 3opt}]\n"
        "Relative input paths in a file resolve against the file's directory; --set paths against the\n"
        "current directory.\n";
  return os.str();
}

}  // namespace sparq
