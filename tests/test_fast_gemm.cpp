// The functional fast path (fast_gemm.h) against the reference engine
// (gemm.h's plain loops): random GEMMs and random convolutions under every
// design, rounding mode, signedness and accumulator width, bit for bit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "fast_gemm.h"
#include "gemm.h"

using namespace sparq;

namespace {

std::uint32_t seed() {
  static const std::uint32_t s = [] {
    const char* e = std::getenv("SPARQ_TEST_SEED");
    const std::uint32_t v = e ? static_cast<std::uint32_t>(std::strtoul(e, nullptr, 10)) : 20261130u;
    std::cout << "[seed] SPARQ_TEST_SEED=" << v << "\n";
    return v;
  }();
  return s;
}

std::vector<PeArith> designs() {
  std::vector<PeArith> d = {PeArith::int8(), PeArith::int4(Rounding::Trunc), PeArith::int4(Rounding::Round),
                            PeArith::vsparq(3), PeArith::vsparq(2)};
  for (const char* s : {"5opt", "3opt", "2opt"})
    for (Rounding r : {Rounding::Trunc, Rounding::Round, Rounding::RoundRenorm}) {
      d.push_back(PeArith::bsparq(preset(s, r)));
      d.push_back(PeArith::vsparq(4, preset(s, r)));
    }
  return d;
}

// Activations with runs of zeros (so that every pair case occurs) and the
// full 8-bit range; weights over all of int8, -128 included.
std::uint8_t activation(std::mt19937& rng) {
  const unsigned r = rng() % 8;
  if (r < 3) return 0;
  if (r == 3) return static_cast<std::uint8_t>(240 + rng() % 16);
  return static_cast<std::uint8_t>(rng() % 256);
}

}  // namespace

TEST(FastGemm, EqualsReferenceOnRandomGemms) {
  std::mt19937 rng(seed());
  for (const PeArith& pe : designs()) {
    for (int trial = 0; trial < 12; ++trial) {
      Gemm g;
      g.M = 1 + static_cast<int>(rng() % 9);
      g.N = 1 + static_cast<int>(rng() % 13);
      g.K = 1 + static_cast<int>(rng() % 41);
      g.Kp = g.K + (g.K & 1);
      g.signed_activations = pe == PeArith::int8() && trial % 2 == 1;
      g.A.assign(static_cast<std::size_t>(g.M) * g.Kp, 0);
      g.B.assign(static_cast<std::size_t>(g.Kp) * g.N, 0);
      for (int m = 0; m < g.M; ++m)
        for (int k = 0; k < g.K; ++k) g.A[static_cast<std::size_t>(m) * g.Kp + k] = activation(rng);
      for (int k = 0; k < g.K; ++k)
        for (int n = 0; n < g.N; ++n)
          g.B[static_cast<std::size_t>(k) * g.N + n] = static_cast<std::int8_t>(rng() % 256);
      // Narrow accumulators wrap: the fast path wraps once at the end.
      const int acc_bits =
          trial % 3 == 0 ? pe.design->min_acc_bits() + static_cast<int>(rng() % 4) : (trial % 3 == 1 ? 32 : 64);
      EXPECT_EQ(functional_gemm(g, pe, acc_bits), reference_gemm(g, pe, acc_bits, nullptr))
          << pe.label() << " M=" << g.M << " N=" << g.N << " K=" << g.K << " acc_bits=" << acc_bits
          << " signed=" << g.signed_activations;
    }
  }
}

TEST(FastGemm, ConvEqualsReferenceLayer) {
  std::mt19937 rng(seed() + 1);
  const auto all = designs();
  for (int trial = 0; trial < 60; ++trial) {
    ConvGeometry g;
    g.H = 1 + static_cast<int>(rng() % 9);
    g.W = 1 + static_cast<int>(rng() % 9);
    g.KH = 1 + static_cast<int>(rng() % 3);
    g.KW = 1 + static_cast<int>(rng() % 3);
    g.SH = 1 + static_cast<int>(rng() % 2);
    g.SW = 1 + static_cast<int>(rng() % 2);
    g.DH = 1 + static_cast<int>(rng() % 2);
    g.DW = 1;
    g.pad_top = static_cast<int>(rng() % 2), g.pad_bottom = static_cast<int>(rng() % 3);
    g.pad_left = static_cast<int>(rng() % 2), g.pad_right = static_cast<int>(rng() % 2);
    const int kind = trial % 3;  // plain, grouped, depthwise
    g.groups = kind == 0 ? 1 : (kind == 1 ? 2 : 3 + static_cast<int>(rng() % 3));
    g.C_in = kind == 2 ? g.groups : g.groups * (1 + static_cast<int>(rng() % 5));
    g.C_out = g.groups * (1 + static_cast<int>(rng() % 4));
    if (g.H + g.pad_top + g.pad_bottom < g.DH * (g.KH - 1) + 1 || g.W + g.pad_left + g.pad_right < g.KW) continue;
    std::vector<std::uint8_t> in(static_cast<std::size_t>(g.H) * g.W * g.C_in);
    std::vector<std::int8_t> w(static_cast<std::size_t>(g.KH) * g.KW * g.cin_per_group() * g.C_out);
    for (auto& a : in) a = activation(rng);
    for (auto& x : w) x = static_cast<std::int8_t>(rng() % 256);
    const PeArith& pe = all[static_cast<std::size_t>(trial) % all.size()];
    const bool sgn = pe == PeArith::int8() && trial % 2 == 0;
    const int acc_bits = trial % 4 == 0 ? pe.design->min_acc_bits() : 32;
    const LayerResult ref = reference_layer(g, in.data(), w.data(), pe, acc_bits, sgn);
    EXPECT_EQ(functional_conv(g, in.data(), w.data(), pe, acc_bits, sgn), ref.acc)
        << pe.label() << " " << g.describe() << " groups=" << g.groups << " acc_bits=" << acc_bits;
  }
}

TEST(FastGemm, RefusesSignedActivationsForPairDesigns) {
  ConvGeometry g;
  std::vector<std::uint8_t> in(1, 1);
  std::vector<std::int8_t> w(1, 1);
  EXPECT_THROW(functional_conv(g, in.data(), w.data(), PeArith::vsparq(4), 32, true), std::invalid_argument);
}
