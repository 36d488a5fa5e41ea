// Layer geometry, conv2d/dense lowering to GEMM with docs/arithmetic.md §4's reduction
// order (k = (kh*KW + kw)*C_in_per_group + c; an odd K is padded with a zero
// activation), and the golden reference engine: plain loops that compute the
// exact integer accumulators of a layer under any PE design.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pe_design.h"
#include "pe_stats.h"

namespace sparq {

// Geometry of a conv2d (dense = 1x1 conv on a 1x1 image; depthwise = groups
// == C_in). Activations are [H, W, C_in], weights [KH, KW, C_in/groups, C_out].
struct ConvGeometry {
  int H = 1, W = 1, C_in = 1, C_out = 1;
  int KH = 1, KW = 1;
  int SH = 1, SW = 1;
  int DH = 1, DW = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int groups = 1;

  int H_out() const;
  int W_out() const;
  int cin_per_group() const { return C_in / groups; }
  int cout_per_group() const { return C_out / groups; }
  int K() const { return KH * KW * cin_per_group(); }  // reduction length per group
  std::int64_t macs() const;                           // H_out*W_out*C_out*K
  // Throws std::invalid_argument with a readable reason.
  void validate() const;
  std::string describe() const;  // e.g. "3x3/2 conv 299x299x3 -> 149x149x32"
};

// One GEMM: C[M][N] = sum_k A[M][k] * B[k][N] over Kp = K rounded up to even.
struct Gemm {
  int M = 0, N = 0, K = 0;          // K unpadded
  int Kp = 0;                       // padded to even
  bool signed_activations = false;  // A holds int8 bit patterns (int8 design only)
  std::vector<std::uint8_t> A;      // M x Kp, row-major
  std::vector<std::int8_t> B;       // Kp x N, row-major
  std::uint8_t a(int m, int k) const { return A[static_cast<std::size_t>(m) * Kp + k]; }
  std::int8_t b(int k, int n) const { return B[static_cast<std::size_t>(k) * N + n]; }
};

// Lowers group g of a convolution: M = H_out*W_out (row-major pixels),
// N = C_out/groups (channels g*N .. g*N+N-1), K = KH*KW*C_in/groups. With
// max_rows >= 0 only the first max_rows output pixels are lowered (a preview
// never builds the whole im2col matrix; clamped to H_out*W_out).
Gemm lower_conv(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights, int group,
                bool signed_activations = false, std::int64_t max_rows = -1);

// Exact product of one activation and weight under the int8 design (signed
// activations reinterpret the byte as int8).
inline std::int32_t int8_product(std::uint8_t a, std::int8_t w, bool signed_act) {
  return (signed_act ? static_cast<std::int32_t>(static_cast<std::int8_t>(a)) : static_cast<std::int32_t>(a)) * w;
}

// Result of running a layer through the reference engine.
struct LayerResult {
  std::vector<std::int64_t> acc;    // [H_out, W_out, C_out], wrapped to acc_bits
  std::vector<std::int64_t> exact;  // same, the exact int8 sum (no trimming, no wrap)
  PeStats stats;
};

// Golden reference: plain loops, obviously correct. acc_bits in 2..64.
LayerResult reference_layer(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights,
                            const PeArith& pe, int acc_bits = 32, bool signed_activations = false);

// Reference GEMM under a design: C[m][n] for one Gemm (wrapped), counting
// accumulator overflows into stats.
std::vector<std::int64_t> reference_gemm(const Gemm& g, const PeArith& pe, int acc_bits, PeStats* stats);

// The exact int8 GEMM (no trimming, no wrap): equal to
// reference_gemm(g, PeArith::int8(), 64, nullptr), computed as a plain
// row-times-matrix product that skips zero activations (int32 partial sums
// where K * 255 * 128 fits, int64 otherwise).
std::vector<std::int64_t> exact_gemm(const Gemm& g);

// Direct 7-loop convolution with exact int8 products (no lowering); the
// independent check of lower_conv.
std::vector<std::int64_t> direct_conv_exact(const ConvGeometry& geo, const std::uint8_t* input,
                                            const std::int8_t* weights, bool signed_activations = false);

}  // namespace sparq
