#include "run_budget.h"

#include <algorithm>
#include <cstdio>

namespace sparq {

// Measured (dev build): peak RSS of `sparq-sim run configs/base.yaml` on
// layer conv2d_79 with trace.max_pixels=1, for square arrays of two sizes,
// divided by the difference in PEs. Structural (PE step shared, blocks
// evaluated by direct calls): int8 16x16 -> 32x32 adds 8.8 MiB over 768 PEs
// (11.7 KiB per PE); vSPARQ 32x32 -> 64x64 adds 41 MiB over 3072 PEs
// (13.7 KiB per PE). Fast (fold model): vSPARQ 512x512 -> 1024x1024 adds
// 8.9 MiB over 786,432 PEs (12 B per PE); stepped: 256x256 -> 512x512 adds
// 9.0 MiB over 196,608 PEs (48 B per PE, sizeof(PeRegs) since it holds the
// double-buffering registers; 7.4 MiB, 40 B, before). Rounded up here.
std::uint64_t model_bytes_per_pe(const hw::ArrayConfig& a) {
  switch (a.fidelity) {
    case hw::Fidelity::Structural: return 16 * 1024;
    case hw::Fidelity::Fast:
    case hw::Fidelity::Stepped: return 64;
  }
  return 16 * 1024;
}

std::string format_bytes(std::uint64_t b) {
  char buf[48];
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

namespace {

using U = std::uint64_t;
U mul(U a, U b) {
  return (a != 0 && b > UINT64_MAX / a) ? UINT64_MAX : a * b;
}
U add(U a, U b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

}  // namespace

MemoryEstimate estimate_run_memory(const std::vector<LayerBudget>& layers, const std::vector<hw::ArrayConfig>& arrays,
                                   bool check_reference) {
  MemoryEstimate e;
  U kept = 0, transient = 0, largest_kept = 0;
  std::string transient_of, kept_of;
  for (const LayerBudget& l : layers) {
    const ConvGeometry& g = l.geo;
    const U px = static_cast<U>(l.pixels), cout = static_cast<U>(g.C_out);
    const U all_px = mul(static_cast<U>(g.H_out()), static_cast<U>(g.W_out()));
    const U kp = static_cast<U>(g.K() + (g.K() & 1));
    const U input = mul(mul(static_cast<U>(g.H), static_cast<U>(g.W)), static_cast<U>(g.C_in));
    const U weights = mul(mul(static_cast<U>(g.KH) * static_cast<U>(g.KW), static_cast<U>(g.cin_per_group())), cout);
    const U flt = l.has_float ? mul(mul(all_px, cout), 4) : 0;
    // Kept for the whole run: the arrays, the exact sums and each group's GEMM.
    U k = add(add(input, weights), add(flt, mul(cout, 8)));
    k = add(k, mul(mul(px, cout), 8));
    k = add(k, mul(static_cast<U>(g.groups), add(mul(px, kp), mul(kp, static_cast<U>(g.cout_per_group())))));
    kept = add(kept, k);
    if (k > largest_kept) largest_kept = k, kept_of = l.name;
    // Transient: reading the largest array (file image, parsed copy, vector)
    // and one design's results (accumulators, dequantized outputs, the
    // reference when checking).
    const U load = mul(std::max({input, weights, flt}), 3);
    const U results =
        add(mul(mul(px, cout), 8 * 5), mul(mul(px, static_cast<U>(g.cout_per_group())), check_reference ? 24 : 16));
    const U t = std::max(load, results);
    if (t > transient) transient = t, transient_of = l.name;
  }
  U model = 0;
  const hw::ArrayConfig* big = nullptr;
  for (const auto& a : arrays) {
    const U m = mul(mul(static_cast<U>(a.rows), static_cast<U>(a.cols)), model_bytes_per_pe(a));
    if (m > model) model = m, big = &a;
  }
  e.bytes = add(add(kept, transient), model);
  if (big && model >= kept && model >= transient)
    e.biggest = "the " + std::to_string(big->rows) + "x" + std::to_string(big->cols) + " " +
                hw::to_string(big->fidelity) + " array model (" +
                std::to_string(static_cast<U>(big->rows) * static_cast<U>(big->cols)) + " PEs to elaborate, " +
                format_bytes(model) + ", about " + format_bytes(model_bytes_per_pe(*big)) + " per PE)";
  else if (kept >= transient)
    e.biggest = "the layers' arrays and lowered GEMMs (" + format_bytes(kept) + "; largest: " + kept_of + ", " +
                format_bytes(largest_kept) + ")";
  else
    e.biggest = "loading and evaluating layer " + transient_of + " (" + format_bytes(transient) + ")";
  return e;
}

std::string array_dwarfs_layer(const hw::ArrayConfig& a, const LayerBudget& l) {
  const std::int64_t pes = static_cast<std::int64_t>(a.rows) * a.cols;
  if (pes < 4096) return "";
  const ConvGeometry& g = l.geo;
  const std::int64_t kp = g.K() + (g.K() & 1);
  const std::int64_t k_pe = consumes_pairs(a.pe.design) ? kp / 2 : kp;
  const std::int64_t n = g.cout_per_group();
  const std::int64_t used = a.dataflow == hw::Dataflow::WS
                                ? std::min<std::int64_t>(a.rows, k_pe) * std::min<std::int64_t>(a.cols, n)
                                : std::min<std::int64_t>(a.rows, l.pixels) * std::min<std::int64_t>(a.cols, n);
  if (used * 16 > pes) return "";
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "warning: the %dx%d array dwarfs layer %s (at most %lld of %lld PEs hold useful operands)%s\n", a.rows,
                a.cols, l.name.c_str(), static_cast<long long>(used), static_cast<long long>(pes),
                a.fidelity == hw::Fidelity::Fast
                    ? ""
                    : "; this fidelity costs rows x cols per cycle, so it may take long (fast does not)");
  return buf;
}

}  // namespace sparq
