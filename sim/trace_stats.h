// Statistics of a trace layer's input activations, independent of any PE
// design: zero fraction, adjacent-channel pair cases, leading-one positions,
// shapes and MACs (the `stats` command).
#pragma once

#include <array>
#include <cstdint>

#include "bundle.h"
#include "stats.h"

namespace sparq {

struct TraceLayerStats {
  std::uint64_t elements = 0;
  std::uint64_t zeros = 0;
  // Pairs (c, c+1), c even, of the input tensor at each pixel (as docs/traces.md §6
  // measures them); an odd C_in pads the last pair with a zero.
  std::uint64_t tensor_pairs = 0;
  std::array<std::uint64_t, 3> tensor_pair_cases{};  // both nonzero, one zero, both zero
  // Pairs of the lowered GEMM (k, k+1) as a pair-consuming PE receives them,
  // including zero padding of the convolution: each (output pixel, k-pair) once.
  std::uint64_t gemm_pairs = 0;
  std::array<std::uint64_t, 3> gemm_pair_cases{};
  std::array<std::uint64_t, 9> leading_one{};  // index msb+1: [0] = zero, [8] = bit 7
  std::int64_t macs = 0;
};

TraceLayerStats compute_trace_stats(const LayerTrace& t);
StatGroup trace_stats_group(const LayerTrace& t, const TraceLayerStats& s);

}  // namespace sparq
