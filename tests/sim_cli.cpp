// End-to-end tests of the sparq-sim executable, run as a child process on the
// shipped real bundles: golden results compared key by key, the bad-input
// matrix (exit 2, one error line naming the file/key/layer, no partial
// results, earlier results intact), dumps against the reference engine, and
// sweeps (resume after interruption, shards + merge).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "atomic_file.h"
#include "bundle.h"
#include "csv.h"
#include "gemm.h"
#include "npy.h"
#include "sim_test_util.h"

namespace fs = std::filesystem;
using namespace sparq;

namespace {

const std::string kSrc = SPARQ_SOURCE_DIR;
const std::string kExe = SPARQ_SIM_EXE;

using Result = testing_util::CliResult;
using Tmp = testing_util::ScratchDir;

std::string slurp(const fs::path& p) {
  return testing_util::read_text(p);
}

// Runs the simulator with args (shell-quoted by the caller where needed).
Result run(const std::string& args) {
  return testing_util::run_cli(kSrc, kExe, args);
}

bool is_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

// Key-by-key comparison of two CSV tables: text and integer columns exactly,
// other numbers within a relative tolerance of 1e-9 (formatting round-off).
void expect_same_table(const CsvTable& got, const CsvTable& want, const std::string& what) {
  ASSERT_EQ(got.header, want.header) << what;
  ASSERT_EQ(got.rows.size(), want.rows.size()) << what;
  for (std::size_t r = 0; r < want.rows.size(); ++r)
    for (std::size_t c = 0; c < want.header.size(); ++c) {
      const std::string& g = got.rows[r][c];
      const std::string& w = want.rows[r][c];
      double gv = 0, wv = 0;
      const bool integer_col =
          want.header[c].find("[cycle]") != std::string::npos || want.header[c].find("[MAC]") != std::string::npos ||
          want.header[c].find("toggle]") != std::string::npos || want.header[c].find("[event]") != std::string::npos;
      if (!integer_col && is_number(g, gv) && is_number(w, wv))
        EXPECT_NEAR(gv, wv, 1e-9 * std::max(1.0, std::fabs(wv))) << what << " row " << r << " " << want.header[c];
      else
        EXPECT_EQ(g, w) << what << " row " << r << " " << want.header[c];
    }
}

const char* kGoldenArgs =
    "run configs/default.yaml --set trace.max_pixels=96 --set 'trace.layers=[conv2d_11, conv2d_37]' --quiet";

}  // namespace

TEST(Cli, HelpForEveryCommand) {
  for (const char* c : {"--help", "run --help", "sweep --help", "merge --help", "area --help", "stats --help"}) {
    const Result r = run(c);
    EXPECT_EQ(r.code, 0) << c << ": " << r.err;
    EXPECT_NE(r.out.find("sparq-sim"), std::string::npos) << c;
  }
  EXPECT_NE(run("run --help").out.find("pe:"), std::string::npos);  // the configuration reference
  EXPECT_EQ(run("frobnicate").code, 2);
  EXPECT_EQ(run("").code, 2);
}

// Golden regression: the default comparison on two real layers (96 output
// pixels each), committed in tests/golden/. Cycles and counts must match
// exactly. Regenerate deliberately with tools/update_golden.sh.
TEST(Cli, DefaultRunMatchesGolden) {
  Tmp t;
  const Result r = run(std::string(kGoldenArgs) + " --out " + t.s("out"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"summary.csv", "layers.csv"})
    expect_same_table(read_csv(t.s(std::string("out/") + f)), read_csv(kSrc + "/tests/golden/default/" + f), f);
  // Every column says its unit (or is text), every JSON stat has a unit.
  for (const auto& h : read_csv(t.s("out/summary.csv")).header) {
    const bool unit = h.find(" [") != std::string::npos;
    const bool text = h == "design" || h == "pe_design" || h == "shift_set" || h == "rounding" || h == "lod" ||
                      h == "dataflow" || h.find(".cells") != std::string::npos;
    EXPECT_TRUE(unit || text) << h;
  }
  const std::string js = slurp(t.s("out/results.json"));
  EXPECT_NE(js.find("\"unit\": \"cycle\""), std::string::npos);
  EXPECT_EQ(js.find("\"unit\": \"\""), std::string::npos);
  EXPECT_TRUE(fs::exists(t.s("out/effective_config.yaml")));
  // report.html: part of the result set; the summary's cells as in summary.csv.
  EXPECT_NE(slurp(t.s("out/result_manifest.txt")).find(" report.html\n"), std::string::npos);
  const std::string html = slurp(t.s("out/report.html"));
  const CsvTable sum = read_csv(t.s("out/summary.csv"));
  const int cyc = sum.column("cycles.total [cycle]");
  ASSERT_GE(cyc, 0);
  for (const auto& row : sum.rows)
    EXPECT_NE(html.find("<td class='n'>" + row[static_cast<std::size_t>(cyc)] + "</td>"), std::string::npos)
        << row[static_cast<std::size_t>(cyc)];
  EXPECT_NE(html.find("manifest sha256"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
}

TEST(Cli, TablePrintsEveryDesignWithUnits) {
  Tmp t;
  const Result r = run("run configs/default.yaml --set trace.max_pixels=32 --out " + t.s("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* d : {"int8", "int4", "bsparq-5opt", "bsparq-2opt", "vsparq-3opt", "vsparq-b3", "vsparq-b2"})
    EXPECT_NE(r.out.find(std::string("  ") + d + " "), std::string::npos) << d << "\n" << r.out;
  EXPECT_NE(r.out.find("[cycle]"), std::string::npos);
  EXPECT_NE(r.out.find("[dB]"), std::string::npos);
  EXPECT_NE(r.out.find("[pJ/MAC]"), std::string::npos);
}

// The dumped accumulators equal the reference engine's, bit for bit.
TEST(Cli, DumpedOutputsEqualTheReferenceEngine) {
  Tmp t;
  const Result r = run("run configs/base.yaml --set trace.layers=[conv2d_79] --set pe.shift_set=3opt --quiet --out " +
                       t.s("o") + " --dump-outputs " + t.s("dump") + " --check");
  ASSERT_EQ(r.code, 0) << r.err;
  const NpyArray a = read_npy(t.s("dump/vsparq-3opt.conv2d_79.acc.npy"));
  const BundleManifest m = read_manifest(kSrc + "/traces/inceptionv3-dog");
  const LayerTrace L = load_layer(m, m.layer("conv2d_79"));
  ASSERT_EQ(a.shape, (std::vector<std::int64_t>{8, 8, 384}));
  const LayerResult ref =
      reference_layer(L.info.geo, L.input.data(), L.weights.data(), PeArith::vsparq(4, preset("3opt")), 32);
  ASSERT_EQ(a.count(), ref.acc.size());
  for (std::size_t i = 0; i < ref.acc.size(); ++i) ASSERT_EQ(a.data<std::int64_t>()[i], ref.acc[i]) << i;
}

// A signed-activation layer (MobileNetV2's block_6_expand, fed by a linear
// bottleneck) runs at int8 under the SPARQ designs, as the paper keeps such
// layers at 8 bits: their accumulators are the exact int8 ones, the report
// says so, and the totals of every design cover the same unsigned layers.
TEST(Cli, SignedLayersRunAtInt8UnderPairDesigns) {
  Tmp t;
  const Result r =
      run("run configs/default.yaml --set trace.bundle=traces/mobilenetv2-dog "
          "--set 'trace.layers=[block_6_expand, block_1_project]' --set trace.max_pixels=40 --out " +
          t.s("o") + " --dump-outputs " + t.s("dump") + " --check");
  ASSERT_EQ(r.code, 0) << r.err;
  const BundleManifest m = read_manifest(kSrc + "/traces/mobilenetv2-dog");
  const LayerTrace L = load_layer(m, m.layer("block_6_expand"));
  ASSERT_TRUE(L.info.activation_signed);
  const LayerResult exact =
      reference_layer(L.info.geo, L.input.data(), L.weights.data(), PeArith::int8(), 64, /*signed_activations=*/true);
  const std::size_t n = static_cast<std::size_t>(40) * static_cast<std::size_t>(L.info.geo.C_out);
  for (const char* d : {"int8", "int4", "bsparq-5opt", "vsparq-3opt", "vsparq-b2"}) {
    const NpyArray a = read_npy(t.s(std::string("dump/") + d + ".block_6_expand.acc.npy"));
    ASSERT_EQ(a.count(), n) << d;
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(a.data<std::int64_t>()[i], exact.acc[i]) << d << " " << i;
  }
  EXPECT_NE(r.out.find("  vsparq-3opt @int8 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("  int8 @int8 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 signed-activation layer(s) (run at int8) left out"), std::string::npos) << r.out;
  const CsvTable layers = read_csv(t.s("o/layers.csv"));
  const int dc = layers.column("design"), lc = layers.column("layer"), rc = layers.column("ran_at");
  ASSERT_GE(rc, 0);
  int fallbacks = 0;
  for (const auto& row : layers.rows) {
    // every design but int8 takes activation pairs (int4 too: two 4-bit lanes)
    const bool expect =
        row[static_cast<std::size_t>(lc)] == "block_6_expand" && row[static_cast<std::size_t>(dc)] != "int8";
    EXPECT_EQ(row[static_cast<std::size_t>(rc)] == "int8", expect) << row[static_cast<std::size_t>(dc)];
    fallbacks += expect;
  }
  EXPECT_EQ(fallbacks, 9);
  const CsvTable summary = read_csv(t.s("o/summary.csv"));
  for (const auto& row : summary.rows) {
    EXPECT_EQ(row[static_cast<std::size_t>(summary.column_prefix("layers_in_total"))], "1");
    EXPECT_EQ(row[static_cast<std::size_t>(summary.column_prefix("layers_excluded"))], "1");
  }
}

// Every kind of bad input: exit code 2, one "error:" line naming what is
// wrong, no result files written, and an earlier run's results left intact.
TEST(Cli, BadInputMatrix) {
  Tmp t;
  // A good run first, whose results must survive every failing run into the same directory.
  const std::string out = t.s("out");
  ASSERT_EQ(run("run configs/base.yaml --set trace.max_pixels=8 --quiet --out " + out).code, 0);
  const std::string before = slurp(out + "/summary.csv");
  // A copy of a real bundle to corrupt.
  const fs::path b = t.path / "bundle";
  fs::copy(kSrc + "/traces/inceptionv3-dog", b);
  auto with_bundle = [&](const std::string& extra) {
    return "run configs/base.yaml --set trace.bundle=" + b.string() + " --set trace.layers=[conv2d_79] " + extra;
  };
  const std::string cfg_dir = t.s("");
  struct Case {
    std::string name, args, expect;
    std::function<void()> setup;
  };
  std::vector<Case> cases = {
      {"malformed yaml", "run " + t.write("m.yaml", "array: {rows: 3\n"), "malformed YAML", nullptr},
      {"unknown key", "run configs/base.yaml " + t.write("u.yaml", "array: {rowz: 3}\n"),
       "array.rowz: is not a known key", nullptr},
      {"wrong type", "run configs/base.yaml --set array.cols=wide", "--set array.cols: must be an integer", nullptr},
      {"out of range", "run configs/base.yaml --set array.rows=0", "array.rows: must be in 1..4096", nullptr},
      {"bad weight buffering", "run configs/base.yaml " + t.write("wb.yaml", "array: {weight_buffering: quad}\n"),
       "wb.yaml: array.weight_buffering: unknown weight buffering 'quad' (expected single or double)", nullptr},
      {"missing config", "run " + t.s("nope.yaml"), "configuration file not found", nullptr},
      {"missing bundle", "run configs/base.yaml --set trace.bundle=" + t.s("nobundle"),
       "trace bundle manifest not found", nullptr},
      {"unknown layer", "run configs/base.yaml --set trace.layers=[conv9]", "no layer named 'conv9'", nullptr},
      {"truncated array", with_bundle(""), "conv2d_79.input.npy: truncated data",
       [&] { fs::resize_file(b / "conv2d_79.input.npy", fs::file_size(b / "conv2d_79.input.npy") - 100); }},
      {"mismatched array", with_bundle(""), "the manifest implies",
       [&] {
         // a real array of another layer (17x17x192 instead of 8x8x384)
         fs::copy_file(kSrc + "/traces/inceptionv3-dog/conv2d_72.input.npy", b / "conv2d_79.input.npy",
                       fs::copy_options::overwrite_existing);
       }},
      {"sha mismatch", with_bundle(""), "sha256 mismatch",
       [&] {
         fs::copy_file(kSrc + "/traces/inceptionv3-dog/conv2d_79.input.npy", b / "conv2d_79.input.npy",
                       fs::copy_options::overwrite_existing);
         std::fstream f(b / "conv2d_79.input.npy", std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(200);
         f.put('\x7f');
       }},
      {"unwritable output", "run configs/base.yaml --quiet --out " + t.s("afile/sub"), "cannot create output directory",
       [&] { std::ofstream(t.path / "afile") << "x"; }},
      {"bad sweep", "sweep " + t.write("s.yaml", "base: nothere.yaml\npoints: [{name: a}]\n"),
       "configuration file not found", nullptr},
      {"bad shard", "sweep configs/sweeps/paper.yaml --shard 3/2 --dry-run", "--shard 3/2", nullptr},
      // README "Reliability": inputs once accepted silently, paths once an internal error.
      {"duplicate key", "run configs/base.yaml " + t.write("dup.yaml", "array: {rows: 8, rows: 4}\n"),
       "key 'rows' appears twice", nullptr},
      {"octal integer", "run configs/base.yaml " + t.write("oct.yaml", "array: {rows: 010}\n"), "'010'", nullptr},
      {"trailing dot in --set", "run configs/base.yaml --set array.rows.=4", "empty key", nullptr},
      {"three-part shard", "sweep configs/sweeps/paper.yaml --shard 1/2/3 --dry-run", "--shard 1/2/3", nullptr},
      {"config is a device", "run /dev/zero", "not a regular file", nullptr},
      {"vcd is a directory", "run configs/base.yaml --vcd " + t.s(""), "is a directory", nullptr},
      {"over memory", "run configs/base.yaml --set array.rows=4096 --set array.cols=4096 --fidelity structural",
       "simulation.max_memory", nullptr},
      // The memory system's keys (docs/memory.md).
      {"memory unknown key", "run configs/base.yaml --set memory.ifmap_size=3", "memory.ifmap_size: is not a known key",
       nullptr},
      {"memory wrong type", "run configs/base.yaml --set memory.ifmap_kib=big", "memory.ifmap_kib: must be", nullptr},
      {"memory out of range", "run configs/base.yaml --set memory.dram_bandwidth=-1", "memory.dram_bandwidth", nullptr},
      {"memory zero ports", "run configs/base.yaml --set memory.ifmap_ports=0", "memory.ifmap_ports: must be in 1..64",
       nullptr},
      {"memory buffer too small",
       "run configs/base.yaml --set memory.enabled=true --set array.rows=32 --set array.cols=32 --set "
       "memory.filter_kib=1",
       "layer conv2d_11, design vsparq-5opt: memory.filter_kib", nullptr},
  };
  for (auto& c : cases) {
    if (c.setup) c.setup();
    const std::string args =
        c.args.find(" --out ") == std::string::npos && c.args.rfind("run", 0) == 0 ? c.args + " --out " + out : c.args;
    const Result r = run(args);
    EXPECT_EQ(r.code, 2) << c.name << ": " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_EQ(slurp(out + "/summary.csv"), before) << c.name << " touched earlier results";
    for (const auto& e : fs::directory_iterator(out))
      EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << c.name << " left " << e.path();
  }
  // A failed run into a fresh directory leaves no result files.
  const std::string fresh = t.s("fresh");
  EXPECT_EQ(run(with_bundle("--out " + fresh)).code, 2);
  EXPECT_FALSE(fs::exists(fresh + "/summary.csv"));
  EXPECT_FALSE(fs::exists(fresh + "/results.json"));
}

TEST(Cli, StatsCommandOnRealBundle) {
  Tmp t;
  const Result r = run("stats traces/inceptionv3-dog --layers conv2d_2,conv2d_66 --json " + t.s("s.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  // docs/traces.md §6: activation_1 (input of conv2d_2) zeros .530, pair any zero .758;
  // activation_65 (input of conv2d_66) zeros .749, any zero .939.
  const std::string js = slurp(t.s("s.json"));
  EXPECT_NE(r.out.find("conv2d_2"), std::string::npos);
  auto value_after = [&](const std::string& layer, const std::string& key) {
    const auto l = js.find("\"" + layer + "\"");
    const auto k = js.find("\"" + key + "\"", l);
    const auto v = js.find("\"value\": ", k);
    return std::stod(js.substr(v + 9));
  };
  EXPECT_NEAR(value_after("conv2d_2", "zero_fraction"), 0.530, 0.005);
  EXPECT_NEAR(value_after("conv2d_2", "any_zero"), 0.758, 0.005);
  EXPECT_NEAR(value_after("conv2d_66", "zero_fraction"), 0.749, 0.005);
  EXPECT_NEAR(value_after("conv2d_66", "any_zero"), 0.939, 0.005);
}

namespace {

const char* kSweep =
    "base: %s/configs/base.yaml\n"
    "set: {trace.layers: [conv2d_79], trace.max_pixels: 16}\n"
    "points:\n"
    "  - {name: int8, set: {pe.design: int8}}\n"
    "  - {name: vsparq, set: {pe.design: vsparq}}\n"
    "axes:\n"
    "  array.rows: [8, 16]\n"
    "  array.dataflow: [ws, os]\n";

std::string sweep_file(const Tmp& t) {
  char buf[512];
  std::snprintf(buf, sizeof buf, kSweep, kSrc.c_str());
  return t.write("sweep.yaml", buf);
}

}  // namespace

TEST(Cli, SweepResumesAfterInterruptionWithIdenticalResults) {
  Tmp t;
  const std::string sw = sweep_file(t);
  const Result full = run("sweep " + sw + " --jobs 2 --no-progress --out " + t.s("full"));
  ASSERT_EQ(full.code, 0) << full.err;
  const CsvTable summary = read_csv(t.s("full/sweep_summary.csv"));
  EXPECT_EQ(summary.rows.size(), 8u);  // 2 points x 2 rows x 2 dataflows, one design each
  for (const char* p : {"plots/pareto.svg", "plots/layers_cycles.svg", "plots/layers_utilization.svg"}) {
    const std::string svg = slurp(t.s(std::string("full/") + p));
    EXPECT_EQ(svg.rfind("<svg", 0), 0u) << p;
    EXPECT_NE(svg.find(std::string(p).find("pareto") != std::string::npos ? "<circle" : "<rect x"), std::string::npos)
        << p;
  }
  // Interrupt a second sweep after its first point finishes, then resume.
  const std::string part = t.s("part");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const std::string log = t.s("part.log");
    ::freopen(log.c_str(), "w", stdout);
    ::freopen(log.c_str(), "a", stderr);
    ::execl(kExe.c_str(), kExe.c_str(), "sweep", sw.c_str(), "--jobs", "1", "--no-progress", "--out", part.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  auto finished = [&] {
    int n = 0;
    if (fs::exists(part + "/points"))
      for (const auto& e : fs::directory_iterator(part + "/points")) n += result_set_complete(e.path().string());
    return n;
  };
  while (finished() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int done_before = finished();
  ASSERT_GE(done_before, 1);
  // Interrupted runs finish or abandon their result set whole: no temporaries left.
  for (const auto& e : fs::recursive_directory_iterator(part))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "left " << e.path();
  if (done_before < 8) {
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 130) << slurp(t.s("part.log"));
    EXPECT_FALSE(fs::exists(part + "/sweep_summary.csv"));
  }
  const Result resumed = run("sweep " + sw + " --jobs 2 --no-progress --out " + part);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(std::to_string(done_before) + " already done"), std::string::npos) << resumed.out;
  EXPECT_EQ(slurp(part + "/sweep_summary.csv"), slurp(t.s("full/sweep_summary.csv")));
  EXPECT_EQ(slurp(part + "/sweep_layers.csv"), slurp(t.s("full/sweep_layers.csv")));
}

TEST(Cli, ShardsMergeToTheUnshardedResult) {
  Tmp t;
  const std::string sw = sweep_file(t);
  ASSERT_EQ(run("sweep " + sw + " --jobs 2 --no-progress --out " + t.s("full")).code, 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
        run("sweep " + sw + " --no-progress --shard " + std::to_string(i) + "/3 --out " + t.s("s" + std::to_string(i)))
            .code,
        0);
  // Missing shards are an error naming the points.
  const Result partial = run("merge " + t.s("s0") + " " + t.s("s1") + " --out " + t.s("m"));
  EXPECT_EQ(partial.code, 2);
  EXPECT_NE(partial.err.find("points have no result"), std::string::npos) << partial.err;
  EXPECT_FALSE(fs::exists(t.s("m/sweep_summary.csv")));  // nothing written
  EXPECT_FALSE(fs::exists(t.s("m/points.csv")));
  const Result m = run("merge " + t.s("s0") + " " + t.s("s1") + " " + t.s("s2") + " --out " + t.s("m"));
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(slurp(t.s("m/sweep_summary.csv")), slurp(t.s("full/sweep_summary.csv")));
  EXPECT_TRUE(fs::exists(t.s("m/plots/pareto.svg")));
  // The merged report: every point, the plots inline.
  const std::string html = slurp(t.s("m/report.html"));
  EXPECT_NE(html.find("sparq-sim sweep: 8 points"), std::string::npos);
  EXPECT_NE(html.find("every point has its result"), std::string::npos);
  EXPECT_GE(std::count(html.begin(), html.end(), '\n'), 100);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("layers_mult_utilization.svg"), std::string::npos);
}

// A sweep whose definition changed (here its `set:`) must not reuse the old
// points' results when it resumes.
TEST(Cli, ChangedSweepDoesNotReuseStaleResults) {
  Tmp t;
  auto write = [&](int pixels) {
    return t.write("s.yaml", "base: " + kSrc +
                                 "/configs/base.yaml\nset: {trace.layers: [conv2d_79], trace.max_pixels: " +
                                 std::to_string(pixels) + "}\npoints: [{name: a, set: {pe.design: int8}}]\n");
  };
  ASSERT_EQ(run("sweep " + write(4) + " --no-progress --out " + t.s("o")).code, 0);
  const Result again = run("sweep " + write(8) + " --no-progress --out " + t.s("o"));
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 already done, 1 to run"), std::string::npos) << again.out;
  const CsvTable s = read_csv(t.s("o/sweep_summary.csv"));
  const int c = s.column_prefix("throughput.macs");
  ASSERT_GE(c, 0);
  EXPECT_EQ(s.rows.at(0)[static_cast<std::size_t>(c)], std::to_string(8 * 384 * 3 * 384));  // 8 pixels of conv2d_79
}

// With several designs, --vcd writes one waveform per design and layer and
// says where each went.
TEST(Cli, VcdWithSeveralDesignsSaysWhereTheFilesWent) {
  Tmp t;
  const Result r =
      run("run configs/base.yaml --set trace.layers=[conv2d_79] --set trace.max_pixels=2 "
          "--set 'compare=[{design: int8}, {design: vsparq}]' --set output.vcd.last_cycle=20 "
          "--quiet --out " +
          t.s("o") + " --vcd " + t.s("w.vcd"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("waveforms (2 files"), std::string::npos) << r.err;
  for (const char* f : {"o/int8.conv2d_79.vcd", "o/vsparq-5opt.conv2d_79.vcd"}) {
    EXPECT_TRUE(fs::exists(t.s(f))) << f;
    EXPECT_NE(r.err.find(t.s(f)), std::string::npos) << r.err;
  }
}

// `sweep --set` applies to every point after the sweep file's own `set`, is
// part of every point's id (a resume or a shard with the same --set sees the
// same points, another --set other points), and is refused for a key the
// points or axes vary, or when malformed, with one line naming the key.
TEST(Cli, SweepSetOverridesEveryPointAndIsPartOfItsId) {
  Tmp t;
  const std::string sw = sweep_file(t);  // 8 points at trace.max_pixels: 16
  const std::string set = " --set trace.max_pixels=4 --set simulation.max_memory=4GiB";
  const Result dry = run("sweep " + sw + " --dry-run");
  const Result dry_set = run("sweep " + sw + " --dry-run" + set);
  ASSERT_EQ(dry.code, 0) << dry.err;
  ASSERT_EQ(dry_set.code, 0) << dry_set.err;
  EXPECT_NE(dry.out, dry_set.out);  // other ids
  const Result whole = run("sweep " + sw + " --jobs 2 --no-progress --out " + t.s("o") + set);
  ASSERT_EQ(whole.code, 0) << whole.err;
  const CsvTable s = read_csv(t.s("o/sweep_summary.csv"));
  ASSERT_EQ(s.rows.size(), 8u);
  const int macs = s.column_prefix("throughput.macs [MAC]");
  ASSERT_GE(macs, 0);
  for (const auto& r : s.rows) EXPECT_EQ(r[static_cast<std::size_t>(macs)], std::to_string(4 * 384 * 3 * 384));
  const std::string cfg =
      slurp(t.s("o/points") + "/" + dry_set.out.substr(0, dry_set.out.find(' ')) + "/effective_config.yaml");
  EXPECT_NE(cfg.find("max_pixels: 4"), std::string::npos) << cfg;
  // Resumed with the same --set: nothing re-runs.
  const Result again = run("sweep " + sw + " --no-progress --out " + t.s("o") + set);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("8 already done, 0 to run"), std::string::npos) << again.out;
  // Shards given the same --set merge into the same result; a shard without it is another sweep.
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(run("sweep " + sw + " --no-progress --shard " + std::to_string(i) + "/2 --out " +
                  t.s("s" + std::to_string(i)) + set)
                  .code,
              0);
  const Result m = run("merge " + t.s("s0") + " " + t.s("s1") + " --out " + t.s("m"));
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(slurp(t.s("m/sweep_summary.csv")), slurp(t.s("o/sweep_summary.csv")));
  ASSERT_EQ(run("sweep " + sw + " --no-progress --shard 1/2 --out " + t.s("x1")).code, 0);
  const Result mixed = run("merge " + t.s("s0") + " " + t.s("x1") + " --out " + t.s("mx"));
  EXPECT_EQ(mixed.code, 2);
  EXPECT_NE(mixed.err.find("different sweeps"), std::string::npos) << mixed.err;
  // Errors: exit 2, one line naming the key.
  const struct {
    std::string args, expect;
  } bad[] = {{"--set array.rows=32", "--set array.rows: " + sw + " varies this key"},
             {"--set pe.design=int4", "--set pe.design: " + sw + " varies this key"},
             {"--set trace.max_pixels", "--set trace.max_pixels: expected key.path=value"},
             {"--set array.cols=wide", "array.cols"},
             {"--set array.colz=4", "array.colz: is not a known key"}};
  for (const auto& b : bad) {
    const Result r = run("sweep " + sw + " --no-progress --out " + t.s("bad") + " " + b.args);
    EXPECT_EQ(r.code, 2) << b.args << ": " << r.err;
    EXPECT_NE(r.err.find(b.expect), std::string::npos) << b.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << b.args << ": " << r.err;
    EXPECT_FALSE(fs::exists(t.s("bad"))) << b.args;
  }
}

// A sweep (and a merge) ends with a table on stdout: one row per point and
// design with its cycles, MAC/cycle, error, energy and area, the figures of
// sweep_summary.csv.
TEST(Cli, SweepEndsWithASummaryTable) {
  Tmp t;
  const std::string sw = sweep_file(t);
  const Result r = run("sweep " + sw + " --jobs 2 --no-progress --out " + t.s("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  const CsvTable s = read_csv(t.s("o/sweep_summary.csv"));
  ASSERT_EQ(s.rows.size(), 8u);
  std::vector<std::string> lines;
  {
    std::stringstream ss(r.out);
    std::string l;
    while (std::getline(ss, l)) lines.push_back(l);
  }
  const auto head =
      std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("point", 0) == 0; });
  ASSERT_NE(head, lines.end()) << r.out;
  for (const char* c : {"design", "cycles", "MAC/cycle", "SQNR i8 [dB]", "relL2 fl", "pJ/MAC", "area [um^2]"})
    EXPECT_NE(head->find(c), std::string::npos) << c << " in " << *head;
  ASSERT_GE(lines.end() - head, 9) << r.out;
  auto col = [&](const char* name) { return static_cast<std::size_t>(s.column_prefix(name)); };
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    const std::string& line = *(head + 1 + static_cast<std::ptrdiff_t>(i));
    const auto& row = s.rows[i];
    EXPECT_EQ(line.rfind(row[col("label")] + " ", 0), 0u) << line;  // the point's label first
    EXPECT_NE(line.find(" " + row[col("design")] + " "), std::string::npos) << line;
    EXPECT_NE(line.find(" " + row[col("cycles.total [cycle]")] + " "), std::string::npos) << line;
    char mpc[32];
    std::snprintf(mpc, sizeof mpc, " %.2f ", std::stod(row[col("throughput.macs_per_cycle [MAC/cycle]")]));
    EXPECT_NE(line.find(mpc), std::string::npos) << mpc << " in " << line;
    char area[32];
    std::snprintf(area, sizeof area, " %.0f", std::stod(row[col("area.array [um^2]")]));
    EXPECT_EQ(line.substr(line.size() - std::strlen(area)), area) << line;
  }
  // merge prints the same table.
  const Result m = run("merge " + t.s("o") + " --out " + t.s("m"));
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.out.find(*(head + 1)), std::string::npos) << m.out;
}

// `run -q` prints no table, but still one line saying where the results went.
TEST(Cli, QuietRunSaysWhereResultsWent) {
  Tmp t;
  const Result q =
      run("run configs/base.yaml --set trace.max_pixels=8 --set trace.layers=[conv2d_79] -q --out " + t.s("o"));
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(std::count(q.out.begin(), q.out.end(), '\n'), 1) << q.out;
  EXPECT_EQ(q.out.rfind("results: " + t.s("o/results.json"), 0), 0u) << q.out;
  EXPECT_TRUE(fs::exists(t.s("o/results.json")));
  const Result loud =
      run("run configs/base.yaml --set trace.max_pixels=8 --set trace.layers=[conv2d_79] --out " + t.s("o"));
  ASSERT_EQ(loud.code, 0) << loud.err;
  EXPECT_NE(loud.out.find("\nresults: " + t.s("o/results.json")), std::string::npos) << loud.out;
}
