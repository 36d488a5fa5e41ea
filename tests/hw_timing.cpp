// Cycle-exact timing, pinned at both edges: the first output of a tile is not
// valid at cycle N-1 and is valid at cycle N, for both dataflows, several
// array shapes and both fidelities; load, fill, stream and drain cycles (and
// the PEs busy in them) are where the structure puts them.
//
// Where N comes from (README "Cycle accounting"): ws: R weight-load cycles;
// row 0 of A enters PE(0,0) in cycle R, reaches PE(R-1,c) in cycle 2R-1+c,
// whose partial-sum register holds it from cycle 2R+c; the output accumulator
// adds it during that cycle and shows it from cycle 2R+1+c (+m for row m).
// os: the last operand slot (k = T-1) reaches PE(R-1,C-1) in cycle
// T+R+C-3; the drain shifts the bottom accumulators into the collectors in
// cycles T+R+C-2 .. T+2R+C-3, the collector showing row R-1-d from T+R+C-1+d.
#include <gtest/gtest.h>

#include <tuple>

#include "array_sim.h"
#include "fold_schedule.h"
#include "hw_test_util.h"

using namespace sparq;
using namespace sparq::hw;

namespace {

ArrayConfig cfg_of(int R, int C, Dataflow df, Fidelity f, const PeArith& pe = PeArith::int8(),
                   WeightBuffering wb = WeightBuffering::Single) {
  ArrayConfig c;
  c.rows = R;
  c.cols = C;
  c.dataflow = df;
  c.fidelity = f;
  c.pe = pe;
  c.weight_buffering = wb;
  return c;
}

const std::vector<std::pair<int, int>> kShapes = {{1, 1}, {2, 3}, {4, 4}, {5, 2}, {3, 7}};

}  // namespace

TEST(Timing, WsFirstOutputOfTile) {
  std::mt19937 rng(hwtest::seed() + 20);
  for (Fidelity f : {Fidelity::Fast, Fidelity::Structural})
    for (const auto& [R, C] : kShapes) {
      const int M = 6;
      const Gemm g = hwtest::random_gemm(M, C, R, rng);  // one fold: K = R, N = C
      const auto ref = reference_gemm(g, PeArith::int8(), 32, nullptr);
      for (int col : {0, C - 1}) {
        CycleProbe probe;
        probe.col = col;
        const GemmRun run = simulate_gemm(g, cfg_of(R, C, Dataflow::WS, f), nullptr, &probe);
        const int N_first = 2 * R + 1 + col;
        ASSERT_GT(probe.samples.size(), static_cast<std::size_t>(N_first));
        EXPECT_FALSE(probe.samples[N_first - 1].out_valid) << R << "x" << C << " col " << col;
        EXPECT_TRUE(probe.samples[N_first].out_valid) << R << "x" << C << " col " << col;
        EXPECT_EQ(probe.samples[N_first].m, 0);
        EXPECT_EQ(probe.samples[N_first].value, ref[static_cast<std::size_t>(col)]);
        // Rows follow one per cycle; the last is visible exactly when the run ends (last column).
        for (int m = 0; m < M; ++m) {
          EXPECT_TRUE(probe.samples[N_first + m].out_valid);
          EXPECT_EQ(probe.samples[N_first + m].m, m);
        }
        ASSERT_EQ(probe.samples.size(), run.stats.cycles + 1);
        if (col == C - 1) {
          // The last output becomes visible in the cycle the run ends with.
          EXPECT_EQ(run.stats.cycles, static_cast<std::uint64_t>(N_first + M - 1));
        } else {
          EXPECT_FALSE(probe.samples[N_first + M].out_valid);
        }
        EXPECT_EQ(run.stats.cycles, static_cast<std::uint64_t>(2 * R + M + C - 1));
      }
    }
}

TEST(Timing, OsFirstOutputOfTile) {
  std::mt19937 rng(hwtest::seed() + 21);
  for (Fidelity f : {Fidelity::Fast, Fidelity::Structural})
    for (const auto& [R, C] : kShapes) {
      const int T = 5;
      const Gemm g = hwtest::random_gemm(R, C, T, rng);  // one fold: M = R, N = C
      const auto ref = reference_gemm(g, PeArith::int8(), 32, nullptr);
      CycleProbe probe;
      probe.col = 0;
      const GemmRun run = simulate_gemm(g, cfg_of(R, C, Dataflow::OS, f), nullptr, &probe);
      const int N_first = T + R + C - 1;
      EXPECT_FALSE(probe.samples[N_first - 1].out_valid) << R << "x" << C;
      EXPECT_TRUE(probe.samples[N_first].out_valid) << R << "x" << C;
      EXPECT_EQ(probe.samples[N_first].m, R - 1);  // the bottom row drains first
      EXPECT_EQ(probe.samples[N_first].value, ref[static_cast<std::size_t>(R - 1) * C]);
      for (int d = 0; d < R; ++d) {
        EXPECT_TRUE(probe.samples[N_first + d].out_valid);
        EXPECT_EQ(probe.samples[N_first + d].m, R - 1 - d);
      }
      EXPECT_EQ(run.stats.cycles, static_cast<std::uint64_t>(T + 2 * R + C - 2));
      EXPECT_EQ(probe.samples.size(), run.stats.cycles + 1);
    }
}

// Pair designs consume K in pairs: T = ceil(K/2) steps per output (os) and a
// column of R PEs covers 2R reduction elements (ws).
TEST(Timing, PairDesignsStepThroughKInPairs) {
  std::mt19937 rng(hwtest::seed() + 22);
  for (Fidelity f : {Fidelity::Fast, Fidelity::Structural}) {
    const Gemm g = hwtest::random_gemm(3, 2, 9, rng);  // K = 9 -> 5 pairs
    const GemmRun os = simulate_gemm(g, cfg_of(3, 2, Dataflow::OS, f, PeArith::vsparq(4)));
    EXPECT_EQ(os.stats.cycles, 5u + 2 * 3 + 2 - 2);
    const GemmRun ws = simulate_gemm(g, cfg_of(5, 2, Dataflow::WS, f, PeArith::vsparq(4)));  // 5 pairs = 1 fold
    EXPECT_EQ(ws.stats.folds, 1u);
    EXPECT_EQ(ws.stats.cycles, 2u * 5 + 3 + 2 - 1);
  }
}

// ws with two K folds and two column folds: the phase of every cycle, the PEs
// busy in it, the idle weight-load cycles, and the output accumulator's last
// write overlapping the next fold's first load cycle.
TEST(Timing, WsPhasesAndIdleCycles) {
  std::mt19937 rng(hwtest::seed() + 23);
  const int R = 3, C = 2, M = 4;
  const Gemm g = hwtest::random_gemm(M, 2 * C, 2 * R, rng);
  for (Fidelity f : {Fidelity::Fast, Fidelity::Structural}) {
    CycleProbe probe;
    probe.col = C - 1;
    const GemmRun run = simulate_gemm(g, cfg_of(R, C, Dataflow::WS, f), nullptr, &probe);
    std::string fold = std::string(R, 'L') + std::string(R + C - 2, 'F') + std::string(M, 'S');
    std::string expect;
    for (int i = 0; i < 4; ++i) expect += fold;
    expect += 'D';
    std::string got;
    for (std::size_t t = 0; t + 1 < probe.samples.size(); ++t) got += probe.samples[t].phase;
    EXPECT_EQ(got, expect);
    const int len = 2 * R + C + M - 2;
    for (int fld = 0; fld < 4; ++fld) {
      const int s0 = fld * len;
      for (int j = 0; j < R; ++j) EXPECT_EQ(probe.samples[s0 + j].active_pes, 0) << "load cycle busy";
      EXPECT_EQ(probe.samples[s0 + R].active_pes, 1);  // only PE(0,0) in the first fill cycle
      // The fold's last partial sum reaches the last column's accumulator in
      // the next fold's first load cycle and is visible one cycle later.
      EXPECT_TRUE(probe.samples[s0 + len + 1].out_valid);
      EXPECT_EQ(probe.samples[s0 + len + 1].m, M - 1);
      EXPECT_EQ(probe.samples[s0 + len].m, M - 2);  // one cycle earlier: the row before
      EXPECT_EQ(probe.samples[s0 + len + 1].final, fld % 2 == 1);
    }
    EXPECT_EQ(run.stats.weight_load, 4u * R);
    EXPECT_EQ(run.stats.drain, 1u);
  }
}

// os with two M folds: stream, drain, and the PEs busy in each.
TEST(Timing, OsPhasesAndIdleCycles) {
  std::mt19937 rng(hwtest::seed() + 24);
  const int R = 2, C = 3, T = 4;
  const Gemm g = hwtest::random_gemm(2 * R, C, T, rng);
  for (Fidelity f : {Fidelity::Fast, Fidelity::Structural}) {
    CycleProbe probe;
    probe.col = 1;
    const GemmRun run = simulate_gemm(g, cfg_of(R, C, Dataflow::OS, f), nullptr, &probe);
    const std::string fold = std::string(R + C - 2, 'F') + std::string(T, 'S') + std::string(R, 'D');
    std::string got;
    for (std::size_t t = 0; t + 1 < probe.samples.size(); ++t) got += probe.samples[t].phase;
    EXPECT_EQ(got, fold + fold);
    const int len = T + 2 * R + C - 2;
    for (int fld = 0; fld < 2; ++fld) {
      const int s0 = fld * len;
      EXPECT_EQ(probe.samples[s0].active_pes, 1);
      for (int d = 0; d < R; ++d) EXPECT_EQ(probe.samples[s0 + T + R + C - 2 + d].active_pes, 0) << "drain";
      // Column 1 is reached one cycle after column 0: its first MAC of the fold.
      EXPECT_FALSE(probe.samples[s0 + T + R + C - 2].out_valid);
      EXPECT_TRUE(probe.samples[s0 + T + R + C - 1].out_valid);
    }
    EXPECT_EQ(run.stats.drain, 2u * R);
    EXPECT_EQ(run.stats.fill, 2u * (R + C - 2));
  }
}

// FoldSchedule (the timing the fold model and the memory model use) against
// the per-cycle probe of both per-cycle fidelities: every fold's weight-load
// cycles (the load broadcast on exactly in wload .. wload + R - 1), and every
// output write of a probed column at out + c + m (ws) or out + j (os), for
// several shapes with several folds each way, both weight bufferings. Double
// buffering: shapes where the bus bounds the period (M or S >= 2R + C - 2)
// and where the chains do (M < R, S < R), one row, one column, many folds.
TEST(Timing, FoldScheduleMatchesProbe) {
  std::mt19937 rng(hwtest::seed() + 25);
  struct Case {
    int R, C, M, N, K;
    Dataflow df;
  };
  const std::vector<Case> cases = {
      {3, 2, 4, 5, 7, Dataflow::WS},  {2, 3, 6, 4, 3, Dataflow::WS},  {1, 1, 3, 2, 2, Dataflow::WS},
      {2, 3, 5, 7, 4, Dataflow::OS},  {3, 2, 7, 3, 1, Dataflow::OS},  {1, 1, 2, 2, 3, Dataflow::OS},
      {4, 3, 2, 7, 13, Dataflow::WS}, {3, 2, 11, 5, 7, Dataflow::WS}, {1, 1, 1, 3, 3, Dataflow::WS},
      {1, 4, 5, 9, 3, Dataflow::WS},  {4, 1, 1, 2, 9, Dataflow::WS},  {2, 2, 3, 5, 20, Dataflow::WS},
      {4, 3, 9, 7, 2, Dataflow::OS},  {3, 2, 7, 5, 11, Dataflow::OS}, {1, 1, 3, 3, 1, Dataflow::OS},
      {1, 4, 5, 9, 3, Dataflow::OS},  {4, 1, 13, 2, 1, Dataflow::OS}, {2, 2, 9, 5, 4, Dataflow::OS}};
  for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double})
    for (Fidelity f : {Fidelity::Stepped, Fidelity::Structural})
      for (const Case& cs : cases) {
        const Gemm g = hwtest::random_gemm(cs.M, cs.N, cs.K, rng);
        const auto ref = reference_gemm(g, PeArith::int8(), 32, nullptr);
        const FoldSchedule sched(cs.df, wb, cs.R, cs.C, cs.M, cs.N, cs.K);
        for (int col = 0; col < cs.C; ++col) {
          CycleProbe probe;
          probe.col = col;
          const GemmRun run = simulate_gemm(g, cfg_of(cs.R, cs.C, cs.df, f, PeArith::int8(), wb), nullptr, &probe);
          const std::string what = std::string(to_string(wb)) + " " + to_string(cs.df) + " " + to_string(f) + " " +
                                   std::to_string(cs.R) + "x" + std::to_string(cs.C) + " M=" + std::to_string(cs.M) +
                                   " N=" + std::to_string(cs.N) + " K=" + std::to_string(cs.K) + " col " +
                                   std::to_string(col);
          ASSERT_EQ(run.C, ref) << what;
          ASSERT_EQ(run.stats.cycles, sched.cycles()) << what;
          ASSERT_EQ(run.stats.folds, static_cast<std::uint64_t>(sched.folds())) << what;
          // Every write the probe saw, as (cycle it became visible, m, n).
          std::vector<std::tuple<std::uint64_t, int, int>> seen, want;
          for (std::size_t t = 0; t < probe.samples.size(); ++t)
            if (probe.samples[t].out_valid) seen.emplace_back(t, probe.samples[t].m, probe.samples[t].n);
          std::vector<char> load(probe.samples.size(), 0);
          for (int fi = 0; fi < sched.folds(); ++fi) {
            const FoldTimes ft = sched.fold(fi);
            const int n = ft.outer * cs.C + col;
            if (cs.df == Dataflow::WS) {
              for (std::uint64_t j = 0; j < static_cast<std::uint64_t>(cs.R); ++j) load[ft.wload + j] = 1;
              if (wb == WeightBuffering::Single) {
                for (std::uint64_t j = 0; j < static_cast<std::uint64_t>(cs.R); ++j)
                  EXPECT_EQ(probe.samples[ft.wload + j].phase, 'L') << what << " fold " << fi;
              }
              if (n >= cs.N) continue;
              for (int m = 0; m < cs.M; ++m) want.emplace_back(ft.out + static_cast<std::uint64_t>(col + m) + 1, m, n);
            } else {
              EXPECT_EQ(ft.wload, ft.stream);
              if (n >= cs.N) continue;
              for (int j = 0; j < cs.R; ++j) {
                const int m = ft.inner * cs.R + cs.R - 1 - j;
                if (m < cs.M) want.emplace_back(ft.out + static_cast<std::uint64_t>(j) + 1, m, n);
              }
            }
          }
          for (std::size_t t = 0; t + 1 < probe.samples.size(); ++t)
            EXPECT_EQ(probe.samples[t].load, load[t] != 0) << what << " cycle " << t;
          EXPECT_EQ(seen, want) << what;
        }
      }
}

namespace {

std::string repeat(char c, int n) {
  return std::string(static_cast<std::size_t>(std::max(n, 0)), c);
}

std::string phases_of(const CycleProbe& probe) {
  std::string got;
  for (std::size_t t = 0; t + 1 < probe.samples.size(); ++t) got += probe.samples[t].phase;
  return got;
}

}  // namespace

// Double-buffered ws, four folds (two K folds x two column folds): period
// P = max(M, 2R + C - 2) (docs/hardware.md "Weight buffering"). Fold f
// streams from R + fP; column c's accumulator shows fold f's row m from
// R + fP + R + c + m + 1. Both edges of every fold boundary are pinned: when
// the chains bound the period the first output of fold f is not visible one
// cycle earlier (a gap of P - M cycles); when the bus does, that earlier
// cycle shows the previous fold's last row (no gap). The phases: fold 0
// loads R cycles; a later fold's load overlaps the previous stream, and only
// its max(0, R - M) cycles after the corner's last slot count as load.
TEST(Timing, WsDoubleBufferedFoldOverlap) {
  std::mt19937 rng(hwtest::seed() + 26);
  struct Case {
    int R, C, M;
  };
  // chain-bound (P = 6), bus-bound (P = M = 7), M < R (P = 8, 2 load cycles per fold).
  for (const Case& cs : std::vector<Case>{{3, 2, 4}, {2, 2, 7}, {4, 2, 2}})
    for (Fidelity f : {Fidelity::Fast, Fidelity::Structural}) {
      const int R = cs.R, C = cs.C, M = cs.M;
      const int P = std::max(M, 2 * R + C - 2);
      const Gemm g = hwtest::random_gemm(M, 2 * C, 2 * R, rng);
      const auto ref = reference_gemm(g, PeArith::int8(), 32, nullptr);
      const ArrayConfig dbl = cfg_of(R, C, Dataflow::WS, f, PeArith::int8(), WeightBuffering::Double);
      const std::string what =
          std::to_string(R) + "x" + std::to_string(C) + " M=" + std::to_string(M) + " " + to_string(f);
      CycleProbe probe;
      probe.col = C - 1;
      const GemmRun run = simulate_gemm(g, dbl, nullptr, &probe);
      EXPECT_EQ(run.C, ref) << what;
      EXPECT_EQ(run.stats.cycles, static_cast<std::uint64_t>(3 * P + 2 * R + C + M - 1)) << what;
      const int l = std::max(0, R - M);
      std::string expect = repeat('L', R) + repeat('F', R + C - 2) + repeat('S', M);
      for (int i = 1; i < 4; ++i) expect += repeat('L', l) + repeat('F', P - M - l) + repeat('S', M);
      expect += 'D';
      EXPECT_EQ(phases_of(probe), expect) << what;
      EXPECT_EQ(run.stats.weight_load, static_cast<std::uint64_t>(R + 3 * l)) << what;
      EXPECT_EQ(run.stats.stream, 4u * M) << what;
      EXPECT_EQ(run.stats.drain, 1u) << what;
      for (int fold = 0; fold < 4; ++fold) {
        const int first = R + fold * P + R + (C - 1) + 1;
        ASSERT_LT(static_cast<std::size_t>(first + M - 1), probe.samples.size()) << what;
        for (int m = 0; m < M; ++m) {
          EXPECT_TRUE(probe.samples[first + m].out_valid) << what << " fold " << fold << " m " << m;
          EXPECT_EQ(probe.samples[first + m].m, m) << what << " fold " << fold;
          EXPECT_EQ(probe.samples[first + m].n, (fold / 2) * C + C - 1) << what << " fold " << fold;
          EXPECT_EQ(probe.samples[first + m].final, fold % 2 == 1) << what << " fold " << fold;
        }
        if (fold == 0) {
          EXPECT_FALSE(probe.samples[first - 1].out_valid) << what;
        } else if (P == M) {
          EXPECT_TRUE(probe.samples[first - 1].out_valid) << what << " fold " << fold;  // the previous fold's last row
          EXPECT_EQ(probe.samples[first - 1].m, M - 1) << what << " fold " << fold;
        } else {
          EXPECT_FALSE(probe.samples[first - 1].out_valid) << what << " fold " << fold;
          EXPECT_TRUE(probe.samples[first - 1 - (P - M)].out_valid) << what << " fold " << fold;
          EXPECT_EQ(probe.samples[first - 1 - (P - M)].m, M - 1) << what << " fold " << fold;
        }
      }
      // Never slower than single buffering: 4 (2R + C + M - 2) + 1 cycles.
      const GemmRun single = simulate_gemm(g, cfg_of(R, C, Dataflow::WS, f));
      EXPECT_EQ(single.stats.cycles, static_cast<std::uint64_t>(4 * (2 * R + C + M - 2) + 1)) << what;
      EXPECT_LT(run.stats.cycles, single.stats.cycles) << what;
    }
}

// A hand-computed case: 3x2 array, M = 4, K = 6, N = 4 (four folds), ws.
// Single buffering: 4 folds x (3 load + 3 fill + 4 stream) + 1 flush = 41.
// Double: fold 0 loads in cycles 0-2 and streams from cycle 3; the corner
// (PE(2, 1)) takes fold f's first slot at stream step R + C - 2 = 3, so
// fold f+1's load can start then and end 3 cycles later: the next fold
// streams 6 cycles after the previous one (2R + C - 2 = 6 > M = 4). The last
// fold streams from 3 + 3 * 6 = 21, its last slot reaches the corner at
// 21 + 3 + 3 = 27, the last accumulator adds it in cycle 28: 29 cycles.
// os: 3x2 array, S = K = 2, M = 6, N = 4 (four folds). Single: 4 folds x
// (S + 2R + C - 2) = 4 x 8 = 32. Double: a fold's row 1
// may capture its result no earlier than the previous fold's last drain
// edge: P = 2R + C - 3 = 5 (> S = 2, > R + C - 1 = 4); the last fold
// streams from 15, its last MAC in the corner is in cycle 15 + 2 + 3 - 1 =
// 19, its drain takes cycles 20-22: 23 cycles.
TEST(Timing, DoubleBufferingHandComputedCycles) {
  std::mt19937 rng(hwtest::seed() + 27);
  const Gemm gw = hwtest::random_gemm(4, 4, 6, rng);
  const Gemm go = hwtest::random_gemm(6, 4, 2, rng);
  for (Fidelity f : {Fidelity::Fast, Fidelity::Stepped, Fidelity::Structural}) {
    EXPECT_EQ(simulate_gemm(gw, cfg_of(3, 2, Dataflow::WS, f)).stats.cycles, 41u);
    EXPECT_EQ(simulate_gemm(gw, cfg_of(3, 2, Dataflow::WS, f, PeArith::int8(), WeightBuffering::Double)).stats.cycles,
              29u);
    EXPECT_EQ(simulate_gemm(go, cfg_of(3, 2, Dataflow::OS, f)).stats.cycles, 32u);
    EXPECT_EQ(simulate_gemm(go, cfg_of(3, 2, Dataflow::OS, f, PeArith::int8(), WeightBuffering::Double)).stats.cycles,
              23u);
  }
}

// Double-buffered os, four folds (two M folds x two column folds): period
// P = max(S, R + C - 1, 2R + C - 3). Fold f streams from fP; the
// collectors take its rows bottom-up in cycles fP + S + R + C - 2 + j, while
// the next fold accumulates: the collector shows row R-1 from one cycle
// later (not one cycle earlier), and the drain's cycles are stream cycles
// where the corner is busy with the next fold, drain cycles where it idles.
TEST(Timing, OsDoubleBufferedFoldOverlap) {
  std::mt19937 rng(hwtest::seed() + 28);
  struct Case {
    int R, C, S;
  };
  // P = S = 4 (every bound meets), P = 2R + C - 3 = 5 > S, bus-bound P = S = 9.
  for (const Case& cs : std::vector<Case>{{2, 3, 4}, {3, 2, 2}, {2, 2, 9}})
    for (Fidelity f : {Fidelity::Fast, Fidelity::Structural}) {
      const int R = cs.R, C = cs.C, S = cs.S;
      const int P = std::max({S, R + C - 1, 2 * R + C - 3});
      const Gemm g = hwtest::random_gemm(2 * R, 2 * C, S, rng);
      const auto ref = reference_gemm(g, PeArith::int8(), 32, nullptr);
      const std::string what =
          std::to_string(R) + "x" + std::to_string(C) + " S=" + std::to_string(S) + " " + to_string(f);
      CycleProbe probe;
      probe.col = 0;
      const GemmRun run =
          simulate_gemm(g, cfg_of(R, C, Dataflow::OS, f, PeArith::int8(), WeightBuffering::Double), nullptr, &probe);
      EXPECT_EQ(run.C, ref) << what;
      EXPECT_EQ(run.stats.cycles, static_cast<std::uint64_t>(3 * P + S + 2 * R + C - 2)) << what;
      const int d = std::min(R, P - S);
      std::string expect = repeat('F', R + C - 2) + repeat('S', S);
      for (int i = 1; i < 4; ++i) expect += repeat('D', d) + repeat('F', P - S - d) + repeat('S', S);
      expect += repeat('D', R);
      EXPECT_EQ(phases_of(probe), expect) << what;
      EXPECT_EQ(run.stats.drain, static_cast<std::uint64_t>(3 * d + R)) << what;
      for (int fold = 0; fold < 4; ++fold) {
        const int out = fold * P + S + R + C - 2;
        EXPECT_FALSE(probe.samples[out].out_valid) << what << " fold " << fold;
        for (int j = 0; j < R; ++j) {
          EXPECT_TRUE(probe.samples[out + 1 + j].out_valid) << what << " fold " << fold;
          EXPECT_EQ(probe.samples[out + 1 + j].m, (fold % 2) * R + R - 1 - j) << what << " fold " << fold;
          EXPECT_EQ(probe.samples[out + 1 + j].n, (fold / 2) * C) << what << " fold " << fold;
        }
        // The next fold accumulates while this one drains.
        if (fold < 3) {
          EXPECT_GT(probe.samples[out].active_pes + probe.samples[out + R - 1].active_pes, 0) << what;
        }
      }
      EXPECT_LT(run.stats.cycles, simulate_gemm(g, cfg_of(R, C, Dataflow::OS, f)).stats.cycles) << what;
    }
}
