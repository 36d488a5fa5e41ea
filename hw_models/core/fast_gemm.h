// The functional fast path: a design's arithmetic as a plain integer GEMM.
// Every design's pair product is a1'*w1 + a2'*w2 with effective activations
// (a1', a2') that depend on the activations only (PairTable::eff; int8: the
// activations themselves), so a layer is: apply the window/pair rule to each
// activation pair once, O(M*K), then multiply the effective activations by
// the weights with exact integer sums. The result equals reference_gemm and
// the array models bit for bit (the accumulator wraps modulo 2^acc_bits,
// and wrapping each addition or only the final sum gives the same bits).
// No timing and no statistics: the array models give those.
#pragma once

#include <cstdint>
#include <vector>

#include "gemm.h"
#include "pe_design.h"

namespace sparq {

// C[m][n] of one lowered GEMM under pe, wrapped to acc_bits (2..64).
std::vector<std::int64_t> functional_gemm(const Gemm& g, const PeArith& pe, int acc_bits);

// A whole convolution / dense layer (geometry as lower_conv) without
// building the im2col matrix: accumulators [H_out, W_out, C_out] wrapped to
// acc_bits, equal to lowering every group and running functional_gemm.
// signed_activations: input holds int8 bit patterns (int8 design only).
std::vector<std::int64_t> functional_conv(const ConvGeometry& geo, const std::uint8_t* input,
                                          const std::int8_t* weights, const PeArith& pe, int acc_bits,
                                          bool signed_activations = false);

}  // namespace sparq
