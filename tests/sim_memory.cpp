// The memory system through the CLI on real layers (docs/memory.md): an
// unlimited memory gives exactly the ideal-memory cycles and fetches every
// byte once; the three fidelities agree with stalls; less bandwidth never
// means fewer stalls; the energy proxy gains its memory components.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "csv.h"
#include "sim_test_util.h"

namespace fs = std::filesystem;
using namespace sparq;

namespace {

const std::string kSrc = SPARQ_SOURCE_DIR;
const std::string kExe = SPARQ_SIM_EXE;
using Tmp = testing_util::ScratchDir;

testing_util::CliResult run(const std::string& args) {
  return testing_util::run_cli(kSrc, kExe, args);
}

// layers.csv as column -> values (one per row).
std::map<std::string, std::vector<std::string>> columns(const std::string& dir) {
  const CsvTable t = read_csv(dir + "/layers.csv");
  std::map<std::string, std::vector<std::string>> m;
  for (std::size_t c = 0; c < t.header.size(); ++c)
    for (const auto& row : t.rows) m[t.header[c]].push_back(c < row.size() ? row[c] : "");
  return m;
}

std::uint64_t u64(const std::string& s) {
  return std::stoull(s);
}

const char* kLayers = " --set 'trace.layers=[conv2d_11, conv2d_37, dense_1]' --set trace.max_pixels=150 --quiet";

}  // namespace

// configs/memory/ideal.yaml: the same cycles and activity as no memory model,
// zero stalls, and DRAM reads equal to the unique bytes (every byte once).
TEST(MemoryCli, UnlimitedMemoryGivesTheIdealCycles) {
  Tmp t;
  for (const char* df : {"ws", "os"}) {
    const std::string a = t.s(std::string("ideal_") + df), b = t.s(std::string("model_") + df);
    const std::string common = std::string("run configs/base.yaml --set array.dataflow=") + df + kLayers;
    ASSERT_EQ(run(common + " --out " + a).code, 0);
    const auto r = run(common + " configs/memory/ideal.yaml --out " + b);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto x = columns(a), y = columns(b);
    for (const auto& [col, vals] : x) {
      if (col.rfind("energy", 0) == 0) continue;  // gains the memory components
      ASSERT_TRUE(y.count(col)) << col;
      EXPECT_EQ(y.at(col), vals) << df << " " << col;
    }
    for (std::size_t i = 0; i < y.at("layer").size(); ++i) {
      EXPECT_EQ(y.at("cycles.stall [cycle]")[i], "0");
      EXPECT_EQ(y.at("memory.dram_ifmap_read [byte]")[i], y.at("memory.unique_ifmap [byte]")[i]);
      EXPECT_EQ(y.at("memory.dram_filter_read [byte]")[i], y.at("memory.unique_filter [byte]")[i]);
      EXPECT_EQ(y.at("memory.dram_ofmap_write [byte]")[i], y.at("memory.unique_ofmap [byte]")[i]);
      EXPECT_GT(u64(y.at("memory.unique_ifmap [byte]")[i]), 0u);
    }
  }
}

// With a constrained memory the fast, stepped and structural fidelities give
// identical results: the stalls gate the whole array's clock.
TEST(MemoryCli, FidelitiesAgreeWithStalls) {
  Tmp t;
  for (const char* wb : {"single", "double"}) {
    std::map<std::string, std::map<std::string, std::vector<std::string>>> res;
    for (const char* f : {"fast", "stepped", "structural"}) {
      const std::string o = t.s(std::string(wb) + f);
      const auto r =
          run(std::string("run configs/base.yaml configs/memory/edge-ddr4.yaml --set memory.dram_bandwidth=2 "
                          "--set memory.ifmap_kib=8 --set trace.max_pixels=40 --set 'trace.layers=[conv2d_11, "
                          "dense_1]' --quiet --set array.weight_buffering=") +
              wb + " --fidelity " + f + " --out " + o);
      ASSERT_EQ(r.code, 0) << r.err;
      res[f] = columns(o);
    }
    const auto& fast = res["fast"];
    EXPECT_GT(u64(fast.at("cycles.stall [cycle]")[0]), 0u);
    for (const char* f : {"stepped", "structural"})
      for (const auto& [col, vals] : fast) EXPECT_EQ(res[f].at(col), vals) << wb << " " << f << " " << col;
  }
}

// Halving the DRAM bandwidth on the dense layer (bandwidth-bound: every
// weight is used once) adds stalls, and never removes any; the layer never
// fetches less than its unique bytes.
TEST(MemoryCli, LessBandwidthMoreStalls) {
  Tmp t;
  std::uint64_t prev = 0;
  for (const char* bw : {"64", "32", "16", "8"}) {
    const std::string o = t.s(std::string("bw") + bw);
    const auto r = run(std::string("run configs/base.yaml configs/memory/edge-ddr4.yaml --set "
                                   "'trace.layers=[dense_1]' --quiet --set memory.dram_bandwidth=") +
                       bw + " --out " + o);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto c = columns(o);
    const std::uint64_t stall = u64(c.at("cycles.stall [cycle]")[0]);
    EXPECT_GT(stall, prev) << bw;
    prev = stall;
    EXPECT_GE(u64(c.at("memory.dram_filter_read [byte]")[0]), u64(c.at("memory.unique_filter [byte]")[0]));
    EXPECT_GT(std::stod(c.at("energy.components.dram [pJ]")[0]), 0.0);
  }
}
