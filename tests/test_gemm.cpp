// Conv lowering and the reference engine: lowering against a direct 7-loop
// convolution over varied geometries (stride, padding, dilation, groups,
// depthwise, dense, odd K), the reduction order of docs/arithmetic.md §4, and accumulator
// overflow detection. Random data uses a seed from SPARQ_TEST_SEED (printed).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "gemm.h"

using namespace sparq;

namespace {

std::uint32_t test_seed() {
  static const std::uint32_t seed = [] {
    const char* e = std::getenv("SPARQ_TEST_SEED");
    const std::uint32_t s = e ? static_cast<std::uint32_t>(std::strtoul(e, nullptr, 10)) : 20260527u;
    std::cout << "[seed] SPARQ_TEST_SEED=" << s << "\n";
    return s;
  }();
  return seed;
}

struct Data {
  std::vector<std::uint8_t> in;
  std::vector<std::int8_t> w;
};

// Activations with a realistic share of zeros (post-ReLU) and weights in [-127, 127].
Data make_data(const ConvGeometry& g, std::mt19937& rng, double zero_frac = 0.5) {
  Data d;
  d.in.resize(static_cast<std::size_t>(g.H) * g.W * g.C_in);
  d.w.resize(static_cast<std::size_t>(g.KH) * g.KW * g.cin_per_group() * g.C_out);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> a(1, 255), w(-127, 127);
  for (auto& x : d.in) x = u(rng) < zero_frac ? 0 : static_cast<std::uint8_t>(a(rng));
  for (auto& x : d.w) x = static_cast<std::int8_t>(w(rng));
  return d;
}

ConvGeometry geo(int H, int W, int Cin, int Cout, int KH, int KW, int S, int pad, int dil, int groups) {
  ConvGeometry g;
  g.H = H, g.W = W, g.C_in = Cin, g.C_out = Cout, g.KH = KH, g.KW = KW, g.SH = S, g.SW = S;
  g.pad_top = pad, g.pad_bottom = pad, g.pad_left = pad, g.pad_right = pad;
  g.DH = dil, g.DW = dil, g.groups = groups;
  return g;
}

std::vector<ConvGeometry> geometries() {
  std::vector<ConvGeometry> v = {
      geo(7, 7, 3, 8, 3, 3, 2, 0, 1, 1),    // stem-like, odd K
      geo(6, 5, 4, 6, 3, 3, 1, 1, 1, 1),    // same padding, non-square input
      geo(9, 9, 6, 4, 5, 5, 1, 2, 1, 1),    // 5x5
      geo(8, 8, 5, 3, 1, 7, 1, 0, 1, 1),    // 1x7 (odd C_in: pairs straddle taps)
      geo(8, 8, 4, 3, 7, 1, 1, 0, 1, 1),    // 7x1
      geo(9, 9, 4, 4, 3, 3, 1, 2, 2, 1),    // dilation 2
      geo(7, 7, 6, 6, 3, 3, 2, 1, 1, 6),    // depthwise, stride 2
      geo(6, 6, 4, 8, 3, 3, 1, 1, 1, 2),    // grouped conv
      geo(1, 1, 33, 10, 1, 1, 1, 0, 1, 1),  // dense, odd K
      geo(5, 5, 8, 16, 1, 1, 1, 0, 1, 1),   // pointwise
      geo(5, 5, 3, 12, 3, 3, 1, 1, 1, 3),   // depth multiplier 4
  };
  ConvGeometry asym = geo(7, 9, 2, 3, 2, 3, 1, 0, 1, 1);
  asym.SH = 2, asym.SW = 1, asym.pad_top = 0, asym.pad_bottom = 1, asym.pad_left = 2, asym.pad_right = 0;
  v.push_back(asym);
  return v;
}

}  // namespace

TEST(Geometry, OutputSizesAndValidation) {
  EXPECT_EQ(geo(299, 299, 3, 32, 3, 3, 2, 0, 1, 1).H_out(), 149);
  EXPECT_EQ(geo(35, 35, 64, 64, 3, 3, 1, 1, 1, 1).W_out(), 35);
  EXPECT_EQ(geo(9, 9, 4, 4, 3, 3, 1, 2, 2, 1).H_out(), 9);
  EXPECT_THROW(geo(5, 5, 3, 4, 3, 3, 1, 0, 1, 2).validate(), std::invalid_argument);          // 3 % 2
  EXPECT_THROW(geo(2, 2, 3, 4, 3, 3, 1, 0, 1, 1).validate(), std::invalid_argument);          // kernel too big
  EXPECT_THROW(geo(5, 5, 3, 4, 3, 3, 0, 0, 1, 1).validate(), std::invalid_argument);          // stride 0
  EXPECT_THROW(geo(65536, 65536, 4, 4, 1, 1, 1, 0, 1, 1).validate(), std::invalid_argument);  // 2^34 inputs
}

TEST(Lowering, ReductionOrderIsTapMajorChannelMinor) {
  // 2x2 kernel, 3 channels, 1x1 output: k = (kh*KW + kw)*C + c.
  ConvGeometry g = geo(2, 2, 3, 1, 2, 2, 1, 0, 1, 1);
  std::vector<std::uint8_t> in(12);
  for (int i = 0; i < 12; ++i) in[i] = static_cast<std::uint8_t>(i + 1);  // in[(y*2+x)*3+c]
  std::vector<std::int8_t> w(12, 1);
  const Gemm gm = lower_conv(g, in.data(), w.data(), 0);
  ASSERT_EQ(gm.M, 1);
  ASSERT_EQ(gm.K, 12);
  ASSERT_EQ(gm.Kp, 12);
  for (int kh = 0; kh < 2; ++kh)
    for (int kw = 0; kw < 2; ++kw)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(gm.a(0, (kh * 2 + kw) * 3 + c), in[(kh * 2 + kw) * 3 + c]);
  // Odd K is padded with one zero activation and a zero weight.
  ConvGeometry odd = geo(1, 1, 3, 2, 1, 1, 1, 0, 1, 1);
  std::vector<std::uint8_t> in3 = {5, 6, 7};
  std::vector<std::int8_t> w3 = {1, 2, 3, 4, 5, 6};
  const Gemm go = lower_conv(odd, in3.data(), w3.data(), 0);
  EXPECT_EQ(go.K, 3);
  EXPECT_EQ(go.Kp, 4);
  EXPECT_EQ(go.a(0, 3), 0);
  EXPECT_EQ(go.b(3, 0), 0);
  EXPECT_EQ(go.b(3, 1), 0);
}

TEST(Lowering, MatchesDirectConvolution) {
  std::mt19937 rng(test_seed());
  for (const auto& g : geometries()) {
    const Data d = make_data(g, rng);
    const auto direct = direct_conv_exact(g, d.in.data(), d.w.data());
    const LayerResult r = reference_layer(g, d.in.data(), d.w.data(), PeArith::int8(), 64);
    EXPECT_EQ(r.acc, direct) << g.describe();
    EXPECT_EQ(r.exact, direct) << g.describe();
    EXPECT_EQ(r.stats.overflows, 0u);
  }
}

TEST(Lowering, SignedActivationsUnderInt8) {
  std::mt19937 rng(test_seed() + 1);
  const ConvGeometry g = geo(5, 5, 4, 3, 3, 3, 1, 1, 1, 1);
  Data d = make_data(g, rng, 0.1);
  const auto direct = direct_conv_exact(g, d.in.data(), d.w.data(), true);
  const LayerResult r = reference_layer(g, d.in.data(), d.w.data(), PeArith::int8(), 32, true);
  EXPECT_EQ(r.acc, direct);
  EXPECT_EQ(r.exact, direct);
  EXPECT_THROW(reference_layer(g, d.in.data(), d.w.data(), PeArith::vsparq(4, preset("5opt")), 32, true),
               std::invalid_argument);
}

// Under every design, each output equals the sum over k-pairs of the pair
// rule applied to the direct convolution's receptive field, gathered
// independently of lower_conv.
TEST(ReferenceEngine, DesignsMatchPairRuleOnDirectGather) {
  std::mt19937 rng(test_seed() + 2);
  const std::vector<PeArith> designs = {PeArith::int4(),
                                        PeArith::bsparq(preset("5opt")),
                                        PeArith::bsparq(preset("2opt", Rounding::Trunc)),
                                        PeArith::vsparq(4, preset("3opt")),
                                        PeArith::vsparq(3),
                                        PeArith::vsparq(2, preset("5opt", Rounding::RoundRenorm))};
  for (const auto& g : geometries()) {
    const Data d = make_data(g, rng);
    const int Ho = g.H_out(), Wo = g.W_out(), Cg = g.cin_per_group(), Ng = g.cout_per_group();
    for (const auto& pe : designs) {
      const LayerResult r = reference_layer(g, d.in.data(), d.w.data(), pe, 32);
      for (int oy = 0; oy < Ho; ++oy)
        for (int ox = 0; ox < Wo; ++ox)
          for (int oc = 0; oc < g.C_out; ++oc) {
            std::vector<int> a, w;
            for (int kh = 0; kh < g.KH; ++kh)
              for (int kw = 0; kw < g.KW; ++kw)
                for (int c = 0; c < Cg; ++c) {
                  const int iy = oy * g.SH + kh * g.DH - g.pad_top, ix = ox * g.SW + kw * g.DW - g.pad_left;
                  const bool in = iy >= 0 && ix >= 0 && iy < g.H && ix < g.W;
                  a.push_back(in ? d.in[(static_cast<std::size_t>(iy) * g.W + ix) * g.C_in + (oc / Ng) * Cg + c] : 0);
                  w.push_back(d.w[((static_cast<std::size_t>(kh) * g.KW + kw) * Cg + c) * g.C_out + oc]);
                }
            if (a.size() % 2) a.push_back(0), w.push_back(0);
            std::int64_t want = 0;
            for (std::size_t k = 0; k < a.size(); k += 2) {
              const auto eff =
                  effective_activations(static_cast<std::uint8_t>(a[k]), static_cast<std::uint8_t>(a[k + 1]), pe);
              want += static_cast<std::int64_t>(eff[0]) * w[k] + static_cast<std::int64_t>(eff[1]) * w[k + 1];
            }
            ASSERT_EQ(r.acc[(static_cast<std::size_t>(oy) * Wo + ox) * g.C_out + oc], want)
                << g.describe() << " design " << to_string(pe.design) << " at " << oy << "," << ox << "," << oc;
          }
      // Pair-case counts cover every (pixel, k-pair) of every group once.
      const std::uint64_t pairs = static_cast<std::uint64_t>(Ho) * Wo * g.groups * ((g.K() + 1) / 2);
      EXPECT_EQ(r.stats.pairs, pairs);
      EXPECT_EQ(r.stats.both_nonzero() + r.stats.one_zero() + r.stats.both_zero(), pairs);
    }
  }
}

TEST(ReferenceEngine, DetectsAccumulatorOverflow) {
  // 1x1 conv with 64 channels of 255 * 127: sum = 2,072,640 fits 32 bits, not 20.
  ConvGeometry g = geo(1, 1, 64, 1, 1, 1, 1, 0, 1, 1);
  std::vector<std::uint8_t> in(64, 255);
  std::vector<std::int8_t> w(64, 127);
  const auto ok = reference_layer(g, in.data(), w.data(), PeArith::int8(), 32);
  EXPECT_EQ(ok.stats.overflows, 0u);
  EXPECT_EQ(ok.acc[0], 64 * 255 * 127);
  const auto bad = reference_layer(g, in.data(), w.data(), PeArith::int8(), 20);
  EXPECT_GT(bad.stats.overflows, 0u);
  EXPECT_EQ(bad.acc[0], Accumulator::wrap(64 * 255 * 127, 20));
  EXPECT_EQ(bad.exact[0], 64 * 255 * 127);
  // The first overflow happens at the 17th product (16 * 32385 = 518,160 < 2^19 - 1 = 524,287 < 17 * 32385).
  const auto one = reference_layer(geo(1, 1, 17, 1, 1, 1, 1, 0, 1, 1), in.data(), w.data(), PeArith::int8(), 20);
  EXPECT_EQ(one.stats.overflows, 1u);
  EXPECT_THROW(reference_layer(g, in.data(), w.data(), PeArith::int8(), 65), std::invalid_argument);
}

// The exact GEMM equals the reference engine's int8 design with a 64-bit
// accumulator, also where the sums need more than 32 bits (K large).
TEST(ReferenceEngine, ExactGemmEqualsInt8Reference) {
  std::mt19937 rng(test_seed() + 9);
  for (int K : {1, 7, 300, 90000}) {
    Gemm g;
    g.M = 3;
    g.N = 4;
    g.K = K;
    g.Kp = K + (K & 1);
    g.A.assign(static_cast<std::size_t>(g.M) * g.Kp, 0);
    g.B.assign(static_cast<std::size_t>(g.Kp) * g.N, 0);
    for (int m = 0; m < g.M; ++m)
      for (int k = 0; k < K; ++k) g.A[static_cast<std::size_t>(m) * g.Kp + k] = rng() % 4 ? 255 : 0;
    for (int k = 0; k < K; ++k)
      for (int n = 0; n < g.N; ++n) g.B[static_cast<std::size_t>(k) * g.N + n] = n % 2 ? -128 : 127;
    const auto ref = reference_gemm(g, PeArith::int8(), 64, nullptr);
    EXPECT_EQ(exact_gemm(g), ref) << "K=" << K;
    if (K == 90000) {
      EXPECT_LT(ref[1], -(std::int64_t{1} << 31));  // the int64 path is exercised
    }
  }
}
