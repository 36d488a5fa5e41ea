// Waveform dump of the structural model: a VCD readable by GTKWave holding
// the chosen PEs' registers, inputs and SPARQ decisions as named signals, and
// only the cycles of the chosen window (the window bounds the file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "array_sim.h"
#include "hw_test_util.h"

using namespace sparq;
using namespace sparq::hw;
namespace fs = std::filesystem;

namespace {

// A parsed VCD: PE variables by "pe_<r>_<c>.<name>", the time stamps (in
// ns = cycles, timescale 100 ps) and every value change of a PE variable.
struct Vcd {
  std::map<std::string, std::string> ids;  // code -> scoped name (PE scopes)
  std::set<std::string> names;
  std::vector<double> times;
  struct Change {
    double t;
    std::string name, value;
  };
  std::vector<Change> changes;
};

Vcd parse_vcd(const std::string& text) {
  Vcd v;
  std::vector<std::string> scope;
  std::istringstream lines(text);
  std::string line;
  double now = 0;
  bool defs = true;
  while (std::getline(lines, line)) {
    std::istringstream w(line);
    std::string tok;
    w >> tok;
    if (defs) {
      if (tok == "$scope") {
        std::string kind, name;
        w >> kind >> name;
        scope.push_back(name);
      } else if (tok == "$upscope") {
        scope.pop_back();
      } else if (tok == "$var") {
        std::string type, width, id, name;
        w >> type >> width >> id >> name;
        if (!scope.empty() && scope.back().rfind("pe_", 0) == 0) v.ids[id] = scope.back() + "." + name;
      }
      if (tok == "$enddefinitions") defs = false;
      continue;
    }
    if (tok.empty() || tok[0] == '$') continue;
    if (tok[0] == '#') {
      now = static_cast<double>(std::stoull(tok.substr(1))) / 10;  // timescale 100 ps -> ns (= cycles)
      v.times.push_back(now);
      continue;
    }
    std::string id, value;
    if (tok[0] == 'b') {
      w >> id;
      value = tok.substr(1);
    } else {
      id = tok.substr(1);
      value = tok.substr(0, 1);
    }
    if (v.ids.count(id)) v.changes.push_back(Vcd::Change{now, v.ids[id], value});
  }
  for (const auto& [id, name] : v.ids) v.names.insert(name);
  return v;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Vcd, ChosenPesInsideTheWindow) {
  std::mt19937 rng(hwtest::seed() + 40);
  const Gemm g = hwtest::random_gemm(6, 4, 8, rng);
  ArrayConfig cfg;
  cfg.rows = 2;
  cfg.cols = 3;
  cfg.dataflow = Dataflow::WS;
  cfg.pe = PeArith::vsparq(4);
  cfg.lod = LodPlacement::Edge;
  cfg.fidelity = Fidelity::Structural;
  const fs::path path = fs::temp_directory_path() / ("sparq_hw_vcd_" + std::to_string(::getpid()) + ".vcd");
  VcdOptions vcd;
  vcd.path = path.string();
  vcd.pes = {{1, 2}, {0, 0}};
  vcd.first_cycle = 6;
  vcd.last_cycle = 12;
  const GemmRun run = simulate_gemm(g, cfg, &vcd);
  EXPECT_EQ(run.C, reference_gemm(g, cfg.pe, 32, nullptr));
  const std::string text = read_text(path);
  ASSERT_NE(text.find("$enddefinitions"), std::string::npos) << path;
  const Vcd v = parse_vcd(text);
  // The file holds the window's cycles only: each cycle t at t ns (clock
  // high) and t + 0.5 ns (low), and the end of the last cycle.
  const std::size_t cycles = vcd.last_cycle - vcd.first_cycle + 1;
  ASSERT_EQ(v.times.size(), 2 * cycles + 1);
  EXPECT_EQ(v.times.front(), static_cast<double>(vcd.first_cycle));
  EXPECT_EQ(v.times.back(), static_cast<double>(vcd.last_cycle + 1));
  // Registers, inputs (the edge encoding split into its fields), and the
  // SPARQ decisions of each traced PE as named signals.
  for (const char* n :
       {"pe_1_2.a_in_valid", "pe_1_2.a_in_en",     "pe_1_2.a_in_mode",  "pe_1_2.a_in_v0",    "pe_1_2.a_in_shift1",
        "pe_1_2.a_reg_v1",   "pe_0_0.w_reg_w1",    "pe_0_0.w_reg_w2",   "pe_0_0.psum_reg",   "pe_0_0.psum_valid",
        "pe_0_0.pair_mode",  "pe_0_0.enc0_v",      "pe_0_0.enc0_shift", "pe_0_0.enc1_v",     "pe_0_0.enc1_shift",
        "pe_0_0.mult0_v",    "pe_0_0.mult0_shift", "pe_0_0.mult0_w",    "pe_0_0.mult0_wsel", "pe_1_2.mult1_wsel",
        "pe_0_0.product"})
    EXPECT_TRUE(v.names.count(n)) << n;
  for (const auto& n : v.names) EXPECT_TRUE(n.rfind("pe_1_2.", 0) == 0 || n.rfind("pe_0_0.", 0) == 0) << n;
  // Every change lies inside the window; the PE signals do change there, and
  // a PE's pair mode is its operand's (edge LOD: the encoding's mode).
  int changes = 0;
  std::map<std::string, std::string> now;
  for (const auto& c : v.changes) {
    EXPECT_GE(c.t, static_cast<double>(vcd.first_cycle)) << c.name;
    EXPECT_LE(c.t, static_cast<double>(vcd.last_cycle + 1)) << c.name;
    ++changes;
    now[c.name] = c.value;
  }
  EXPECT_GT(changes, 0);
  EXPECT_EQ(now["pe_0_0.pair_mode"], now["pe_0_0.a_in_mode"]);
  if (!HasFailure()) fs::remove(path);
}

// int8, os, PE LOD: the int8 datapath's signals; a window past the end of
// the run ends with the run.
TEST(Vcd, Int8OsWindowPastTheEnd) {
  std::mt19937 rng(hwtest::seed() + 42);
  const Gemm g = hwtest::random_gemm(3, 3, 5, rng);
  ArrayConfig cfg;
  cfg.rows = cfg.cols = 2;
  cfg.dataflow = Dataflow::OS;
  cfg.pe = PeArith::int8();
  cfg.fidelity = Fidelity::Structural;
  const fs::path path = fs::temp_directory_path() / ("sparq_hw_vcd_os_" + std::to_string(::getpid()));
  VcdOptions vcd;
  vcd.path = path.string();  // ".vcd" appended
  vcd.first_cycle = 3;
  const GemmRun run = simulate_gemm(g, cfg, &vcd);
  const fs::path file = path.string() + ".vcd";
  const Vcd v = parse_vcd(read_text(file));
  ASSERT_EQ(v.times.size(), 2 * (run.stats.cycles - 3) + 1);
  EXPECT_EQ(v.times.front(), 3.0);
  EXPECT_EQ(v.times.back(), static_cast<double>(run.stats.cycles));
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) {
      const std::string p = "pe_" + std::to_string(r) + "_" + std::to_string(c) + ".";
      for (const char* n :
           {"a_in", "a_in_en", "a_reg", "b_in", "b_in_valid", "b_reg", "acc_reg", "mult_a", "mult_w", "product"})
        EXPECT_TRUE(v.names.count(p + n)) << p + n;
    }
  if (!HasFailure()) fs::remove(file);
}

TEST(Vcd, RejectsPesOutsideTheArray) {
  std::mt19937 rng(hwtest::seed() + 41);
  const Gemm g = hwtest::random_gemm(2, 2, 2, rng);
  ArrayConfig cfg;
  cfg.rows = cfg.cols = 2;
  cfg.fidelity = Fidelity::Structural;
  VcdOptions vcd;
  vcd.path = (fs::temp_directory_path() / "sparq_never.vcd").string();
  vcd.pes = {{2, 0}};
  EXPECT_THROW(simulate_gemm(g, cfg, &vcd), std::invalid_argument);
}

namespace {

// The value of a traced PE variable at cycle t (its last change at or before t).
std::uint64_t value_at(const Vcd& v, const std::string& name, double t) {
  std::string last = "0";
  for (const auto& c : v.changes)
    if (c.name == name && c.t <= t) last = c.value;
  return std::stoull(last, nullptr, 2);
}

}  // namespace

// Double buffering in the waveform, pinned on both edges. ws (2x2 array,
// M = 3, two K folds: P = max(3, 2R + C - 2) = 4, folds stream from 2 and
// 6): PE(0, 0)'s multiplier takes the new weight in the swap cycle
// (stream_f), its active register shows it one cycle later, the shadow
// register is a separate signal. os (2x2, S = 3): PE(1, 0)'s output register
// shows its result from the cycle after its last MAC (S + 1 - 1 + 1 = S + 1),
// when its accumulator shows 0.
TEST(Vcd, DoubleBufferingRegisters) {
  std::mt19937 rng(hwtest::seed() + 43);
  const Gemm g = hwtest::random_gemm(3, 2, 4, rng);
  ArrayConfig cfg;
  cfg.rows = cfg.cols = 2;
  cfg.pe = PeArith::int8();
  cfg.fidelity = Fidelity::Structural;
  cfg.weight_buffering = WeightBuffering::Double;
  const fs::path path = fs::temp_directory_path() / ("sparq_hw_vcd_dbl_" + std::to_string(::getpid()) + ".vcd");
  VcdOptions vcd;
  vcd.path = path.string();
  vcd.pes = {{0, 0}, {1, 0}};
  const GemmRun ws = simulate_gemm(g, cfg, &vcd);
  EXPECT_EQ(ws.C, reference_gemm(g, cfg.pe, 32, nullptr));
  EXPECT_EQ(ws.stats.cycles, 4u + 2 * 2 + 2 + 3 - 1);
  Vcd v = parse_vcd(read_text(path));
  for (const char* n : {"pe_0_0.w_reg", "pe_0_0.w_shadow", "pe_0_0.mult_w", "pe_1_0.w_shadow"})
    EXPECT_TRUE(v.names.count(n)) << n;
  const std::uint64_t w0 = static_cast<std::uint8_t>(g.b(0, 0)), w1 = static_cast<std::uint8_t>(g.b(2, 0));
  EXPECT_EQ(value_at(v, "pe_0_0.mult_w", 1), 0u);
  EXPECT_EQ(value_at(v, "pe_0_0.mult_w", 2), w0);
  EXPECT_EQ(value_at(v, "pe_0_0.w_reg", 2), 0u);
  EXPECT_EQ(value_at(v, "pe_0_0.w_reg", 3), w0);
  EXPECT_EQ(value_at(v, "pe_0_0.mult_w", 5), w0);
  EXPECT_EQ(value_at(v, "pe_0_0.mult_w", 6), w1);
  EXPECT_EQ(value_at(v, "pe_0_0.w_reg", 6), w0);
  EXPECT_EQ(value_at(v, "pe_0_0.w_reg", 7), w1);
  EXPECT_EQ(value_at(v, "pe_0_0.w_shadow", 6), w1);  // loaded in cycles 4, 5 (after the corner's swap in 4)

  cfg.dataflow = Dataflow::OS;
  const Gemm go = hwtest::random_gemm(2, 2, 3, rng);
  const GemmRun os = simulate_gemm(go, cfg, &vcd);
  EXPECT_EQ(os.C, reference_gemm(go, cfg.pe, 32, nullptr));
  v = parse_vcd(read_text(path));
  const std::uint64_t mask = (std::uint64_t{1} << 32) - 1;
  const auto x = static_cast<std::uint64_t>(os.C[static_cast<std::size_t>(1) * 2]) & mask;  // output (1, 0)
  EXPECT_TRUE(v.names.count("pe_1_0.out_reg"));
  EXPECT_EQ(value_at(v, "pe_1_0.out_reg", 3), 0u);
  EXPECT_EQ(value_at(v, "pe_1_0.out_reg", 4), x);
  EXPECT_EQ(value_at(v, "pe_1_0.acc_reg", 4), 0u);
  if (!HasFailure()) fs::remove(path);
}
