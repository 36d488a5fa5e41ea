// Simulation speed of the array models on real layers (default: InceptionV3
// conv2d_6, conv2d_11 and conv2d_37 from traces/inceptionv3-dog): simulated
// PE-cycles (R x C x cycles) and useful MACs per second of CPU time (the
// fastest of --reps runs), elaboration included, for the fast (fold) model,
// the stepped model and the structural (SystemC) model. Each layer first
// times a plain blocked int32 GEMM of the same operands, compiled with the
// same flags, as the yardstick: `x GEMM` is a model's CPU time over it. The
// fast and stepped models run the whole layer; the structural model the
// first output pixels, as many as make a run last --min-seconds (or
// --structural-rows of them; repeated if the whole layer is shorter), and its
// line ends with the fast / structural ratio of PE-cycles per second.
//
// usage: sparq_array_bench [--bundle DIR] [--layers A,B] [--sizes 16,32] [--rows R --cols C]
//                          [--designs int8,vsparq4] [--flows ws,os] [--fidelity fast,stepped,structural]
//                          [--structural-rows M] [--min-seconds S] [--reps N] [--buffering single,double]
// (double weight buffering shows as flow "ws/d", "os/d")
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <time.h>

#include "array_sim.h"
#include "bundle.h"

using namespace sparq;
using namespace sparq::hw;

namespace {

// CPU time of this process: on a shared machine, time spent waiting for the
// core does not count (on an idle one it equals the wall time).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The first m output pixels of g.
Gemm first_rows(const Gemm& g, int m) {
  Gemm s = g;
  s.M = std::min(m, g.M);
  s.A.resize(static_cast<std::size_t>(s.M) * g.Kp);
  return s;
}

struct Timed {
  GemmRun run;
  double seconds = 0;
};

// The fastest of reps runs (the least disturbed by other load on the machine).
Timed time_gemm(const Gemm& g, const ArrayConfig& cfg, int reps) {
  Timed t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = cpu_seconds();
    t.run = simulate_gemm(g, cfg);
    const double s = cpu_seconds() - t0;
    if (i == 0 || s < t.seconds) t.seconds = s;
  }
  return t;
}

// The yardstick: C = A x B of the layer's operands as a plain int32 GEMM,
// blocked over K and N so that a block of B stays in cache (no zero skipping,
// no statistics). Returns the fastest of reps, in CPU seconds.
double time_plain_gemm(const Gemm& g, int reps, std::int64_t* checksum) {
  const int KB = 64, NB = 256;
  std::vector<std::int32_t> c(static_cast<std::size_t>(g.M) * g.N);
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const double t0 = cpu_seconds();
    std::fill(c.begin(), c.end(), 0);
    for (int n0 = 0; n0 < g.N; n0 += NB)
      for (int k0 = 0; k0 < g.K; k0 += KB) {
        const int n1 = std::min(g.N, n0 + NB), k1 = std::min(g.K, k0 + KB);
        for (int m = 0; m < g.M; ++m) {
          std::int32_t* cr = &c[static_cast<std::size_t>(m) * g.N];
          for (int k = k0; k < k1; ++k) {
            const std::int32_t a = g.a(m, k);
            const std::int8_t* b = &g.B[static_cast<std::size_t>(k) * g.N];
            for (int n = n0; n < n1; ++n) cr[n] += a * b[n];
          }
        }
      }
    const double s = cpu_seconds() - t0;
    if (rep == 0 || s < best) best = s;
  }
  std::int64_t sum = 0;
  for (auto v : c) sum += v;
  *checksum = sum;
  return best;
}

double pe_cycles(const Timed& t, const ArrayConfig& cfg) {
  return static_cast<double>(cfg.rows) * cfg.cols * static_cast<double>(t.run.stats.cycles);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle = std::string(SPARQ_SOURCE_DIR) + "/traces/inceptionv3-dog",
              layers = "conv2d_6,conv2d_11,conv2d_37";
  std::string sizes = "16,32", designs_arg = "int8,vsparq4", flows_arg = "ws,os", fidelity = "fast,stepped,structural",
              buffering_arg = "single";
  int rows = 0, cols = 0, structural_rows = 0, reps = 1;
  double min_seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bundle")
      bundle = v;
    else if (k == "--layers" || k == "--layer")
      layers = v;
    else if (k == "--sizes")
      sizes = v;
    else if (k == "--rows")
      rows = std::stoi(v);
    else if (k == "--cols")
      cols = std::stoi(v);
    else if (k == "--designs")
      designs_arg = v;
    else if (k == "--flows")
      flows_arg = v;
    else if (k == "--fidelity")
      fidelity = v;
    else if (k == "--structural-rows")
      structural_rows = std::stoi(v);
    else if (k == "--min-seconds")
      min_seconds = std::stod(v);
    else if (k == "--reps")
      reps = std::stoi(v);
    else if (k == "--buffering")
      buffering_arg = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const BundleManifest m = read_manifest(bundle);
#ifdef NDEBUG
    const char* build = "optimized (NDEBUG)";
#else
    const char* build = "debug build: numbers are not representative, use the release preset";
#endif
    std::vector<std::pair<int, int>> shapes;
    if (rows > 0 || cols > 0)
      shapes.emplace_back(rows > 0 ? rows : 16, cols > 0 ? cols : 16);
    else
      for (const auto& s : split(sizes)) shapes.emplace_back(std::stoi(s), std::stoi(s));
    const auto fids = split(fidelity);
    const auto want = [&](const char* f) { return std::find(fids.begin(), fids.end(), f) != fids.end(); };
    std::printf("%s\n", build);
    for (const auto& layer : split(layers)) {
      const LayerInfo& info = m.layer(layer);
      const LayerTrace t = load_layer(m, info, false);
      const Gemm g = lower_conv(info.geo, t.input.data(), t.weights.data(), 0, info.activation_signed);
      std::int64_t checksum = 0;
      const double gemm_s = time_plain_gemm(g, std::max(reps, 3), &checksum);
      const double layer_macs = static_cast<double>(g.M) * g.N * g.K;
      std::printf(
          "\nlayer %s/%s: %s, GEMM M=%d N=%d K=%d; plain blocked int32 GEMM %.4f s = %.3e MAC/s (checksum %lld)\n",
          m.name.c_str(), layer.c_str(), info.geo.describe().c_str(), g.M, g.N, g.K, gemm_s, layer_macs / gemm_s,
          static_cast<long long>(checksum));
      std::printf("%-8s %-4s %-7s %-10s %6s %12s %10s %8s %13s %11s %7s %10s\n", "design", "flow", "array", "fidelity",
                  "M", "MACs", "cycles", "seconds", "PE-cycles/s", "MACs/s", "x GEMM", "fast/str");
      for (const auto& [R, C] : shapes)
        for (const auto& dn : split(designs_arg))
          for (const auto& fl0 : split(flows_arg))
            for (const auto& wb : split(buffering_arg)) {
              ArrayConfig cfg;
              cfg.rows = R;
              cfg.cols = C;
              cfg.dataflow = parse_enum<Dataflow>(fl0);
              cfg.weight_buffering = parse_enum<WeightBuffering>(wb);
              const std::string fl = fl0 + (cfg.weight_buffering == WeightBuffering::Double ? "/d" : "");
              cfg.lod = LodPlacement::PE;
              if (dn == "int8")
                cfg.pe = PeArith::int8();
              else if (dn == "vsparq4")
                cfg.pe = PeArith::vsparq(4);
              else
                throw std::invalid_argument("unknown design " + dn + " (int8, vsparq4)");
              if (info.activation_signed && consumes_pairs(cfg.pe.design)) continue;
              const std::string shape = std::to_string(R) + "x" + std::to_string(C);
              auto print = [&](const char* fid, const Gemm& gg, const Timed& x, double ratio) {
                const double macs = static_cast<double>(x.run.stats.macs);
                std::printf("%-8s %-4s %-7s %-10s %6d %12llu %10llu %8.3f %13.3e %11.3e %7.2f", dn.c_str(), fl.c_str(),
                            shape.c_str(), fid, gg.M, static_cast<unsigned long long>(x.run.stats.macs),
                            static_cast<unsigned long long>(x.run.stats.cycles), x.seconds,
                            pe_cycles(x, cfg) / x.seconds, macs / x.seconds, x.seconds / (gemm_s * macs / layer_macs));
                if (ratio > 0)
                  std::printf(" %10.1f\n", ratio);
                else
                  std::printf("\n");
              };
              double fast_rate = 0;
              if (want("fast")) {
                cfg.fidelity = Fidelity::Fast;
                const Timed x = time_gemm(g, cfg, reps);
                fast_rate = pe_cycles(x, cfg) / x.seconds;
                print("fast", g, x, 0);
              }
              if (want("stepped")) {
                cfg.fidelity = Fidelity::Stepped;
                print("stepped", g, time_gemm(g, cfg, reps), 0);
              }
              if (want("structural")) {
                cfg.fidelity = Fidelity::Structural;
                int rows_run = structural_rows > 0 ? structural_rows : std::min(g.M, 32);
                Gemm slice = first_rows(g, rows_run);
                Timed x = time_gemm(slice, cfg, 1);
                // Grow the slice until one run lasts min_seconds (or the layer ends).
                while (structural_rows == 0 && x.seconds < min_seconds && slice.M < g.M) {
                  const double scale = std::min(8.0, 1.2 * min_seconds / std::max(x.seconds, 1e-3));
                  rows_run = std::min(g.M, static_cast<int>(slice.M * scale) + 1);
                  slice = first_rows(g, rows_run);
                  x = time_gemm(slice, cfg, 1);
                }
                // The whole layer is too short: repeat it.
                int runs = reps;
                if (x.seconds < min_seconds) runs = std::max(runs, static_cast<int>(min_seconds / x.seconds) + 1);
                if (runs > 1) x = time_gemm(slice, cfg, runs);
                print("structural", slice, x, fast_rate > 0 ? fast_rate / (pe_cycles(x, cfg) / x.seconds) : 0);
              }
            }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
