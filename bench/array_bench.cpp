// Simulation speed of the fast and structural array models on a real layer
// (default: InceptionV3 conv2d_6, a 1x1 convolution 35x35x192 -> 64, 15.1 M
// MACs, from traces/inceptionv3-dog): simulated PE-cycles (R x C x cycles)
// and useful MACs per second of CPU time (the fastest of --reps runs),
// elaboration included. The fast model runs the whole layer; the structural
// model the first output pixels, as many as make a run last --min-seconds (or
// --structural-rows of them; repeated if the whole layer is shorter), and its
// line ends with the fast / structural ratio of PE-cycles per second.
//
// usage: sparq_array_bench [--bundle DIR] [--layer NAME] [--sizes 16,32] [--rows R --cols C]
//                          [--designs int8,vsparq4] [--flows ws,os] [--fidelity fast|structural|both]
//                          [--structural-rows M] [--min-seconds S] [--reps N]
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

double pe_cycles(const Timed& t, const ArrayConfig& cfg) {
  return static_cast<double>(cfg.rows) * cfg.cols * static_cast<double>(t.run.stats.cycles);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle = std::string(SPARQ_SOURCE_DIR) + "/traces/inceptionv3-dog", layer = "conv2d_6";
  std::string sizes = "16,32", designs_arg = "int8,vsparq4", flows_arg = "ws,os", fidelity = "both";
  int rows = 0, cols = 0, structural_rows = 0, reps = 1;
  double min_seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bundle")
      bundle = v;
    else if (k == "--layer")
      layer = v;
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
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const BundleManifest m = read_manifest(bundle);
    const LayerInfo& info = m.layer(layer);
    const LayerTrace t = load_layer(m, info, false);
    const Gemm g = lower_conv(info.geo, t.input.data(), t.weights.data(), 0, info.activation_signed);
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
    std::printf("layer %s/%s: %s, GEMM M=%d N=%d K=%d, %s\n", m.name.c_str(), layer.c_str(),
                info.geo.describe().c_str(), g.M, g.N, g.K, build);
    std::printf("%-8s %-4s %-7s %-10s %6s %12s %10s %8s %13s %11s %10s\n", "design", "flow", "array", "fidelity", "M",
                "MACs", "cycles", "seconds", "PE-cycles/s", "MACs/s", "fast/str");
    const bool run_fast = fidelity != "structural", run_str = fidelity != "fast";
    for (const auto& [R, C] : shapes)
      for (const auto& dn : split(designs_arg))
        for (const auto& fl : split(flows_arg)) {
          ArrayConfig cfg;
          cfg.rows = R;
          cfg.cols = C;
          cfg.dataflow = parse_enum<Dataflow>(fl);
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
            std::printf("%-8s %-4s %-7s %-10s %6d %12llu %10llu %8.3f %13.3e %11.3e", dn.c_str(), fl.c_str(),
                        shape.c_str(), fid, gg.M, static_cast<unsigned long long>(x.run.stats.macs),
                        static_cast<unsigned long long>(x.run.stats.cycles), x.seconds, pe_cycles(x, cfg) / x.seconds,
                        static_cast<double>(x.run.stats.macs) / x.seconds);
            if (ratio > 0)
              std::printf(" %10.1f\n", ratio);
            else
              std::printf("\n");
          };
          double fast_rate = 0;
          if (run_fast) {
            cfg.fidelity = Fidelity::Fast;
            const Timed x = time_gemm(g, cfg, reps);
            fast_rate = pe_cycles(x, cfg) / x.seconds;
            print("fast", g, x, 0);
          }
          if (run_str) {
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
