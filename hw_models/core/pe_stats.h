// Functional statistics of the activation front end (pair cases, shifts,
// rounding) and of the accumulators, shared by the reference engine and the
// SystemC array so that both report the same numbers.
#pragma once

#include <array>
#include <cstdint>

#include "pe_design.h"

namespace sparq {

struct PeStats {
  // Activation pairs of the lowered A matrix (each (m, k-pair) once).
  std::uint64_t pairs = 0;
  std::array<std::uint64_t, 4> pair_mode{};  // indexed by PairMode
  // Windows the leading-one detectors selected for nonzero activations on the
  // n-bit lanes (a zero activation is counted in pair_mode, not here).
  std::uint64_t windows = 0;
  std::array<std::uint64_t, 16> shift_hist{};  // lane windows by shift
  // vsparq: windows of the partner of a zero, at partner precision.
  std::uint64_t partner_windows = 0;
  std::array<std::uint64_t, 16> partner_shift_hist{};
  std::uint64_t rounded_up = 0;
  std::uint64_t saturated = 0;
  std::uint64_t renormed = 0;        // round_renorm moved a window
  std::uint64_t renorm_differs = 0;  // round_renorm gave another value than round
  std::uint64_t overflows = 0;       // accumulator additions that left the range

  // Zero classification, independent of design: (both nonzero, one zero, both zero).
  std::uint64_t both_nonzero() const { return pair_mode[0]; }
  std::uint64_t one_zero() const { return pair_mode[1] + pair_mode[2]; }
  std::uint64_t both_zero() const { return pair_mode[3]; }

  // Counts the front-end events of encoding pair (a1, a2) under pe.
  void count_pair(std::uint8_t a1, std::uint8_t a2, const PeArith& pe);
  // Counts `times` occurrences of the pair (a1, a2) whose encoding under pe
  // is e (= encode_pair(a1, a2, pe) for pair designs; unused for int8).
  void count_encoded(std::uint8_t a1, std::uint8_t a2, const EncodedPair& e, const PeArith& pe, std::uint64_t times);
  void merge(const PeStats& o);
  bool operator==(const PeStats& o) const;
};

}  // namespace sparq
