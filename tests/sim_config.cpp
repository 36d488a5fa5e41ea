// Configuration: defaults, merging of several files, --set overrides, path
// resolution, and one clear error naming the file and key for every kind of
// bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config.h"
#include "errors.h"
#include "sim_test_util.h"

namespace fs = std::filesystem;
using namespace sparq;

namespace {

using Dir = testing_util::ScratchDir;

std::string error_of(const std::vector<std::string>& files, const std::vector<std::string>& sets = {}) {
  try {
    load_run_config(files, sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no error>";
}

const char* kMinimal = "trace:\n  bundle: bundles/b\n";

}  // namespace

TEST(Config, DefaultsAndPathResolution) {
  Dir d;
  const auto f = d.write("sub/run.yaml", kMinimal);
  const RunConfig c = load_run_config({f}, {});
  ASSERT_EQ(c.designs.size(), 1u);
  const auto& a = c.designs[0].array;
  EXPECT_EQ(a.rows, 16);
  EXPECT_EQ(a.cols, 16);
  EXPECT_EQ(a.dataflow, hw::Dataflow::WS);
  EXPECT_EQ(a.pe.design->name(), "vsparq");
  EXPECT_EQ(a.pe.window, preset("5opt"));
  EXPECT_EQ(a.acc_bits, 32);
  EXPECT_EQ(c.designs[0].name, "vsparq-5opt");
  // Relative to the file, not the working directory.
  EXPECT_EQ(c.bundle, (d.path / "sub/bundles/b").lexically_normal().string());
  // --set paths are relative to the working directory.
  EXPECT_EQ(load_run_config({f}, {"trace.bundle=x/y"}).bundle, "x/y");
  EXPECT_NE(c.effective_yaml.find("rounding: round"), std::string::npos);
}

TEST(Config, MergeOrderAndOverrides) {
  Dir d;
  const auto base = d.write(
      "base.yaml", std::string(kMinimal) + "array: {rows: 8, cols: 4}\npe: {design: bsparq, shift_set: 3opt}\n");
  const auto pe = d.write("pe.yaml", "pe: {design: vsparq, budget: 3}\n");
  const auto arr = d.write("arr.yaml", "array: {dataflow: os}\n");
  const RunConfig c = load_run_config({base, pe, arr}, {"array.cols=5", "pe.rounding=trunc"});
  const auto& a = c.designs[0].array;
  EXPECT_EQ(a.rows, 8);  // from base
  EXPECT_EQ(a.cols, 5);  // --set wins
  EXPECT_EQ(a.dataflow, hw::Dataflow::OS);
  EXPECT_EQ(a.pe.design->name(), "vsparq");
  EXPECT_EQ(a.pe.shift_label, "6opt/6b-3opt");
  EXPECT_EQ(a.pe.window, preset("6opt", Rounding::Trunc));
  EXPECT_EQ(a.pe.partner, preset("6b-3opt", Rounding::Trunc));
}

TEST(Config, CompareListBuildsOneDesignEach) {
  Dir d;
  const auto f = d.write(
      "c.yaml", std::string(kMinimal) +
                    "pe: {rounding: trunc}\ncompare:\n  - {design: int8}\n  - {design: bsparq, shift_set: [4, 2, 0]}\n"
                    "  - {design: vsparq, budget: 2, name: tiny}\n  - {design: int4, lod: edge}\n");
  const RunConfig c = load_run_config({f}, {});
  ASSERT_EQ(c.designs.size(), 4u);
  EXPECT_EQ(c.designs[0].name, "int8");
  EXPECT_EQ(c.designs[1].array.pe.window.shift_mask, 0b10101);
  EXPECT_EQ(c.designs[1].array.pe.window.rounding, Rounding::Trunc);
  EXPECT_EQ(c.designs[1].name, "bsparq-{4,2,0}-trunc");
  EXPECT_EQ(c.designs[2].name, "tiny");
  EXPECT_EQ(c.designs[3].name, "int4-trunc-edge");
  EXPECT_EQ(c.designs[3].array.lod, hw::LodPlacement::Edge);
}

// The generalized vSPARQ: lane and partner windows are keys; budgets 3 and 2
// are presets of them.
TEST(Config, GeneralizedVsparqKeys) {
  Dir d;
  const auto f = d.write("c.yaml",
                         "trace: {bundle: b}\ncompare:\n"
                         "  - {design: vsparq, shift_set: 5opt, partner_shift_set: [4, 2, 0], partner_bits: 6}\n"
                         "  - {design: vsparq, shift_set: 6opt, partner_shift_set: 6b-3opt, name: b3-by-keys}\n"
                         "  - {design: vsparq, budget: 3}\n"
                         "  - {design: vsparq, budget: 2, partner_shift_set: 3opt}\n");
  const RunConfig c = load_run_config({f}, {}, false);
  ASSERT_EQ(c.designs.size(), 4u);
  const PeArith& g = c.designs[0].array.pe;
  EXPECT_EQ(g.window, preset("5opt"));
  EXPECT_EQ(g.partner, (WindowSpec{6, 0b10101, Rounding::Round}));
  EXPECT_EQ(c.designs[0].name, "vsparq-5opt/{4,2,0}");
  EXPECT_TRUE(c.designs[1].array.pe == c.designs[2].array.pe);
  EXPECT_EQ(c.designs[1].array.pe.label(), "vsparq-b3");
  EXPECT_EQ(c.designs[2].name, "vsparq-b3");
  EXPECT_EQ(c.designs[3].array.pe.window, preset("7opt"));
  EXPECT_EQ(c.designs[3].array.pe.partner, preset("3opt"));
  EXPECT_EQ(c.designs[3].name, "vsparq-7opt/3opt");
  // The effective configuration reproduces every design.
  const auto eff = d.write("eff.yaml", c.effective_yaml);
  const RunConfig again = load_run_config({eff}, {}, false);
  for (std::size_t i = 0; i < c.designs.size(); ++i) {
    EXPECT_TRUE(again.designs[i].array.pe == c.designs[i].array.pe) << c.designs[i].name;
    EXPECT_EQ(again.designs[i].name, c.designs[i].name);
  }
  // A partner wider than the two combined lanes is refused, naming the key.
  const auto e = d.write(
      "bad2.yaml", "trace: {bundle: b}\npe: {design: vsparq, budget: 2, partner_shift_set: [3, 0], partner_bits: 5}\n");
  try {
    load_run_config({e}, {}, false);
    ADD_FAILURE() << "a 5-bit partner on 2-bit lanes was accepted";
  } catch (const InputError& x) {
    EXPECT_NE(std::string(x.what()).find("pe.partner_shift_set: the partner window (5 bits) must fit"),
              std::string::npos)
        << x.what();
  }
}

TEST(Config, BadInputNamesFileAndKey) {
  Dir d;
  const auto ok = d.write("ok.yaml", kMinimal);
  struct Case {
    std::string text;
    std::vector<std::string> sets;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"trace: {bundle: b}\narray: {rows: 16, colz: 3}\n", {}, "array.colz: is not a known key"},
      {"trace: {bundle: b}\narrey: {rows: 16}\n", {}, "arrey: is not a known section"},
      {"trace: {bundle: b}\narray: {rows: sixteen}\n", {}, "array.rows: must be an integer, got 'sixteen'"},
      {"trace: {bundle: b}\narray: {rows: 0}\n", {}, "array.rows: must be in 1..4096"},
      {"trace: {bundle: b}\narray: {dataflow: rs}\n", {}, "array.dataflow: unknown dataflow 'rs' (expected ws or os)"},
      {"trace: {bundle: b}\narray: {weight_buffering: triple}\n",
       {},
       "array.weight_buffering: unknown weight buffering 'triple' (expected single or double)"},
      {"trace: {bundle: b}\narray: {weight_buffering: [double]}\n", {}, "array.weight_buffering: must be a string"},
      {"trace: {bundle: b}\npe: {design: fp8}\n",
       {},
       "pe.design: unknown PE design 'fp8' (known: int8, int4, bsparq, vsparq)"},
      {"trace: {bundle: b}\npe: {design: bsparq, shift_set: [3, 2]}\n", {}, "pe.shift_set: shift set {3,2} with n=4"},
      {"trace: {bundle: b}\npe: {design: bsparq, shift_set: 9opt}\n", {}, "unknown shift-set preset '9opt'"},
      {"trace: {bundle: b}\npe: {accumulator_bits: 16}\n", {}, "pe.accumulator_bits: must be at least 17 for vsparq"},
      {"trace: {bundle: b}\npe: {accumulator_bits: 65}\n", {}, "pe.accumulator_bits: must be in 2..64, got 65"},
      {"trace: {bundle: b}\npe: {design: vsparq, budget: 5}\n", {}, "pe.budget: must be 4, 3 or 2"},
      {"trace: {bundle: b}\npe: {design: vsparq, window_bits: x}\n", {}, "pe.window_bits: must be an integer"},
      {"trace: {bundle: b}\npe: {design: vsparq, partner_bits: x}\n", {}, "pe.partner_bits: must be an integer"},
      {"trace: {bundle: b}\npe: {rounding: nearest}\n",
       {},
       "pe.rounding: unknown rounding 'nearest' (expected trunc, round or round_renorm)"},
      {"trace: {bundle: b}\ncompare: [{design: int8}, {design: int8}]\n", {}, "both named 'int8'"},
      {"trace: {bundle: b}\ncompare: [{desing: int8}]\n", {}, "compare.0.desing: is not a known key"},
      {"array: {rows: 4}\n", {}, "trace.bundle: is required"},
      {"trace: {bundle: b}\narray: [1, 2]\n", {}, "array: must be a mapping"},
      {"trace: {bundle: b, max_pixels: -1}\n", {}, "trace.max_pixels: must be >= 0"},
      {"trace: {bundle: b}\noutput: {vcd: {path: x.vcd, pes: [[16, 0]]}}\n", {}, "outside the 16x16 array"},
      {"trace: {bundle: b}\narray: {rows: 16\n", {}, "malformed YAML"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto f = d.write("bad" + std::to_string(i) + ".yaml", cases[i].text);
    const std::string msg = error_of({f}, cases[i].sets);
    EXPECT_NE(msg.find(f), std::string::npos) << "case " << i << ": " << msg;
    EXPECT_NE(msg.find(cases[i].expect), std::string::npos) << "case " << i << ": " << msg;
  }
  // Errors from overrides name the --set.
  EXPECT_NE(error_of({ok}, {"array.rows=-3"}).find("--set array.rows: must be in 1..4096"), std::string::npos);
  EXPECT_NE(error_of({ok}, {"array.rowz=3"}).find("--set array.rowz"), std::string::npos);
  EXPECT_NE(error_of({ok}, {"norow"}).find("expected key.path=value"), std::string::npos);
  EXPECT_NE(error_of({d.write("dir/x", "")}, {}).find("trace.bundle: is required"), std::string::npos);
  EXPECT_NE(error_of({(d.path / "missing.yaml").string()}).find("configuration file not found"), std::string::npos);
  // The error names the file that set the bad key, not the last file merged.
  const auto bad_pe = d.write("badpe.yaml", "pe: {design: nope}\n");
  const auto arr = d.write("arr.yaml", "array: {rows: 4}\n");
  const auto msg = error_of({ok, bad_pe, arr});
  EXPECT_NE(msg.find(bad_pe + ": pe.design"), std::string::npos) << msg;
}

// effective_config.yaml is in the input schema: loading it again gives the
// same designs and settings.
TEST(Config, EffectiveConfigReloadsToTheSameRun) {
  Dir d;
  const auto f = d.write(
      "c.yaml", std::string("array: {rows: 8, cols: 12, dataflow: os, weight_buffering: double}\n"
                            "trace: {bundle: b, layers: [x, y], max_pixels: 7}\n") +
                    "compare:\n  - {design: int8}\n  - {design: bsparq, shift_set: [4, 2, 0], rounding: trunc}\n"
                    "  - {design: vsparq, budget: 2, lod: edge, accumulator_bits: 24}\n  - {design: int4}\n");
  const RunConfig a = load_run_config({f}, {"output.dir=out"});
  const auto eff = d.write("effective.yaml", a.effective_yaml);
  const RunConfig b = load_run_config({eff}, {});
  ASSERT_EQ(a.designs.size(), b.designs.size());
  for (std::size_t i = 0; i < a.designs.size(); ++i) {
    const auto &x = a.designs[i].array, &y = b.designs[i].array;
    EXPECT_EQ(a.designs[i].name, b.designs[i].name);
    EXPECT_EQ(x.rows, y.rows);
    EXPECT_EQ(x.cols, y.cols);
    EXPECT_EQ(x.dataflow, y.dataflow);
    EXPECT_EQ(x.weight_buffering, y.weight_buffering);
    EXPECT_EQ(x.weight_buffering, WeightBuffering::Double);
    EXPECT_EQ(x.lod, y.lod);
    EXPECT_EQ(x.acc_bits, y.acc_bits);
    EXPECT_EQ(x.pe.design, y.pe.design);
    EXPECT_EQ(x.pe.window, y.pe.window) << a.designs[i].name;
    EXPECT_EQ(x.pe.partner, y.pe.partner) << a.designs[i].name;
  }
  EXPECT_EQ(b.bundle, fs::absolute(a.bundle).lexically_normal().string());
  EXPECT_EQ(b.layers, a.layers);
  EXPECT_EQ(b.max_pixels, 7);
  EXPECT_EQ(b.output_dir, fs::absolute("out").lexically_normal().string());
  // Reloading is a fixed point: the same effective configuration (past its provenance comment).
  EXPECT_EQ(b.effective_yaml.substr(b.effective_yaml.find('\n')), a.effective_yaml.substr(a.effective_yaml.find('\n')));
}
