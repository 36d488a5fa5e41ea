// Waveform dump of the structural model: a VCD readable by GTKWave holding
// the chosen PEs' signals, which change only inside the chosen cycle window.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "array_sim.h"
#include "hw_test_util.h"

using namespace sparq;
using namespace sparq::hw;
namespace fs = std::filesystem;

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
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  // Identifier codes of PE signals (a PE is a VCD scope "pe_<row>_<col>"),
  // then the times at which they change.
  std::map<std::string, std::string> ids;
  std::vector<std::string> scope;
  std::istringstream lines(text);
  std::string line;
  std::uint64_t now = 0;
  bool defs = true;
  int changes_in = 0, changes_out = 0;
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
        if (scope.back().rfind("pe_", 0) == 0) ids[id] = scope.back() + "." + name;
      }
      if (tok == "$enddefinitions") defs = false;
      continue;
    }
    if (tok.empty() || tok[0] == '$') continue;
    if (tok[0] == '#') {
      now = std::stoull(tok.substr(1)) / 10;  // timescale 100 ps -> ns (= cycles)
      continue;
    }
    std::string id;
    if (tok[0] == 'b') {
      w >> id;
    } else {
      id = tok.substr(1);
    }
    if (!ids.count(id) || now == 0) continue;
    // Cycle t spans [t, t+1) ns; registers written at the end of cycle t change at t+1 ns.
    if (now >= vcd.first_cycle && now <= vcd.last_cycle + 1)
      ++changes_in;
    else
      ++changes_out;
  }
  std::set<std::string> names;
  for (const auto& [id, name] : ids) names.insert(name);
  EXPECT_TRUE(names.count("pe_1_2.a_in"));
  EXPECT_TRUE(names.count("pe_0_0.psum_reg"));
  EXPECT_TRUE(names.count("pe_0_0.mult_inputs"));
  for (const auto& n : names) EXPECT_TRUE(n.rfind("pe_1_2.", 0) == 0 || n.rfind("pe_0_0.", 0) == 0) << n;
  EXPECT_GT(changes_in, 0);
  EXPECT_EQ(changes_out, 0);
  if (!HasFailure()) fs::remove(path);
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
