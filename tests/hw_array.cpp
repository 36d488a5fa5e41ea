// The systolic array against the reference engine: outputs bit for bit for
// every design, dataflow, leading-one placement and array shape (including
// arrays that do not divide the GEMM), front-end statistics equal to the
// reference's, cycle accounting, and the structural model equal to the fast
// model in every output and statistic.
#include <gtest/gtest.h>

#include <set>

#include "array_sim.h"
#include "fold_schedule.h"
#include "gemm.h"
#include "hw_test_util.h"

using namespace sparq;
using namespace sparq::hw;

namespace {

const std::vector<std::pair<int, int>> kShapes = {{1, 1}, {1, 4}, {4, 1}, {2, 2}, {3, 5}, {4, 4}, {7, 3}, {5, 8}};

ArrayConfig make_cfg(int R, int C, Dataflow df, LodPlacement lod, const PeArith& pe, Fidelity f = Fidelity::Fast,
                     int acc_bits = 32) {
  ArrayConfig cfg;
  cfg.rows = R;
  cfg.cols = C;
  cfg.dataflow = df;
  cfg.lod = lod;
  cfg.pe = pe;
  cfg.fidelity = f;
  cfg.acc_bits = acc_bits;
  return cfg;
}

std::string label(const ArrayConfig& c, const std::string& design) {
  return design + " " + to_string(c.dataflow) + " lod=" + to_string(c.lod) + " " + std::to_string(c.rows) + "x" +
         std::to_string(c.cols) + " " + to_string(c.fidelity) + " " + to_string(c.weight_buffering);
}

// Prints the ArrayStats counters that differ (for equality failures).
std::string stat_diff(const ArrayStats& a, const ArrayStats& b) {
  std::string d;
  for (const ArrayStatDef& s : array_stat_defs())
    if (s.counter && a.*s.counter != b.*s.counter)
      d += " " + s.name + " " + std::to_string(a.*s.counter) + " vs " + std::to_string(b.*s.counter) + ";";
  if (!(a.front_end == b.front_end)) d += " front_end;";
  return d;
}

void expect_consistent(const Gemm& g, const ArrayConfig& cfg, const GemmRun& run, const std::string& what) {
  const ArrayStats& s = run.stats;
  PeStats ref_stats;
  const auto ref = reference_gemm(g, cfg.pe, cfg.acc_bits, &ref_stats);
  EXPECT_EQ(run.C, ref) << what;
  ref_stats.overflows = s.acc_overflows;
  EXPECT_TRUE(s.front_end == ref_stats) << what;
  EXPECT_EQ(s.weight_load + s.fill + s.stream + s.drain, s.cycles) << what;
  EXPECT_EQ(s.macs, static_cast<std::uint64_t>(g.M) * g.N * g.K) << what;
  const std::uint64_t st = static_cast<std::uint64_t>(hwtest::steps(g, cfg.pe));
  EXPECT_EQ(s.pe_active_cycles, static_cast<std::uint64_t>(g.M) * g.N * st) << what;
  EXPECT_EQ(s.pe_cycles_available, static_cast<std::uint64_t>(cfg.rows) * cfg.cols * s.cycles) << what;
  const std::uint64_t single =
      s.scalesim_compute_cycles + scalesim_offset(g.M, g.N, st, cfg.rows, cfg.cols, cfg.dataflow);
  if (cfg.weight_buffering == WeightBuffering::Single) {
    EXPECT_EQ(s.cycles, single) << what;
  } else {
    // Double buffering: FoldSchedule's cycles, never more than single buffering's.
    EXPECT_EQ(
        s.cycles,
        FoldSchedule(cfg.dataflow, cfg.weight_buffering, cfg.rows, cfg.cols, g.M, g.N, static_cast<int>(st)).cycles())
        << what;
    EXPECT_LE(s.cycles, single) << what;
  }
  // Energy-proxy detail: register loads by class add up, the weight side is
  // part of the multiplier-input toggles, and every one-zero vsparq pair is a
  // combined multiply in each of the N output columns.
  EXPECT_EQ(s.act_reg_writes + s.weight_reg_writes + s.psum_reg_writes, s.reg_writes) << what;
  EXPECT_LE(s.mult_weight_toggles, s.mult_input_toggles) << what;
  EXPECT_GT(s.mult_weight_toggles, 0u) << what;
  EXPECT_EQ(s.combined_multiplies,
            cfg.pe.design->detects_zeros() ? ref_stats.one_zero() * static_cast<std::uint64_t>(g.N) : 0u)
      << what;
  const bool pair_design = consumes_pairs(cfg.pe.design);
  const std::uint64_t m_visits = static_cast<std::uint64_t>(g.M) * st;  // encoder inputs per column fold
  const std::uint64_t col_folds = static_cast<std::uint64_t>((g.N + cfg.cols - 1) / cfg.cols);
  if (pair_design && cfg.lod == LodPlacement::Edge) {
    EXPECT_EQ(s.lod_edge_encodings, m_visits * col_folds) << what;
    EXPECT_EQ(s.lod_pe_encodings, 0u) << what;
  } else if (pair_design) {
    EXPECT_EQ(s.lod_pe_encodings, m_visits * col_folds * static_cast<std::uint64_t>(cfg.cols)) << what;
    EXPECT_EQ(s.lod_edge_encodings, 0u) << what;
  } else {
    EXPECT_EQ(s.lod_pe_encodings + s.lod_edge_encodings, 0u) << what;
  }
}

}  // namespace

// Every design x dataflow x LOD placement x array shape on a GEMM no shape
// divides (M = 11, N = 9, K = 13 odd): bit-exact outputs and consistent stats.
TEST(ArrayFast, MatchesReferenceEverywhere) {
  std::mt19937 rng(hwtest::seed());
  const Gemm g = hwtest::random_gemm(11, 9, 13, rng);
  for (const auto& d : hwtest::designs())
    for (Dataflow df : {Dataflow::WS, Dataflow::OS})
      for (LodPlacement lod : {LodPlacement::PE, LodPlacement::Edge})
        for (const auto& [R, C] : kShapes) {
          const ArrayConfig cfg = make_cfg(R, C, df, lod, d.pe);
          expect_consistent(g, cfg, simulate_gemm(g, cfg), label(cfg, d.name));
        }
}

// Random GEMM shapes (seeded) including M, N, K smaller than the array.
TEST(ArrayFast, MatchesReferenceOnRandomShapes) {
  std::mt19937 rng(hwtest::seed() + 1);
  std::uniform_int_distribution<int> dim(1, 20), arr(1, 9);
  const auto ds = hwtest::designs();
  for (int it = 0; it < 60; ++it) {
    const Gemm g = hwtest::random_gemm(dim(rng), dim(rng), dim(rng), rng, 0.5);
    const auto& d = ds[static_cast<std::size_t>(it) % ds.size()];
    const ArrayConfig cfg = make_cfg(arr(rng), arr(rng), it % 2 ? Dataflow::OS : Dataflow::WS,
                                     (it / 2) % 2 ? LodPlacement::Edge : LodPlacement::PE, d.pe);
    expect_consistent(
        g, cfg, simulate_gemm(g, cfg),
        label(cfg, d.name) + " M=" + std::to_string(g.M) + " N=" + std::to_string(g.N) + " K=" + std::to_string(g.K));
  }
}

// Signed activations run under int8 and are rejected by the pair designs.
TEST(ArrayFast, SignedActivations) {
  std::mt19937 rng(hwtest::seed() + 2);
  const Gemm g = hwtest::random_gemm(6, 5, 9, rng, 0.2, true);
  for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
    const ArrayConfig cfg = make_cfg(3, 2, df, LodPlacement::PE, PeArith::int8());
    expect_consistent(g, cfg, simulate_gemm(g, cfg), "signed int8");
    EXPECT_THROW(simulate_gemm(g, make_cfg(3, 2, df, LodPlacement::PE, PeArith::vsparq(4))), std::invalid_argument);
  }
}

// Narrow accumulators wrap like the reference. The os accumulators add in the
// reference's order, so their overflow count is the reference's; so is ws
// with one K fold (the psum chain adds top to bottom in k order).
TEST(ArrayFast, AccumulatorOverflowWrapsAndCounts) {
  std::mt19937 rng(hwtest::seed() + 3);
  const Gemm g = hwtest::random_gemm(7, 5, 12, rng, 0.1);
  for (const auto& d : hwtest::designs())
    for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
      const int R = df == Dataflow::WS ? 16 : 3;  // ws: a single K fold
      const ArrayConfig cfg = make_cfg(R, 2, df, LodPlacement::PE, d.pe, Fidelity::Fast, 14);
      PeStats ref_stats;
      const auto ref = reference_gemm(g, cfg.pe, 14, &ref_stats);
      const GemmRun run = simulate_gemm(g, cfg);
      EXPECT_EQ(run.C, ref) << d.name;
      EXPECT_GT(run.stats.acc_overflows, 0u) << d.name;
      EXPECT_EQ(run.stats.acc_overflows, ref_stats.overflows) << d.name << " " << to_string(df);
      EXPECT_TRUE(run.stats.front_end == ref_stats) << d.name;
    }
  // ws with several K folds: wrapped outputs still equal; the count is the
  // hardware's (psum chains plus output accumulators).
  const ArrayConfig cfg = make_cfg(2, 2, Dataflow::WS, LodPlacement::PE, PeArith::int8(), Fidelity::Fast, 14);
  EXPECT_EQ(simulate_gemm(g, cfg).C, reference_gemm(g, cfg.pe, 14, nullptr));
}

// The structural model equals the fast model in every output and statistic,
// with either weight buffering.
TEST(ArrayStructural, EqualsFastEverywhere) {
  std::mt19937 rng(hwtest::seed() + 4);
  const Gemm g = hwtest::random_gemm(6, 5, 9, rng);
  const std::vector<std::pair<int, int>> shapes = {{1, 1}, {2, 3}, {3, 2}};
  for (const auto& d : hwtest::designs())
    for (Dataflow df : {Dataflow::WS, Dataflow::OS})
      for (LodPlacement lod : {LodPlacement::PE, LodPlacement::Edge})
        for (const auto& [R, C] : shapes)
          for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double}) {
            ArrayConfig cfg = make_cfg(R, C, df, lod, d.pe);
            cfg.weight_buffering = wb;
            const GemmRun fast = simulate_gemm(g, cfg);
            cfg.fidelity = Fidelity::Structural;
            const GemmRun st = simulate_gemm(g, cfg);
            const std::string what = label(cfg, d.name);
            EXPECT_EQ(st.C, fast.C) << what;
            EXPECT_TRUE(st.stats == fast.stats)
                << what << ": cycles " << st.stats.cycles << " vs " << fast.stats.cycles << ", mult toggles "
                << st.stats.mult_input_toggles << " vs " << fast.stats.mult_input_toggles;
            expect_consistent(g, cfg, st, what);
          }
}

// Overflow counting and multi-fold accumulation agree between fidelities too.
TEST(ArrayStructural, EqualsFastWithOverflowAndFolds) {
  std::mt19937 rng(hwtest::seed() + 5);
  const Gemm g = hwtest::random_gemm(9, 7, 17, rng, 0.1);
  for (Dataflow df : {Dataflow::WS, Dataflow::OS})
    for (const PeArith& pe : {PeArith::int8(), PeArith::vsparq(4)})
      for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double}) {
        ArrayConfig cfg = make_cfg(3, 2, df, LodPlacement::Edge, pe, Fidelity::Fast, 13);
        cfg.weight_buffering = wb;
        const GemmRun fast = simulate_gemm(g, cfg);
        cfg.fidelity = Fidelity::Structural;
        const GemmRun st = simulate_gemm(g, cfg);
        EXPECT_EQ(st.C, fast.C);
        EXPECT_GT(st.stats.acc_overflows, 0u);
        EXPECT_TRUE(st.stats == fast.stats)
            << label(cfg, to_string(pe.design)) << ":" << stat_diff(st.stats, fast.stats);
      }
}

// Many structural runs in one process, each in a fresh simulation context.
TEST(ArrayStructural, RepeatableInOneProcess) {
  std::mt19937 rng(hwtest::seed() + 6);
  const Gemm g = hwtest::random_gemm(4, 3, 6, rng);
  const ArrayConfig cfg =
      make_cfg(2, 2, Dataflow::OS, LodPlacement::PE, PeArith::bsparq(preset("5opt")), Fidelity::Structural);
  const GemmRun first = simulate_gemm(g, cfg);
  for (int i = 0; i < 5; ++i) {
    const GemmRun again = simulate_gemm(g, cfg);
    EXPECT_EQ(again.C, first.C);
    EXPECT_TRUE(again.stats == first.stats);
  }
}

// A grouped (depthwise) and a plain convolution through simulate_layer: the
// accumulators of the reference layer; the groups' cycles add.
TEST(ArrayLayer, GroupedConvolutionMatchesReferenceLayer) {
  std::mt19937 rng(hwtest::seed() + 7);
  ConvGeometry geo;
  geo.H = 6;
  geo.W = 5;
  geo.C_in = 4;
  geo.C_out = 8;
  geo.KH = geo.KW = 3;
  geo.pad_top = geo.pad_bottom = geo.pad_left = geo.pad_right = 1;
  geo.groups = 4;
  std::vector<std::uint8_t> in(static_cast<std::size_t>(geo.H) * geo.W * geo.C_in);
  std::vector<std::int8_t> w(static_cast<std::size_t>(geo.KH) * geo.KW * geo.cin_per_group() * geo.C_out);
  for (auto& x : in) x = rng() % 3 == 0 ? 0 : static_cast<std::uint8_t>(rng() & 0xFF);
  for (auto& x : w) x = static_cast<std::int8_t>(static_cast<std::uint8_t>(rng() & 0xFF));
  for (const auto& d : hwtest::designs())
    for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
      const ArrayConfig cfg = make_cfg(4, 3, df, LodPlacement::Edge, d.pe);
      const LayerRun run = simulate_layer(geo, in.data(), w.data(), cfg);
      const LayerResult ref = reference_layer(geo, in.data(), w.data(), d.pe, 32);
      EXPECT_EQ(run.acc, ref.acc) << d.name;
      EXPECT_EQ(run.stats.gemms, 4u);
      std::uint64_t cycles = 0;
      for (int grp = 0; grp < geo.groups; ++grp)
        cycles += simulate_gemm(lower_conv(geo, in.data(), w.data(), grp), cfg).stats.cycles;
      EXPECT_EQ(run.stats.cycles, cycles) << d.name;
      PeStats ref_stats = ref.stats;
      ref_stats.overflows = run.stats.acc_overflows;
      EXPECT_TRUE(run.stats.front_end == ref_stats) << d.name;
    }
}

TEST(ArrayConfig, ValidateRejectsBadValues) {
  ArrayConfig cfg;
  EXPECT_NO_THROW(cfg.validate());
  cfg.rows = 0;
  EXPECT_THROW(cfg.validate(), std::invalid_argument);
  cfg.rows = 3;
  cfg.cols = -1;
  EXPECT_THROW(cfg.validate(), std::invalid_argument);
  cfg.cols = 3;
  cfg.acc_bits = 1;
  EXPECT_THROW(cfg.validate(), std::invalid_argument);
  cfg.acc_bits = 65;
  EXPECT_THROW(cfg.validate(), std::invalid_argument);
  cfg.acc_bits = 64;
  EXPECT_NO_THROW(cfg.validate());
  EXPECT_EQ(parse_enum<Dataflow>("os"), Dataflow::OS);
  EXPECT_EQ(parse_enum<LodPlacement>("edge"), LodPlacement::Edge);
  EXPECT_EQ(parse_enum<Fidelity>("structural"), Fidelity::Structural);
  EXPECT_THROW(parse_enum<Dataflow>("is"), std::invalid_argument);
  Gemm empty;
  EXPECT_THROW(simulate_gemm(empty, cfg), std::invalid_argument);
}

// 64-bit accumulators: the adders wrap modulo 2^64 without undefined behaviour.
TEST(ArrayFast, SixtyFourBitAccumulator) {
  std::mt19937 rng(hwtest::seed() + 8);
  const Gemm g = hwtest::random_gemm(5, 4, 10, rng);
  for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
    const ArrayConfig cfg = make_cfg(2, 3, df, LodPlacement::PE, PeArith::vsparq(4), Fidelity::Fast, 64);
    EXPECT_EQ(simulate_gemm(g, cfg).C, reference_gemm(g, cfg.pe, 64, nullptr));
  }
}

// Every ArrayStats counter is declared once in array_stat_defs(), and merge
// and equality cover exactly the declared counters.
TEST(ArrayStats, EveryCounterIsDeclaredAndMergedAndCompared) {
  EXPECT_EQ(array_stat_counters() * sizeof(std::uint64_t) + sizeof(PeStats), sizeof(ArrayStats));
  ArrayStats a;
  std::uint64_t v = 1;
  for (const ArrayStatDef& d : array_stat_defs())
    if (d.counter) a.*d.counter = v++;
  ArrayStats b = a;
  b.merge(a);
  for (const ArrayStatDef& d : array_stat_defs())
    if (d.counter) {
      EXPECT_EQ(b.*d.counter, d.peak ? a.*d.counter : 2 * (a.*d.counter)) << d.name;  // peaks merge by max
      ArrayStats c = a;
      ++(c.*d.counter);
      EXPECT_FALSE(c == a) << d.name;
    }
  std::set<std::string> names;
  for (const ArrayStatDef& d : array_stat_defs()) {
    EXPECT_TRUE(names.insert(d.group + "." + d.name).second) << d.group << "." << d.name;
    EXPECT_FALSE(d.unit.empty()) << d.name;
    EXPECT_FALSE(d.desc.empty()) << d.name;
    EXPECT_TRUE(d.counter || d.derived) << d.name;
  }
}

// The fold model (fast) equals the cycle-stepped model in every output and
// statistic: random shapes (arrays larger and smaller than the GEMM, one row
// or column), every design, both dataflows and LOD placements, narrow
// accumulators that overflow, signed int8 activations, both weight
// bufferings.
TEST(ArrayFast, FoldModelEqualsSteppedModel) {
  std::mt19937 rng(hwtest::seed() + 11);
  std::uniform_int_distribution<int> dim(1, 9), arr(1, 6), acc(0, 7);
  const int accs[] = {2, 5, 12, 17, 31, 32, 33, 64};
  int cases = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int big = trial % 10 == 9 ? 4 : 1;  // now and then a GEMM of several folds each way
    const int M = dim(rng) * big, N = dim(rng) * big, K = (dim(rng) + dim(rng)) * big;
    const bool signed_act = trial % 7 == 3;
    const Gemm g = hwtest::random_gemm(M, N, K, rng, trial % 3 == 0 ? 0.7 : 0.3, signed_act);
    const int R = arr(rng), C = arr(rng), bits = accs[acc(rng)];
    for (const auto& d : hwtest::designs()) {
      if (signed_act && consumes_pairs(d.pe.design)) continue;
      for (Dataflow df : {Dataflow::WS, Dataflow::OS})
        for (LodPlacement lod : {LodPlacement::PE, LodPlacement::Edge})
          for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double}) {
            ArrayConfig cfg = make_cfg(R, C, df, lod, d.pe, Fidelity::Stepped, bits);
            cfg.weight_buffering = wb;
            const GemmRun stepped = simulate_gemm(g, cfg);
            cfg.fidelity = Fidelity::Fast;
            const GemmRun fold = simulate_gemm(g, cfg);
            const std::string what = label(cfg, d.name) + " M=" + std::to_string(M) + " N=" + std::to_string(N) +
                                     " K=" + std::to_string(K) + " acc=" + std::to_string(bits);
            ASSERT_EQ(fold.C, stepped.C) << what;
            ASSERT_TRUE(fold.stats == stepped.stats) << what << ":" << stat_diff(fold.stats, stepped.stats);
            ++cases;
          }
    }
  }
  EXPECT_GT(cases, 2000);
}

// A structural session elaborates the array once and reuses it for the next
// GEMMs of the same array configuration: every output and statistic equal
// to a fresh elaboration's, whatever the GEMM's shape; another configuration
// (or signedness) elaborates again; a fresh run with a probe in between
// leaves the session usable.
TEST(ArrayStructural, SessionReusesTheElaboratedArray) {
  std::mt19937 rng(hwtest::seed() + 12);
  for (Dataflow df : {Dataflow::WS, Dataflow::OS})
    for (const PeArith& pe : {PeArith::int8(), PeArith::vsparq(4)}) {
      ArrayConfig cfg = make_cfg(3, 2, df, LodPlacement::Edge, pe, Fidelity::Structural, 13);
      // Double-buffered arrays for vsparq (its shadow / output registers reset too).
      if (pe.design->consumes_pairs()) cfg.weight_buffering = WeightBuffering::Double;
      StructuralSession session;
      for (int i = 0; i < 4; ++i) {
        const Gemm g = hwtest::random_gemm(2 + i, 3 + (i % 2), 5 + 3 * i, rng, 0.3);
        const GemmRun fresh = simulate_gemm(g, cfg);
        const GemmRun kept = simulate_gemm(g, cfg, nullptr, nullptr, &session);
        const std::string what = label(cfg, to_string(pe.design)) + " gemm " + std::to_string(i);
        EXPECT_EQ(kept.C, fresh.C) << what;
        EXPECT_TRUE(kept.stats == fresh.stats) << what << ":" << stat_diff(kept.stats, fresh.stats);
        if (i == 1) {  // a probed (fresh) run in between
          CycleProbe probe;
          EXPECT_EQ(simulate_gemm(g, cfg, nullptr, &probe).C, fresh.C);
        }
      }
      EXPECT_EQ(session.elaborations(), 1u);
      ArrayConfig other = cfg;
      other.cols = 3;
      const Gemm g = hwtest::random_gemm(4, 4, 6, rng);
      EXPECT_EQ(simulate_gemm(g, other, nullptr, nullptr, &session).C, simulate_gemm(g, other).C);
      EXPECT_EQ(session.elaborations(), 2u);
      // The other weight buffering is another array.
      other.weight_buffering =
          other.weight_buffering == WeightBuffering::Double ? WeightBuffering::Single : WeightBuffering::Double;
      const GemmRun kept = simulate_gemm(g, other, nullptr, nullptr, &session);
      EXPECT_TRUE(kept.stats == simulate_gemm(g, other).stats);
      EXPECT_EQ(session.elaborations(), 3u);
    }
}

// Double buffering across the three fidelities: fold model, stepped and
// structural equal in every output and statistic for int8 and vsparq, both
// LOD placements, narrow (overflowing) and 64-bit accumulators, both
// dataflows, on a GEMM of several folds each way; outputs equal the
// reference; never slower than single buffering; the extra register's
// writes: ws one swap per PE per fold on top of single buffering's weight
// loads (the shadow loads replace them one for one), os the same operand and
// weight register loads as single buffering.
TEST(ArrayDouble, EqualAcrossFidelitiesAndCounted) {
  std::mt19937 rng(hwtest::seed() + 13);
  const Gemm g = hwtest::random_gemm(7, 5, 11, rng, 0.2);
  for (const PeArith& pe : {PeArith::int8(), PeArith::vsparq(4)})
    for (Dataflow df : {Dataflow::WS, Dataflow::OS})
      for (LodPlacement lod : {LodPlacement::PE, LodPlacement::Edge})
        for (int bits : {13, 64}) {
          ArrayConfig cfg = make_cfg(3, 2, df, lod, pe, Fidelity::Fast, bits);
          const GemmRun single = simulate_gemm(g, cfg);
          cfg.weight_buffering = WeightBuffering::Double;
          const GemmRun fast = simulate_gemm(g, cfg);
          cfg.fidelity = Fidelity::Stepped;
          const GemmRun stepped = simulate_gemm(g, cfg);
          cfg.fidelity = Fidelity::Structural;
          const GemmRun st = simulate_gemm(g, cfg);
          const std::string what = label(cfg, to_string(pe.design)) + " acc=" + std::to_string(bits);
          EXPECT_EQ(fast.C, reference_gemm(g, pe, bits, nullptr)) << what;
          EXPECT_EQ(stepped.C, fast.C) << what;
          EXPECT_EQ(st.C, fast.C) << what;
          EXPECT_TRUE(stepped.stats == fast.stats) << what << ":" << stat_diff(stepped.stats, fast.stats);
          EXPECT_TRUE(st.stats == fast.stats) << what << ":" << stat_diff(st.stats, fast.stats);
          expect_consistent(g, cfg, st, what);
          EXPECT_LT(fast.stats.cycles, single.stats.cycles) << what;
          if (bits == 13) {
            EXPECT_GT(fast.stats.acc_overflows, 0u) << what;
          }
          const ArrayStats &d = fast.stats, &s = single.stats;
          EXPECT_EQ(d.act_reg_writes, s.act_reg_writes) << what;
          EXPECT_EQ(d.pe_active_cycles, s.pe_active_cycles) << what;
          EXPECT_EQ(d.mult_slot_busy, s.mult_slot_busy) << what;
          if (df == Dataflow::WS) {
            EXPECT_EQ(d.weight_reg_writes, s.weight_reg_writes + 3u * 2u * d.folds) << what;
            EXPECT_EQ(d.psum_reg_writes, s.psum_reg_writes) << what;
            EXPECT_EQ(d.psum_reg_toggles, s.psum_reg_toggles) << what;
            EXPECT_EQ(d.acc_toggles, s.acc_toggles) << what;
          } else {
            EXPECT_EQ(d.weight_reg_writes, s.weight_reg_writes) << what;
            EXPECT_EQ(d.acc_toggles, s.acc_toggles) << what;  // the collectors see the same values
          }
        }
}
