// Speed of the functional fast path (hw_models/core/fast_gemm.h) on real
// layers: useful MACs per second of CPU time on one core (the fastest of
// --reps runs) of functional_conv, for each design, next to the reference
// engine (reference_layer, the golden loops) on the same layer. Checks on the
// way that both give the same accumulators.
//
// usage: sparq_functional_bench [--bundle DIR] [--layers A,B] [--reps N] [--no-reference]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "bundle.h"
#include "fast_gemm.h"

using namespace sparq;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle = std::string(SPARQ_SOURCE_DIR) + "/traces/inceptionv3-dog";
  std::vector<std::string> layers = {"conv2d_2", "conv2d_11", "conv2d_37", "conv2d_94"};
  int reps = 3;
  bool reference = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--bundle")
      bundle = val();
    else if (a == "--layers")
      layers = split(val());
    else if (a == "--reps")
      reps = std::max(1, std::stoi(val()));
    else if (a == "--no-reference")
      reference = false;
    else {
      std::fprintf(stderr, "usage: sparq_functional_bench [--bundle DIR] [--layers A,B] [--reps N] [--no-reference]\n");
      return 2;
    }
  }
  const BundleManifest m = read_manifest(bundle);
  const std::vector<PeArith> designs = {PeArith::int8(), PeArith::int4(), PeArith::bsparq(WindowSpec{}),
                                        PeArith::vsparq(4), PeArith::vsparq(2)};
  std::printf("%-12s %-32s %-14s %12s %12s %9s\n", "layer", "geometry", "design", "fast GMAC/s", "ref GMAC/s",
              "speed-up");
  double total_macs = 0, total_s = 0;
  for (const auto& name : layers) {
    const LayerTrace t = load_layer(m, m.layer(name));
    const ConvGeometry& g = t.info.geo;
    const double macs = static_cast<double>(g.macs());
    for (const PeArith& pe : designs) {
      if (t.info.activation_signed && pe.design != PeArith::int8().design) continue;
      double best = 1e30;
      std::vector<std::int64_t> acc;
      for (int r = 0; r < reps; ++r) {
        const double t0 = cpu_seconds();
        acc = functional_conv(g, t.input.data(), t.weights.data(), pe, 32, t.info.activation_signed);
        best = std::min(best, cpu_seconds() - t0);
      }
      if (pe.label() == "vsparq-5opt") total_macs += macs, total_s += best;
      double ref = 0;
      if (reference) {
        const double t0 = cpu_seconds();
        const LayerResult lr = reference_layer(g, t.input.data(), t.weights.data(), pe, 32, t.info.activation_signed);
        ref = cpu_seconds() - t0;
        if (lr.acc != acc) {
          std::fprintf(stderr, "MISMATCH: functional_conv differs from reference_layer on %s under %s\n", name.c_str(),
                       pe.label().c_str());
          return 1;
        }
      }
      std::printf("%-12s %-32s %-14s %12.2f %12s %9s\n", name.c_str(), g.describe().c_str(), pe.label().c_str(),
                  macs / best * 1e-9, reference ? std::to_string(macs / ref * 1e-9).substr(0, 6).c_str() : "-",
                  reference ? (std::to_string(ref / best).substr(0, 5) + "x").c_str() : "-");
    }
  }
  std::printf("vsparq-5opt over these layers: %.2f GMAC/s on one core\n", total_macs / total_s * 1e-9);
  return 0;
}
