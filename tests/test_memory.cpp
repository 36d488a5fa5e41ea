// The memory model (hw_models/core/memory_model.h, docs/memory.md): DRAM
// traffic against the layer's unique bytes (equal when the scratchpads hold
// the layer, never below otherwise), stall counts pinned by hand for a
// bandwidth-bound dense layer, the scratchpad port model against a
// cycle-by-cycle brute force, and the errors of scratchpads too small.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "fold_schedule.h"
#include "memory_model.h"

using namespace sparq;

namespace {

ConvGeometry conv(int H, int W, int cin, int cout, int k, int stride, int pad, int groups = 1) {
  ConvGeometry g;
  g.H = H, g.W = W, g.C_in = cin, g.C_out = cout, g.KH = g.KW = k, g.SH = g.SW = stride;
  g.pad_top = g.pad_left = pad;
  g.pad_bottom = g.pad_right = pad;
  g.groups = groups;
  return g;
}

ConvGeometry dense(int K, int N) {
  return conv(1, 1, K, N, 1, 1, 0);
}

MemoryLayer layer_of(const ConvGeometry& g, std::int64_t pixels = -1) {
  return MemoryLayer{g, pixels < 0 ? static_cast<std::int64_t>(g.H_out()) * g.W_out() : pixels};
}

// Distinct ifmap bytes the im2col rows touch, by brute force over (m, k) of every group.
std::uint64_t brute_unique_ifmap(const ConvGeometry& g, std::int64_t pixels) {
  std::set<std::uint64_t> s;
  const int Cg = g.C_in / g.groups;
  for (int grp = 0; grp < g.groups; ++grp)
    for (std::int64_t m = 0; m < pixels; ++m)
      for (int kh = 0; kh < g.KH; ++kh)
        for (int kw = 0; kw < g.KW; ++kw)
          for (int c = 0; c < Cg; ++c) {
            const int oy = static_cast<int>(m / g.W_out()), ox = static_cast<int>(m % g.W_out());
            const int iy = oy * g.SH - g.pad_top + kh * g.DH, ix = ox * g.SW - g.pad_left + kw * g.DW;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            s.insert((static_cast<std::uint64_t>(iy) * g.W + ix) * g.C_in + grp * Cg + c);
          }
  return s.size();
}

struct Shape {
  ConvGeometry g;
  std::int64_t pixels;
};

std::vector<Shape> shapes() {
  return {{conv(9, 9, 6, 10, 3, 1, 1), -1},   {conv(11, 7, 5, 7, 3, 2, 0), -1},
          {conv(6, 6, 12, 9, 1, 1, 0), -1},   {dense(37, 23), -1},
          {conv(8, 8, 6, 6, 3, 1, 1, 6), -1}, {conv(10, 10, 4, 8, 5, 1, 2, 2), -1},
          {conv(9, 9, 6, 10, 3, 1, 1), 17}};
}

MemoryArray array_of(int R, int C, Dataflow df, bool pairs) {
  MemoryArray a;
  a.rows = R, a.cols = C, a.dataflow = df, a.pairs = pairs;
  return a;
}

}  // namespace

// Scratchpads that hold the whole layer: DRAM traffic equals the unique
// bytes exactly (brute force), whatever the bandwidth; unlimited bandwidth
// and zero latency add no stall, so the cycles are the array's own.
TEST(Memory, WholeLayerBuffersFetchUniqueBytesOnce) {
  for (const Shape& sh : shapes())
    for (Dataflow df : {Dataflow::WS, Dataflow::OS})
      for (bool pairs : {false, true})
        for (double bw : {0.0, 3.0})
          for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double}) {
            const MemoryLayer L = layer_of(sh.g, sh.pixels);
            MemoryConfig cfg;
            cfg.enabled = true;
            cfg.dram.bytes_per_cycle = bw;
            cfg.chunk_steps = 4;
            MemoryArray a = array_of(4, 3, df, pairs);
            a.buffering = wb;
            const MemoryStats st = simulate_memory(cfg, a, L);
            const std::string what =
                sh.g.describe() + " " + to_string(df) + (pairs ? " pairs" : "") + " bw " + std::to_string(bw);
            const std::uint64_t ui = brute_unique_ifmap(sh.g, L.pixels);
            const std::uint64_t uf = static_cast<std::uint64_t>(sh.g.K()) * sh.g.C_out;
            const std::uint64_t uo = static_cast<std::uint64_t>(L.pixels) * sh.g.C_out;
            EXPECT_EQ(st.unique[kIfmap], ui) << what;
            EXPECT_EQ(st.dram_read[kIfmap], ui) << what;
            EXPECT_EQ(st.dram_read[kFilter], uf) << what;
            EXPECT_EQ(st.dram_write[kOfmap], uo) << what;
            EXPECT_EQ(st.sram_write[kOfmap], uo) << what;
            std::uint64_t compute = 0;
            const int K = sh.g.K(), S = pairs ? (K + 1) / 2 : K;
            for (int grp = 0; grp < sh.g.groups; ++grp)
              compute += FoldSchedule(df, wb, 4, 3, static_cast<int>(L.pixels), sh.g.cout_per_group(), S).cycles();
            EXPECT_EQ(st.compute_cycles, compute) << what;
            if (bw == 0) {
              EXPECT_EQ(st.stalls(), 0u) << what;
            }
          }
}

// Scratchpads far smaller than the layer: each fold refetches what it needs,
// so traffic is never below the unique bytes (and the ofmap is written once).
TEST(Memory, SmallBuffersNeverFetchLessThanUniqueBytes) {
  for (const Shape& sh : shapes())
    for (Dataflow df : {Dataflow::WS, Dataflow::OS})
      for (std::uint64_t kib : {64u, 256u})
        for (WeightBuffering wb : {WeightBuffering::Single, WeightBuffering::Double}) {
          const MemoryLayer L = layer_of(sh.g, sh.pixels);
          MemoryConfig cfg;
          cfg.enabled = true;
          cfg.ifmap.bytes = cfg.filter.bytes = kib;
          cfg.ofmap.bytes = 256;
          cfg.dram.bytes_per_cycle = 2;
          cfg.chunk_steps = 2;
          const std::string what = sh.g.describe() + " " + to_string(df) + " " + std::to_string(kib);
          MemoryStats st;
          MemoryArray a = array_of(4, 3, df, false);
          a.buffering = wb;
          try {
            st = simulate_memory(cfg, a, L);
          } catch (const std::exception& e) {
            ADD_FAILURE() << what << ": " << e.what();
            continue;
          }
          EXPECT_GE(st.dram_read[kIfmap], st.unique[kIfmap]) << what;
          EXPECT_GE(st.dram_read[kFilter], st.unique[kFilter]) << what;
          EXPECT_EQ(st.dram_write[kOfmap], st.unique[kOfmap]) << what;
          EXPECT_LE(st.peak[kIfmap], kib) << what;
          EXPECT_LE(st.peak[kFilter], kib) << what;
          EXPECT_LE(st.peak[kOfmap], 256u) << what;
          // The bus moved every byte at 2 bytes per cycle.
          EXPECT_GE(st.dram_bus_cycles * 2, st.dram_bytes()) << what;
          EXPECT_GE(st.cycles(), st.dram_bus_cycles) << what;
        }
}

// A dense layer on a 4x4 ws array, K = 8, N = 4 (two K folds of 11 cycles
// and a flush: 23 cycles). Per fold the filter tile is 16 bytes (needed at
// the fold's first load cycle, 0 and 11) and the ifmap slice 4 bytes
// (needed at stream start, 4 and 15); the 4 outputs are reserved at cycle
// 19 and written by cycle 22. One bus, first come first served:
//  1 B/cycle:  filter0 [0,16) stall 16; ifmap0 [16,20) in time (needed at
//    4+16); filter1 [20,36) needed at 11+16=27: stall 9; ifmap1 [36,40) in
//    time; outputs ready at 22+25+1=48, written [48,52): the layer ends 4
//    cycles after the array: 52 = 23 + 16 + 9 + 4.
//  0.5 B/cycle: filter0 [0,32) stall 32; ifmap0 [32,40) needed at 36: stall
//    4; filter1 [40,72) needed at 11+36=47: stall 25; ifmap1 [72,80) needed
//    at 15+61=76: stall 4; outputs ready at 22+65+1=88, written [88,96):
//    96 = 23 + 57 + 8 + 8.
TEST(Memory, HalvingBandwidthOnDenseLayerPinnedByHand) {
  const MemoryLayer L = layer_of(dense(8, 4));
  MemoryConfig cfg;
  cfg.enabled = true;
  const MemoryArray a = array_of(4, 4, Dataflow::WS, false);
  cfg.dram.bytes_per_cycle = 1;
  MemoryStats st = simulate_memory(cfg, a, L);
  EXPECT_EQ(st.compute_cycles, 23u);
  EXPECT_EQ(st.stall[kFilter], 25u);
  EXPECT_EQ(st.stall[kIfmap], 0u);
  EXPECT_EQ(st.stall[kOfmap], 4u);
  EXPECT_EQ(st.cycles(), 52u);
  cfg.dram.bytes_per_cycle = 0.5;
  st = simulate_memory(cfg, a, L);
  EXPECT_EQ(st.stall[kFilter], 57u);
  EXPECT_EQ(st.stall[kIfmap], 8u);
  EXPECT_EQ(st.stall[kOfmap], 8u);
  EXPECT_EQ(st.cycles(), 96u);
  EXPECT_EQ(st.dram_bytes(), 44u);
  EXPECT_EQ(st.dram_bus_cycles, 88u);
}

// DRAM latency and a bound on outstanding requests: one 64-byte request at
// a time, each taking 64/64 + 100 cycles, so the bus moves one burst per
// 101 cycles; unbounded requests overlap their latency.
TEST(Memory, OutstandingRequestsBoundThroughput) {
  const MemoryLayer L = layer_of(dense(1024, 64));  // 64 KiB of weights: 1024 bursts
  MemoryConfig cfg;
  cfg.enabled = true;
  cfg.dram.bytes_per_cycle = 64;
  cfg.dram.latency = 100;
  cfg.dram.max_outstanding = 1;
  const MemoryArray a = array_of(32, 32, Dataflow::WS, false);
  const MemoryStats one = simulate_memory(cfg, a, L);
  EXPECT_GE(one.cycles(), one.dram_requests * 100);
  cfg.dram.max_outstanding = 0;
  const MemoryStats many = simulate_memory(cfg, a, L);
  EXPECT_LT(many.cycles(), one.cycles() / 10);
  EXPECT_EQ(many.dram_bytes(), one.dram_bytes());
}

// The scratchpad port: a cycle-by-cycle brute force of a port delivering P
// bytes per cycle to the row feeders, which run stream step t once the bytes
// of steps 0..t are there (row r reads in steps r .. r + M - 1).
TEST(Memory, IfmapPortStallsMatchCycleBruteForce) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int R = 1 + static_cast<int>(rng() % 8), M = 1 + static_cast<int>(rng() % 40);
    const bool pairs = rng() % 2;
    const int kps = pairs ? 2 : 1;
    const int P = 1 + static_cast<int>(rng() % static_cast<unsigned>(R * kps));
    // One ws fold: K = R steps, N = 1, M output pixels (a 1 x M image, 1x1 conv).
    const ConvGeometry g = conv(1, M, R * kps, 1, 1, 1, 0);
    MemoryConfig cfg;
    cfg.enabled = true;
    cfg.ifmap.word_bytes = P;
    cfg.chunk_steps = 1 + static_cast<int>(rng() % 5);
    const MemoryStats st = simulate_memory(cfg, array_of(R, 1, Dataflow::WS, pairs), layer_of(g));
    // Brute force.
    const int steps = M + R - 1;
    std::uint64_t have = 0, cycles = 0;
    for (int t = 0; t < steps; ++t) {
      int active = 0;
      for (int r = 0; r < R; ++r) active += t >= r && t < r + M;
      const std::uint64_t need = static_cast<std::uint64_t>(active * kps);
      do {
        have += static_cast<std::uint64_t>(P);
        ++cycles;
      } while (have < need);
      have -= need;
    }
    const std::uint64_t extra = cycles - static_cast<std::uint64_t>(steps);
    EXPECT_EQ(st.port_stall[kIfmap], extra) << "R " << R << " M " << M << " P " << P << " pairs " << pairs;
    EXPECT_EQ(st.stall[kIfmap], extra);
    EXPECT_EQ(st.peak_ifmap_demand, static_cast<std::uint64_t>(R * kps));
  }
}

// A tiny ofmap scratchpad stalls the array; one too small for the outputs in
// flight is an error naming its key.
TEST(Memory, TinyOfmapBufferStallsTheArray) {
  const MemoryLayer L = layer_of(conv(8, 8, 4, 8, 1, 1, 0));  // 64 pixels x 8 channels
  MemoryConfig cfg;
  cfg.enabled = true;
  cfg.dram.bytes_per_cycle = 1;
  cfg.ofmap.bytes = 1 << 20;
  const MemoryArray a = array_of(4, 8, Dataflow::OS, false);
  const MemoryStats big = simulate_memory(cfg, a, L);
  cfg.ofmap.bytes = 32;  // one fold's 4 x 8 outputs
  const MemoryStats tiny = simulate_memory(cfg, a, L);
  EXPECT_GT(tiny.stall[kOfmap], big.stall[kOfmap]);
  EXPECT_LE(tiny.peak[kOfmap], 32u);
  cfg.ofmap.bytes = 16;
  try {
    simulate_memory(cfg, a, L);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("memory.ofmap_kib"), std::string::npos) << e.what();
  }
}

TEST(Memory, TooSmallInputBufferIsAnError) {
  const MemoryLayer L = layer_of(dense(64, 32));
  MemoryConfig cfg;
  cfg.enabled = true;
  cfg.filter.bytes = 100;  // a ws tile is 16 x 16 = 256 bytes
  try {
    simulate_memory(cfg, array_of(16, 16, Dataflow::WS, false), L);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("memory.filter_kib"), std::string::npos) << e.what();
  }
}

// Bus time is exact: a 960-byte filter tile at 10 bytes per cycle (15
// bursts of 6.4 cycles) arrives after exactly 96 cycles, not 97.
TEST(Memory, BusTimeIsExactForDecimalBandwidths) {
  MemoryConfig cfg;
  cfg.enabled = true;
  cfg.dram.bytes_per_cycle = 10;
  const MemoryStats st = simulate_memory(cfg, array_of(32, 32, Dataflow::WS, false), layer_of(dense(30, 32)));
  EXPECT_EQ(st.stall[kFilter], 96u);             // the tile is needed at cycle 0
  EXPECT_EQ(st.dram_bus_cycles, 96u + 3u + 4u);  // + 30 ifmap bytes, + 32 outputs (3.2 cycles, rounded up)
  cfg.dram.bytes_per_cycle = 0.0005;
  EXPECT_THROW(simulate_memory(cfg, array_of(32, 32, Dataflow::WS, false), layer_of(dense(30, 32))), SettingError);
}

// With writes draining as fast as they come, the ofmap scratchpad holds a
// few chunks of outputs at a time, not the layer's output.
TEST(Memory, OfmapOccupancyFollowsTheDrain) {
  MemoryConfig cfg;
  cfg.enabled = true;
  const MemoryLayer L = layer_of(conv(16, 16, 8, 32, 3, 1, 1));
  for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
    const MemoryStats st = simulate_memory(cfg, array_of(8, 8, df, false), L);
    EXPECT_GT(st.peak[kOfmap], 0u);
    EXPECT_LE(st.peak[kOfmap] * 8, st.unique[kOfmap]) << to_string(df);
  }
}

// Prefetch runs one fold ahead (double buffering), so output writes are not
// queued behind the whole layer's reads: where the bus has room for both, a
// 2 KiB ofmap scratchpad costs no more than a few percent over an unlimited one.
TEST(Memory, WritesAreNotStarvedByPrefetch) {
  const MemoryLayer L = layer_of(conv(33, 33, 32, 64, 3, 1, 1));
  MemoryConfig cfg;
  cfg.enabled = true;
  cfg.dram.bytes_per_cycle = 8;
  const MemoryArray a = array_of(32, 32, Dataflow::WS, false);
  const MemoryStats unlimited = simulate_memory(cfg, a, L);
  cfg.ofmap.bytes = 2048;
  const MemoryStats small = simulate_memory(cfg, a, L);
  EXPECT_LT(unlimited.dram_bus_cycles, unlimited.compute_cycles);  // the bus has room
  EXPECT_LE(small.cycles(), unlimited.cycles() + unlimited.cycles() / 20);
  // How far prefetch runs ahead changes when bytes move, not how many.
  cfg.prefetch_folds = 0;
  const MemoryStats flood = simulate_memory(cfg, a, L);
  EXPECT_EQ(flood.dram_bytes(), small.dram_bytes());
  EXPECT_EQ(flood.compute_cycles, small.compute_cycles);
}
