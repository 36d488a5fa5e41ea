// Run configuration, in two layers (docs/architecture.md §3): the YAML file plus
// `--set key.path=value` overrides are merged into one document, then
// validated once into RunConfig with named defaults and range checks. Every
// error is an InputError naming the file and the key path. yaml-cpp is
// confined to config.cpp (and the bundle/cost loaders).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "array_sim.h"
#include "memory_model.h"

namespace sparq {

// One PE + array design to simulate.
struct DesignPoint {
  std::string name;       // label in reports, e.g. "vsparq-5opt"
  hw::ArrayConfig array;  // rows, cols, dataflow, LOD placement, fidelity, PE arithmetic, accumulator
  double clock_mhz = 1000.0;
  std::string shift_set_label;  // preset name or explicit list, for reports
  MemoryConfig memory;          // the `memory` section (the same for every design of a run)
};

// The `network` section: what `sparq-sim infer` runs (docs: README, Whole networks).
struct NetworkOptions {
  std::string bundle;                 // resolved path of the network bundle directory ("" = none)
  std::int64_t images = 0;            // 0 = all
  std::string engine = "functional";  // functional | array
  std::string first_layer = "int8";   // int8 | design
  std::vector<std::pair<std::string, std::string>> overrides;  // node -> int8 | design
  std::int64_t cycles_image = 0;
  int jobs = 0;
};

struct RunConfig {
  std::string config_file;           // the files it came from, joined with " + "
  std::vector<DesignPoint> designs;  // one per `compare` entry, or the single `pe`
  // trace
  std::string bundle;               // resolved path of the bundle directory
  std::vector<std::string> layers;  // empty: all layers
  bool verify_sha256 = true;
  std::int64_t max_pixels = 0;  // >0: simulate only the first N output pixels of each layer
  // output
  std::string output_dir;
  std::string dump_outputs_dir;  // "" = off
  bool scalesim_compatible = false;
  std::uint64_t max_memory = 8ull << 30;  // simulation.max_memory [byte]: larger estimates are refused
  hw::VcdOptions vcd;                     // vcd.path empty = off
  std::string cost_library;               // resolved path of the cell/energy data file
  bool quiet = false;
  NetworkOptions network;  // sparq-sim infer

  // The effective configuration as YAML (every default filled in).
  std::string effective_yaml;
};

// Loads config files, merged in order (a later file's keys replace an
// earlier one's; maps merge key by key), then applies overrides
// ("key.path=value", value parsed as YAML). Relative input paths in a file
// resolve against that file's directory; those given as overrides against
// the current directory.
RunConfig load_run_config(const std::vector<std::string>& files, const std::vector<std::string>& overrides,
                          bool require_trace = true);

// One configuration document: a YAML file, or YAML text held in memory (the
// Python module's dicts) whose relative input paths resolve against
// base_dir and whose errors name it `name`.
struct ConfigDocument {
  std::string name;  // the file's path, or the label errors give the text
  bool is_file = true;
  std::string text;      // !is_file: the YAML document
  std::string base_dir;  // !is_file: relative paths resolve against it
  static ConfigDocument file(const std::string& path) { return {path, true, "", ""}; }
  static ConfigDocument yaml(const std::string& name, const std::string& text, const std::string& base_dir) {
    return {name, false, text, base_dir};
  }
};
// The same from documents given in memory and/or as files, merged in order.
RunConfig load_run_config(const std::vector<ConfigDocument>& docs, const std::vector<std::string>& overrides,
                          bool require_trace = true);

// A string as a YAML double-quoted scalar, for building --set values from
// command-line options (so that "a: b", "null" or "#" stay literal text).
std::string yaml_quote(const std::string& s);

// "8GiB", "512MB", "1000000" -> bytes; throws std::invalid_argument with the reason.
std::uint64_t parse_size(const std::string& text);

// The keys a config accepts, one per line with its default and meaning (for --help).
std::string config_reference();

}  // namespace sparq
