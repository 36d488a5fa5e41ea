// The cell-library loader (sim/cost_library.h): the shipped
// configs/cost/nangate45.yaml loads to the verified Nangate 45 nm numbers, and
// broken files are rejected with the file and the key path in the message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "cost_library.h"
#include "errors.h"
#include "sim_test_util.h"

namespace fs = std::filesystem;
using namespace sparq;

namespace {

std::string source_dir() {
  if (const char* env = std::getenv("SPARQ_SOURCE_DIR")) return env;
  return SPARQ_SOURCE_DIR;
}

std::string shipped() {
  return source_dir() + "/configs/cost/nangate45.yaml";
}

using testing_util::read_text;

struct TempDir : testing_util::ScratchDir {
  // Writes the shipped file with the first `from` replaced by `with` (must occur).
  std::string variant(const std::string& name, const std::string& from, const std::string& with) const {
    std::string text = read_text(shipped());
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), with);
    const std::string p = (path / name).string();
    std::ofstream(p) << text;
    return p;
  }
  // Writes the shipped file without the first line that starts with `prefix`.
  std::string without_line(const std::string& name, const std::string& prefix) const {
    std::string text = read_text(shipped());
    const auto at = text.find("\n" + prefix);
    EXPECT_NE(at, std::string::npos) << prefix;
    if (at != std::string::npos) text.erase(at, text.find('\n', at + 1) - at);
    const std::string p = (path / name).string();
    std::ofstream(p) << text;
    return p;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError>";
}

void expect_error(const std::string& file, const std::vector<std::string>& parts) {
  const std::string msg = error_of([&] { load_cell_library(file); });
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

}  // namespace

TEST(CostLibrary, ShippedNangate45LoadsTheVerifiedAreas) {
  const CellLibrary lib = load_cell_library(shipped());
  EXPECT_EQ(lib.name, "nangate45_typical");
  EXPECT_NE(lib.area_source.find("NangateOpenCellLibrary_typical.lib"), std::string::npos);
  EXPECT_NE(lib.energy_source.find("Horowitz"), std::string::npos);
  // NangateOpenCellLibrary_typical.lib 'area' (= LEF W x H at 1.4 um row height).
  const std::pair<CellKind, double> expected[] = {
      {CellKind::Inv, 0.532},  {CellKind::Nand2, 0.798}, {CellKind::And2, 1.064}, {CellKind::And3, 1.330},
      {CellKind::Or2, 1.064},  {CellKind::Or3, 1.330},   {CellKind::Or4, 1.596},  {CellKind::Nor4, 1.330},
      {CellKind::Xor2, 1.596}, {CellKind::Mux2, 1.862},  {CellKind::Ha, 2.660},   {CellKind::Fa, 4.256},
      {CellKind::Dff, 4.522},
  };
  for (const auto& [k, a] : expected) EXPECT_DOUBLE_EQ(lib.area(k), a) << cell_name(k);
  EXPECT_DOUBLE_EQ(lib.energy.mult_pp_cell_toggle_pj, 0.2 / 64);  // Horowitz 8-bit mult / 64 PP cells
  EXPECT_DOUBLE_EQ(lib.energy.add_bit_pj, 0.1 / 32);              // Horowitz 32-bit add / 32 bits
  EXPECT_NEAR(lib.energy.logic_nand2eq_op_pj, 0.1 / (32 * 4.256 / 0.798), 1e-6);
  EXPECT_DOUBLE_EQ(lib.energy.reg_bit_clock_pj, 0.0046);
  EXPECT_DOUBLE_EQ(lib.energy.reg_bit_toggle_pj, 0.0076);
}

TEST(CostLibrary, ShippedLibraryDrivesTheModel) {
  const CellLibrary lib = load_cell_library(shipped());
  CostConfig c;
  c.arith = PeArith::int8();
  EXPECT_EQ(estimate_cost(c, lib).pe_area_ratio, 1.0);
  c.arith = PeArith::vsparq(4, preset("5opt"));
  const ArrayCost v = estimate_cost(c, lib);
  EXPECT_GT(v.pe_area_ratio, 1.0);
  EXPECT_LT(v.area_per_peak_mac_ratio, 1.0) << "two MACs per cycle in less than twice the int8 area";
}

TEST(CostLibrary, RejectsBrokenFiles) {
  TempDir t;
  expect_error(t.without_line("missing_cell.yaml", "  FA_X1:"), {"'cell_area_um2.FA_X1'", "missing"});
  expect_error(t.variant("unknown_cell.yaml", "\n  FA_X1:", "\n  FA_X2: 5.0\n  FA_X1:"),
               {"'cell_area_um2.FA_X2'", "not a known key"});
  expect_error(t.variant("unknown_top.yaml", "\nname:", "\nvoltage: 1.1\nname:"), {"'voltage'", "not a known key"});
  expect_error(t.variant("negative_area.yaml", "INV_X1: 0.532", "INV_X1: -0.532"),
               {"'cell_area_um2.INV_X1'", "positive"});
  expect_error(t.variant("zero_area.yaml", "DFF_X1: 4.522", "DFF_X1: 0"), {"'cell_area_um2.DFF_X1'", "positive"});
  expect_error(t.variant("text_area.yaml", "MUX2_X1: 1.862", "MUX2_X1: big"),
               {"'cell_area_um2.MUX2_X1'", "must be a number"});
  expect_error(t.variant("negative_energy.yaml", "add_bit: 0.003125", "add_bit: -0.1"),
               {"'energy_pj.add_bit'", "non-negative"});
  expect_error(t.without_line("missing_energy.yaml", "  reg_bit_toggle:"), {"'energy_pj.reg_bit_toggle'", "missing"});
  expect_error(t.variant("missing_section.yaml", "\nenergy_pj:", "\nenergy_pj_old:"), {"not a known key"});
  expect_error(t.variant("bad_format.yaml", "format: sparq-cell-library", "format: other"), {"'format'"});
  expect_error(t.variant("malformed.yaml", "\ncell_area_um2:", "\ncell_area_um2: [1, 2\n"), {"malformed YAML"});
  expect_error((t.path / "absent.yaml").string(), {"cannot open"});
}
