// The shipped real-layer bundles (traces/*/): every array verifies against
// its sha256, and the exact int8 convolution computed by the reference engine,
// dequantized, reproduces the float output the original network computed for
// the same input, within the error int8 quantization allows. This checks
// layout, padding, stride, groups and channel order end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "bundle.h"
#include "gemm.h"

namespace fs = std::filesystem;
using namespace sparq;

namespace {

std::vector<std::string> shipped_bundles() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(SPARQ_SOURCE_DIR) / "traces"))
    if (fs::exists(e.path() / "manifest.yaml")) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(RealTraces, BundlesAreShipped) {
  const auto b = shipped_bundles();
  ASSERT_GE(b.size(), 2u);
  bool inception = false, mobilenet = false;
  for (const auto& p : b) {
    const auto m = read_manifest(p);
    inception |= m.model_name == "InceptionV3" && m.pretrained;
    mobilenet |= m.model_name == "MobileNetV2" && m.pretrained;
  }
  EXPECT_TRUE(inception);
  EXPECT_TRUE(mobilenet);
}

// Relative L2 error of the dequantized exact int8 output against the float
// output. int8 quantization of input and weights (each with relative step
// ~1/255 and ~1/127 of their range) leaves a few percent at most on these
// layers; a layout, padding or channel-order bug gives errors near 1 or more.
TEST(RealTraces, DequantizedInt8ConvMatchesFloatOutput) {
  int checked = 0;
  for (const auto& dir : shipped_bundles()) {
    const BundleManifest m = read_manifest(dir);
    for (const auto& info : m.layers) {
      if (!info.float_output) continue;
      const LayerTrace t = load_layer(m, info);  // verifies every sha256
      const ConvGeometry& g = info.geo;
      const LayerResult r =
          reference_layer(g, t.input.data(), t.weights.data(), PeArith::int8(), 64, info.activation_signed);
      double err2 = 0, ref2 = 0;
      for (std::size_t i = 0; i < r.exact.size(); ++i) {
        const int oc = static_cast<int>(i % static_cast<std::size_t>(g.C_out));
        double y = static_cast<double>(r.exact[i]) * info.activation_scale * t.weight_scales[oc];
        if (!t.bias.empty()) y += t.bias[oc];
        const double d = y - t.float_output[i];
        err2 += d * d;
        ref2 += static_cast<double>(t.float_output[i]) * t.float_output[i];
      }
      const double rel = std::sqrt(err2 / std::max(ref2, 1e-30));
      std::printf("  %-18s %-22s %-36s rel L2 %.4f\n", m.name.c_str(), info.name.c_str(), g.describe().c_str(), rel);
      EXPECT_LT(rel, 0.05) << m.name << "/" << info.name << " " << g.describe();
      // Scrambling the channel order must break the match (the check has teeth).
      if (checked == 0) {
        double bad2 = 0;
        for (std::size_t i = 0; i < r.exact.size(); ++i) {
          const int oc = static_cast<int>(i % static_cast<std::size_t>(g.C_out));
          const std::size_t j = i - oc + (oc + 1) % g.C_out;
          double y = static_cast<double>(r.exact[j]) * info.activation_scale * t.weight_scales[(oc + 1) % g.C_out];
          const double d = y - t.float_output[i];
          bad2 += d * d;
        }
        EXPECT_GT(std::sqrt(bad2 / ref2), 0.3);
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
}
