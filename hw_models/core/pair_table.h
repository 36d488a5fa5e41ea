// Every activation pair (a1, a2) of a configured PE, encoded once: the
// design's front end applied to all 65,536 raw pairs (key a1 | a2 << 8), with
// the packed operand, the routed lanes and the effective activations. A
// layer's operands then cost one lookup each instead of an encoding, and the
// front-end statistics of a GEMM are a histogram of its raw pairs weighted
// by the per-pair counts (PeStats::count_pair). Tables are cached per
// configuration (thread-safe), so the layers of a run share one.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pe_design.h"

namespace sparq {

struct PairTable {
  std::vector<EncodedPair> enc;                  // encode_pair
  std::vector<std::uint32_t> packed;             // PeDesign::pack (the edge-LOD operand)
  std::vector<std::uint32_t> lane_v;             // routed lane windows: v0 | v1 << 16
  std::vector<std::uint8_t> lane_wsel;           // bit l: lane l takes w2 (else w1)
  std::vector<std::array<std::int16_t, 2>> eff;  // effective_pair: pair_product = e0*w1 + e1*w2
};

inline std::uint32_t pair_key(std::uint8_t a1, std::uint8_t a2) {
  return static_cast<std::uint32_t>(a1) | (static_cast<std::uint32_t>(a2) << 8);
}

// The table of a pair-consuming design (throws std::invalid_argument for int8).
const PairTable& pair_table(const PeArith& pe);

}  // namespace sparq
