// Simulated MACs per second of the fast and structural array models on a real
// layer (default: InceptionV3 conv2d_6, a 1x1 convolution 35x35x192 -> 64,
// 15.1 M MACs, from traces/inceptionv3-dog). The structural model runs the
// first --structural-rows output pixels only (it is far slower; 0 skips it).
//
// usage: sparq_array_bench [--bundle DIR] [--layer NAME] [--rows R] [--cols C]
//                          [--structural-rows M] [--reps N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "array_sim.h"
#include "bundle.h"

using namespace sparq;
using namespace sparq::hw;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle = std::string(SPARQ_SOURCE_DIR) + "/traces/inceptionv3-dog", layer = "conv2d_6";
  int R = 16, C = 16, structural_rows = 64, reps = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bundle")
      bundle = v;
    else if (k == "--layer")
      layer = v;
    else if (k == "--rows")
      R = std::stoi(v);
    else if (k == "--cols")
      C = std::stoi(v);
    else if (k == "--structural-rows")
      structural_rows = std::stoi(v);
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
    Gemm slice = g;
    slice.M = std::min(structural_rows, g.M);
    slice.A.resize(static_cast<std::size_t>(slice.M) * g.Kp);
#ifdef NDEBUG
    const char* build = "optimized (NDEBUG)";
#else
    const char* build = "debug build: numbers are not representative, use the release preset";
#endif
    std::printf("layer %s/%s: %s, GEMM M=%d N=%d K=%d, array %dx%d, %s\n", m.name.c_str(), layer.c_str(),
                info.geo.describe().c_str(), g.M, g.N, g.K, R, C, build);
    std::printf("%-10s %-5s %-4s %-11s %14s %12s %10s %14s\n", "design", "flow", "lod", "fidelity", "MACs", "cycles",
                "seconds", "MACs/s");
    struct Case {
      const char* name;
      PeArith pe;
    };
    const Case designs[] = {{"int8", PeArith::int8()}, {"vsparq4", PeArith::vsparq(4)}};
    for (const Case& d : designs)
      for (Dataflow df : {Dataflow::WS, Dataflow::OS})
        for (Fidelity f : {Fidelity::Fast, Fidelity::Stepped, Fidelity::Structural}) {
          if (info.activation_signed && consumes_pairs(d.pe.design)) continue;
          if (f == Fidelity::Structural && structural_rows == 0) continue;
          ArrayConfig cfg;
          cfg.rows = R;
          cfg.cols = C;
          cfg.dataflow = df;
          cfg.pe = d.pe;
          cfg.lod = LodPlacement::PE;
          cfg.fidelity = f;
          const Gemm& run_g = f == Fidelity::Structural ? slice : g;
          const auto t0 = std::chrono::steady_clock::now();
          GemmRun r;
          for (int i = 0; i < reps; ++i) r = simulate_gemm(run_g, cfg);
          const double s = seconds_since(t0) / reps;
          std::printf("%-10s %-5s %-4s %-11s %14llu %12llu %10.3f %14.3e\n", d.name, to_string(df), to_string(cfg.lod),
                      to_string(f), static_cast<unsigned long long>(r.stats.macs),
                      static_cast<unsigned long long>(r.stats.cycles), s, static_cast<double>(r.stats.macs) / s);
        }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
