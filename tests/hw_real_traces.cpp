// The array on the shipped real layers (traces/*/): whole small layers in the
// fast model against the reference engine (every design, both dataflows), and
// the structural model against the fast model on slices of real GEMMs (first
// output rows) so that the run stays short.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "array_sim.h"
#include "bundle.h"
#include "gemm.h"
#include "hw_test_util.h"

namespace fs = std::filesystem;
using namespace sparq;
using namespace sparq::hw;

namespace {

struct RealLayer {
  BundleManifest bundle;
  LayerInfo info;
};

// The `count` real layers with the fewest MACs over all shipped bundles
// (signed-activation layers excluded: they run under int8 only).
std::vector<RealLayer> smallest_layers(std::size_t count) {
  std::vector<RealLayer> all;
  const fs::path dir = fs::path(SPARQ_SOURCE_DIR) / "traces";
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!fs::exists(e.path() / "manifest.yaml")) continue;
    const BundleManifest m = read_manifest(e.path().string());
    for (const auto& l : m.layers)
      if (!l.activation_signed) all.push_back({m, l});
  }
  std::sort(all.begin(), all.end(), [](const RealLayer& a, const RealLayer& b) {
    return a.info.geo.macs() < b.info.geo.macs() ||
           (a.info.geo.macs() == b.info.geo.macs() && a.info.name < b.info.name);
  });
  if (all.size() > count) all.resize(count);
  return all;
}

// Rows [0, rows) of a GEMM.
Gemm slice_rows(const Gemm& g, int rows) {
  Gemm s = g;
  s.M = std::min(rows, g.M);
  s.A.resize(static_cast<std::size_t>(s.M) * g.Kp);
  return s;
}

void check_layer(const RealLayer& L, const std::vector<hwtest::NamedDesign>& designs, int R, int C) {
  {
    const LayerTrace t = load_layer(L.bundle, L.info, false);
    for (const auto& d : designs)
      for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
        ArrayConfig cfg;
        cfg.rows = R;
        cfg.cols = C;
        cfg.dataflow = df;
        cfg.pe = d.pe;
        cfg.lod = LodPlacement::Edge;
        const LayerRun run = simulate_layer(L.info.geo, t.input.data(), t.weights.data(), cfg);
        const LayerResult ref = reference_layer(L.info.geo, t.input.data(), t.weights.data(), d.pe, 32);
        EXPECT_EQ(run.acc, ref.acc) << L.bundle.name << "/" << L.info.name << " " << d.name << " " << to_string(df);
        PeStats rs = ref.stats;
        rs.overflows = run.stats.acc_overflows;
        EXPECT_TRUE(run.stats.front_end == rs) << L.info.name << " " << d.name;
        EXPECT_EQ(run.stats.macs, static_cast<std::uint64_t>(L.info.geo.macs()));
        if (!consumes_pairs(d.pe.design)) {
          std::uint64_t offset = 0;
          for (int grp = 0; grp < L.info.geo.groups; ++grp) {
            const int M = L.info.geo.H_out() * L.info.geo.W_out(), N = L.info.geo.cout_per_group();
            offset += scalesim_offset(M, N, L.info.geo.K(), R, C, df);
          }
          EXPECT_EQ(run.stats.cycles, run.stats.scalesim_compute_cycles + offset) << L.info.name;
        }
        // Double buffering: the same accumulators, never more cycles.
        cfg.weight_buffering = WeightBuffering::Double;
        const LayerRun dbl = simulate_layer(L.info.geo, t.input.data(), t.weights.data(), cfg);
        EXPECT_EQ(dbl.acc, ref.acc) << L.info.name << " " << d.name << " " << to_string(df) << " double";
        EXPECT_LE(dbl.stats.cycles, run.stats.cycles) << L.info.name << " " << d.name << " " << to_string(df);
      }
  }
}

const RealLayer* find_layer(const std::vector<RealLayer>& all, const std::string& name) {
  for (const auto& l : all)
    if (l.info.name == name) return &l;
  return nullptr;
}

}  // namespace

// The two smallest real layers (MobileNetV2 depthwise convolutions, one GEMM
// per channel) under every design and both dataflows on an 8x8 array.
TEST(RealTraces, FastArrayMatchesReferenceOnSmallRealLayers) {
  const auto layers = smallest_layers(2);
  if (layers.empty()) GTEST_SKIP() << "no trace bundles shipped under traces/";
  for (const auto& L : layers) check_layer(L, hwtest::designs(), 8, 8);
}

// Real 1x1 convolution and dense layers on a 16x16 array (int8 and vsparq).
TEST(RealTraces, FastArrayMatchesReferenceOnRealPointwiseAndDense) {
  const auto all = smallest_layers(1000);
  if (all.empty()) GTEST_SKIP() << "no trace bundles shipped under traces/";
  const auto ds = hwtest::designs();
  const std::vector<hwtest::NamedDesign> some = {ds[0], ds[4]};
  int checked = 0;
  for (const char* name : {"block_13_project", "dense_1"})
    if (const RealLayer* L = find_layer(all, name)) {
      check_layer(*L, some, 16, 16);
      ++checked;
    }
  EXPECT_EQ(checked, 2);
}

// Structural == stepped == fast on real data: the first rows of each small
// real layer's first GEMM (group 0), on an array that does not divide it,
// with either weight buffering.
TEST(RealTraces, StructuralEqualsFastOnRealSlices) {
  const auto layers = smallest_layers(3);
  if (layers.empty()) GTEST_SKIP() << "no trace bundles shipped under traces/";
  for (const auto& L : layers) {
    const LayerTrace t = load_layer(L.bundle, L.info, false);
    const Gemm full = lower_conv(L.info.geo, t.input.data(), t.weights.data(), 0);
    Gemm g = slice_rows(full, 5);
    for (const PeArith& pe : {PeArith::int8(), PeArith::vsparq(4), PeArith::bsparq(preset("3opt"))})
      for (Dataflow df : {Dataflow::WS, Dataflow::OS})
        for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double}) {
          ArrayConfig cfg;
          cfg.weight_buffering = wb;
          cfg.rows = 3;
          cfg.cols = 5;
          cfg.dataflow = df;
          cfg.pe = pe;
          cfg.lod = df == Dataflow::WS ? LodPlacement::PE : LodPlacement::Edge;
          // Keep N small too: the first 7 output channels.
          Gemm s = g;
          s.N = std::min(7, g.N);
          s.B.resize(static_cast<std::size_t>(s.Kp) * s.N);
          for (int k = 0; k < s.Kp; ++k)
            for (int n = 0; n < s.N; ++n) s.B[static_cast<std::size_t>(k) * s.N + n] = g.b(k, n);
          const GemmRun fast = simulate_gemm(s, cfg);
          cfg.fidelity = Fidelity::Stepped;
          const GemmRun stepped = simulate_gemm(s, cfg);
          cfg.fidelity = Fidelity::Structural;
          const GemmRun st = simulate_gemm(s, cfg);
          const std::string what = L.info.name + " " + to_string(pe.design) + " " + to_string(df) + " " + to_string(wb);
          EXPECT_EQ(fast.C, reference_gemm(s, pe, 32, nullptr)) << what;
          EXPECT_EQ(st.C, fast.C) << what;
          EXPECT_TRUE(st.stats == fast.stats) << what;
          EXPECT_TRUE(stepped.stats == fast.stats) << what;
        }
  }
}
