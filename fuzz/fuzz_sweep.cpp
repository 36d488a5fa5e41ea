// libFuzzer harness: the sweep file loader (axes, points, every point's
// config validated, input fingerprints). Inputs name `base: base.yaml`, a
// config written beside them at start-up with a tiny synthetic bundle. The
// point list must survive points.csv and back.
#include <cstdint>
#include <string>

#include "bundle.h"
#include "fuzz_util.h"
#include "sweep.h"

namespace {

void setup() {
  using namespace sparq;
  LayerTrace t;
  t.info.name = "l";
  t.info.op = "conv2d";
  t.info.geo.H = t.info.geo.W = 2, t.info.geo.C_in = t.info.geo.C_out = 2;
  t.info.activation_scale = 0.1;
  t.input = {1, 2, 3, 4, 5, 6, 7, 8};
  t.weights = {1, -1, 2, -2};
  t.weight_scales = {0.5f, 0.25f};
  BundleManifest m;
  m.name = "fuzz";
  m.model_name = "fuzz";
  m.model_source = "fuzz/fuzz_sweep.cpp";
  write_bundle(sparq_fuzz::scratch() + "/bundle", m, {t});
  const std::string base = "trace: {bundle: bundle, max_pixels: 1}\n";
  sparq_fuzz::put("base.yaml", base.data(), base.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ready = (setup(), true);
  (void)ready;
  const std::string path = sparq_fuzz::put("sweep.yaml", reinterpret_cast<const char*>(data), size);
  sparq_fuzz::expect_only_input_errors([&] {
    const sparq::SweepSpec s = sparq::load_sweep(path);
    const std::string csv = sparq::points_csv(s.points);
    const std::string p = sparq_fuzz::put("points.csv", csv.data(), csv.size());
    if (sparq::points_csv(sparq::read_points_csv(p)) != csv) sparq_fuzz::finding("points.csv does not round-trip");
  });
  return 0;
}
