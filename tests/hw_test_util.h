// Shared helpers of the hardware-model tests: the seed (SPARQ_TEST_SEED,
// printed), random GEMMs with post-ReLU-like zeros, and the PE designs tried.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "array_sim.h"
#include "gemm.h"

namespace hwtest {

inline std::uint32_t seed() {
  static const std::uint32_t s = [] {
    const char* e = std::getenv("SPARQ_TEST_SEED");
    const std::uint32_t v = e ? static_cast<std::uint32_t>(std::strtoul(e, nullptr, 10)) : 20260527u;
    std::cout << "[seed] SPARQ_TEST_SEED=" << v << "\n";
    return v;
  }();
  return s;
}

// A GEMM with M x K activations (a share zero_frac of zeros) and K x N weights
// in [-128, 127]; the padding column of an odd K is zero as lower_conv makes it.
inline sparq::Gemm random_gemm(int M, int N, int K, std::mt19937& rng, double zero_frac = 0.4,
                               bool signed_act = false) {
  sparq::Gemm g;
  g.M = M;
  g.N = N;
  g.K = K;
  g.Kp = K + (K & 1);
  g.signed_activations = signed_act;
  g.A.assign(static_cast<std::size_t>(M) * g.Kp, 0);
  g.B.assign(static_cast<std::size_t>(g.Kp) * N, 0);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> a(1, 255), w(-128, 127);
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k)
      g.A[static_cast<std::size_t>(m) * g.Kp + k] = u(rng) < zero_frac ? 0 : static_cast<std::uint8_t>(a(rng));
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n) g.B[static_cast<std::size_t>(k) * N + n] = static_cast<std::int8_t>(w(rng));
  return g;
}

struct NamedDesign {
  std::string name;
  sparq::PeArith pe;
};

inline std::vector<NamedDesign> designs() {
  using namespace sparq;
  return {
      {"int8", PeArith::int8()},
      {"int4", PeArith::int4()},
      {"bsparq-3opt-trunc", PeArith::bsparq(preset("3opt", Rounding::Trunc))},
      {"bsparq-5opt-round", PeArith::bsparq(preset("5opt", Rounding::Round))},
      {"vsparq4-5opt-round", PeArith::vsparq(4, preset("5opt", Rounding::Round))},
      {"vsparq4-2opt-renorm", PeArith::vsparq(4, preset("2opt", Rounding::RoundRenorm))},
      {"vsparq3", PeArith::vsparq(3)},
      {"vsparq2-trunc", PeArith::vsparq(2, preset("5opt", Rounding::Trunc))},
      // Generalized vSPARQ: 3-bit lanes with a 6-bit partner on {4,2,0}.
      {"vsparq-3b/{4,2,0}",
       PeArith::vsparq(WindowSpec{3, 0b111111, Rounding::Round}, WindowSpec{6, 0b10101, Rounding::Round})},
  };
}

// Reduction steps the array runs: K (int8) or K-pairs.
inline int steps(const sparq::Gemm& g, const sparq::PeArith& pe) {
  return sparq::consumes_pairs(pe.design) ? g.Kp / 2 : g.K;
}

}  // namespace hwtest
