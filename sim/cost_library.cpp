#include "cost_library.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>

#include "errors.h"
#include "yaml_util.h"

namespace sparq {
namespace {

struct Ctx {
  std::string file;
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(file + ": " + (key.empty() ? "" : "'" + key + "' ") + why);
  }
};

void check_keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& allowed, const Ctx& c) {
  if (!n.IsMap()) c.fail(where, "must be a mapping");
  for (const auto& kv : n) {
    const auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      c.fail(where.empty() ? k : where + "." + k, "is not a known key here (known: " + list + ")");
    }
  }
}

YAML::Node need(const YAML::Node& n, const std::string& key, const std::string& path, const Ctx& c) {
  YAML::Node v = n[key];
  if (!v) c.fail(path, "is missing");
  return v;
}

std::string text(const YAML::Node& n, const std::string& key, const Ctx& c) {
  YAML::Node v = need(n, key, key, c);
  if (!v.IsScalar()) c.fail(key, "must be a string");
  return v.as<std::string>();
}

double number(const YAML::Node& v, const std::string& path, const Ctx& c) {
  if (!v.IsScalar()) c.fail(path, "must be a number");
  try {
    const double x = v.as<double>();
    if (!std::isfinite(x)) c.fail(path, "must be a finite number");
    return x;
  } catch (const YAML::Exception&) {
    c.fail(path, "must be a number, got '" + v.as<std::string>() + "'");
  }
}

}  // namespace

namespace {
CellLibrary load_cell_library_impl(const std::string& path) {
  const Ctx c{path};
  const YAML::Node root = load_yaml_file(path, "cell library");
  if (!root.IsMap()) c.fail("", "must be a YAML mapping");
  check_keys(root, "", {"format", "version", "name", "area_source", "energy_source", "cell_area_um2", "energy_pj"}, c);
  if (text(root, "format", c) != "sparq-cell-library") c.fail("format", "must be 'sparq-cell-library'");
  if (number(need(root, "version", "version", c), "version", c) != 1) c.fail("version", "must be 1");

  CellLibrary lib;
  lib.name = text(root, "name", c);
  lib.area_source = text(root, "area_source", c);
  lib.energy_source = text(root, "energy_source", c);

  const YAML::Node cells = need(root, "cell_area_um2", "cell_area_um2", c);
  std::set<std::string> cell_keys;
  for (int i = 0; i < kCellKindCount; ++i) cell_keys.insert(cell_name(static_cast<CellKind>(i)));
  check_keys(cells, "cell_area_um2", cell_keys, c);
  for (int i = 0; i < kCellKindCount; ++i) {
    const std::string name = cell_name(static_cast<CellKind>(i));
    const std::string key = "cell_area_um2." + name;
    const double a = number(need(cells, name, key, c), key, c);
    if (a <= 0) c.fail(key, "must be a positive area in um^2, got " + std::to_string(a));
    lib.area_um2[i] = a;
  }

  const YAML::Node en = need(root, "energy_pj", "energy_pj", c);
  struct Field {
    const char* key;
    double EnergyPerEvent::*member;
  };
  const Field fields[] = {
      {"mult_pp_cell_toggle", &EnergyPerEvent::mult_pp_cell_toggle_pj},
      {"add_bit", &EnergyPerEvent::add_bit_pj},
      {"logic_nand2eq_op", &EnergyPerEvent::logic_nand2eq_op_pj},
      {"reg_bit_clock", &EnergyPerEvent::reg_bit_clock_pj},
      {"reg_bit_toggle", &EnergyPerEvent::reg_bit_toggle_pj},
      {"sram_byte", &EnergyPerEvent::sram_byte_pj},
      {"dram_byte", &EnergyPerEvent::dram_byte_pj},
  };
  std::set<std::string> energy_keys;
  for (const auto& f : fields) energy_keys.insert(f.key);
  check_keys(en, "energy_pj", energy_keys, c);
  for (const auto& f : fields) {
    const std::string key = std::string("energy_pj.") + f.key;
    const double e = number(need(en, f.key, key, c), key, c);
    if (e < 0) c.fail(key, "must be a non-negative energy in pJ, got " + std::to_string(e));
    lib.energy.*f.member = e;
  }
  lib.validate();
  return lib;
}
}  // namespace

CellLibrary load_cell_library(const std::string& path) {
  try {
    return load_cell_library_impl(path);
  } catch (const YAML::Exception& e) {
    throw InputError(path + ": unexpected YAML structure: " + e.what());
  }
}

}  // namespace sparq
