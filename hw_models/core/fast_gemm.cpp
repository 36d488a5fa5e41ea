#include "fast_gemm.h"

#include <algorithm>
#include <stdexcept>

#include "pair_table.h"
#include "sparq_arith.h"

namespace sparq {

namespace {

// Effective activations of one reduction row (length Kp, even): the design's
// pair rule applied to (row[k], row[k+1]) for even k.
class EffectiveRow {
 public:
  EffectiveRow(const PeArith& pe, bool signed_activations)
      : table_(consumes_pairs(pe.design) ? &pair_table(pe) : nullptr), signed_(signed_activations) {
    if (table_ && signed_activations)
      throw std::invalid_argument("design " + pe.label() + " takes unsigned activations only");
  }
  void apply(const std::uint8_t* a, int Kp, std::int16_t* e) const {
    if (!table_) {
      for (int k = 0; k < Kp; ++k)
        e[k] = signed_ ? static_cast<std::int16_t>(static_cast<std::int8_t>(a[k])) : static_cast<std::int16_t>(a[k]);
      return;
    }
    const auto* eff = table_->eff.data();
    for (int k = 0; k < Kp; k += 2) {
      if ((a[k] | a[k + 1]) == 0) {
        e[k] = e[k + 1] = 0;
        continue;
      }
      const auto& p = eff[pair_key(a[k], a[k + 1])];
      e[k] = p[0];
      e[k + 1] = p[1];
    }
  }

 private:
  const PairTable* table_;
  bool signed_;
};

constexpr int kRows = 4;  // output rows sharing one pass over the weights

// acc[r][n] += sum_k e[r][k] * B[k*ldb + n] for r < rows (<= kRows), k < K.
// |e| <= 255 and |w| <= 128: a 32-bit sum holds K <= 65,000 products.
template <typename Acc>
void accumulate_rows(const std::int16_t* const* e, int rows, int K, const std::int8_t* B, std::size_t ldb, int N,
                     Acc* const* acc) {
  for (int k = 0; k < K; ++k) {
    const std::int8_t* b = B + static_cast<std::size_t>(k) * ldb;
    if (rows == kRows) {
      const Acc e0 = e[0][k], e1 = e[1][k], e2 = e[2][k], e3 = e[3][k];
      if ((e0 | e1 | e2 | e3) == 0) continue;
      Acc* a0 = acc[0];
      Acc* a1 = acc[1];
      Acc* a2 = acc[2];
      Acc* a3 = acc[3];
      for (int n = 0; n < N; ++n) {
        const Acc w = b[n];
        a0[n] += e0 * w;
        a1[n] += e1 * w;
        a2[n] += e2 * w;
        a3[n] += e3 * w;
      }
    } else {
      for (int r = 0; r < rows; ++r) {
        const Acc er = e[r][k];
        if (er == 0) continue;
        Acc* ar = acc[r];
        for (int n = 0; n < N; ++n) ar[n] += er * static_cast<Acc>(b[n]);
      }
    }
  }
}

// Runs a block of up to kRows effective rows against B and stores wrapped
// results at out[r * ldo + n].
template <typename Acc>
void block_gemm(const std::int16_t* const* e, int rows, int K, const std::int8_t* B, std::size_t ldb, int N,
                std::vector<Acc>& scratch, int acc_bits, std::int64_t* const* out) {
  scratch.assign(static_cast<std::size_t>(kRows) * N, 0);
  Acc* acc[kRows];
  for (int r = 0; r < kRows; ++r) acc[r] = scratch.data() + static_cast<std::size_t>(r) * N;
  accumulate_rows<Acc>(e, rows, K, B, ldb, N, acc);
  for (int r = 0; r < rows; ++r)
    for (int n = 0; n < N; ++n) out[r][n] = Accumulator::wrap(static_cast<std::int64_t>(acc[r][n]), acc_bits);
}

bool fits_int32(int K) {
  return static_cast<std::int64_t>(K) * 255 * 128 < (std::int64_t{1} << 31);
}

}  // namespace

std::vector<std::int64_t> functional_gemm(const Gemm& g, const PeArith& pe, int acc_bits) {
  if (acc_bits < 2 || acc_bits > 64) throw std::invalid_argument("acc_bits must be in 2..64");
  const EffectiveRow rule(pe, g.signed_activations);
  std::vector<std::int64_t> C(static_cast<std::size_t>(g.M) * g.N, 0);
  std::vector<std::int16_t> e(static_cast<std::size_t>(kRows) * g.Kp);
  std::vector<std::int32_t> s32;
  std::vector<std::int64_t> s64;
  for (int m0 = 0; m0 < g.M; m0 += kRows) {
    const int rows = std::min(kRows, g.M - m0);
    const std::int16_t* ep[kRows];
    std::int64_t* op[kRows];
    for (int r = 0; r < kRows; ++r) {
      std::int16_t* er = e.data() + static_cast<std::size_t>(r) * g.Kp;
      if (r < rows) rule.apply(&g.A[static_cast<std::size_t>(m0 + r) * g.Kp], g.Kp, er);
      ep[r] = er;
      op[r] = C.data() + static_cast<std::size_t>(m0 + std::min(r, rows - 1)) * g.N;
    }
    if (fits_int32(g.Kp))
      block_gemm<std::int32_t>(ep, rows, g.Kp, g.B.data(), g.N, g.N, s32, acc_bits, op);
    else
      block_gemm<std::int64_t>(ep, rows, g.Kp, g.B.data(), g.N, g.N, s64, acc_bits, op);
  }
  return C;
}

namespace {

// Depthwise (one input channel per group, multiplier m): the reduction runs
// over the taps, so pair p is taps (2p, 2p+1) of one channel. Vectorized
// over channels: for every output pixel and tap pair, every channel's pair
// is encoded and multiplied; same sums as the grouped path.
std::vector<std::int64_t> depthwise_conv(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights,
                                         const EffectiveRow& rule, int acc_bits) {
  const int Ho = geo.H_out(), Wo = geo.W_out(), C = geo.C_in, m = geo.cout_per_group();
  const int K = geo.KH * geo.KW, Kp = K + (K & 1);
  std::vector<std::int64_t> out(static_cast<std::size_t>(Ho) * Wo * geo.C_out);
  const std::size_t Cs = static_cast<std::size_t>(C);  // unsigned: no negative extents for the fills below
  std::vector<std::uint8_t> taps(static_cast<std::size_t>(Kp) * Cs);  // [tap][channel]
  std::vector<std::uint8_t> pair(2);
  std::vector<std::int16_t> e(2);
  std::vector<std::int64_t> acc(static_cast<std::size_t>(geo.C_out));
  for (int oh = 0; oh < Ho; ++oh)
    for (int ow = 0; ow < Wo; ++ow) {
      for (int t = 0; t < Kp; ++t) {
        std::uint8_t* dst = taps.data() + static_cast<std::size_t>(t) * Cs;
        const int kh = t / geo.KW, kw = t % geo.KW;
        const int ih = oh * geo.SH - geo.pad_top + kh * geo.DH, iw = ow * geo.SW - geo.pad_left + kw * geo.DW;
        if (t >= K || ih < 0 || ih >= geo.H || iw < 0 || iw >= geo.W)
          std::fill_n(dst, Cs, std::uint8_t{0});
        else
          std::copy_n(input + (static_cast<std::size_t>(ih) * geo.W + iw) * Cs, Cs, dst);
      }
      std::fill(acc.begin(), acc.end(), 0);
      for (int t = 0; t < Kp; t += 2) {
        const std::uint8_t* a0 = taps.data() + static_cast<std::size_t>(t) * C;
        const std::uint8_t* a1 = a0 + C;
        const std::int8_t* w0 = weights + static_cast<std::size_t>(t) * geo.C_out;
        const std::int8_t* w1 = t + 1 < K ? w0 + geo.C_out : nullptr;
        for (int c = 0; c < C; ++c) {
          if ((a0[c] | a1[c]) == 0) continue;
          pair[0] = a0[c];
          pair[1] = a1[c];
          rule.apply(pair.data(), 2, e.data());
          for (int j = 0; j < m; ++j) {
            const std::size_t oc = static_cast<std::size_t>(c) * m + j;
            acc[oc] += static_cast<std::int64_t>(e[0]) * w0[oc] + (w1 ? static_cast<std::int64_t>(e[1]) * w1[oc] : 0);
          }
        }
      }
      std::int64_t* o = out.data() + (static_cast<std::size_t>(oh) * Wo + ow) * geo.C_out;
      for (int oc = 0; oc < geo.C_out; ++oc) o[oc] = Accumulator::wrap(acc[static_cast<std::size_t>(oc)], acc_bits);
    }
  return out;
}

}  // namespace

std::vector<std::int64_t> functional_conv(const ConvGeometry& geo, const std::uint8_t* input,
                                          const std::int8_t* weights, const PeArith& pe, int acc_bits,
                                          bool signed_activations) {
  geo.validate();
  if (acc_bits < 2 || acc_bits > 64) throw std::invalid_argument("acc_bits must be in 2..64");
  const EffectiveRow rule(pe, signed_activations);
  if (geo.groups > 1 && geo.cin_per_group() == 1) return depthwise_conv(geo, input, weights, rule, acc_bits);
  const int Ho = geo.H_out(), Wo = geo.W_out(), Cg = geo.cin_per_group(), Ng = geo.cout_per_group();
  const int K = geo.K(), Kp = K + (K & 1);
  const std::size_t M = static_cast<std::size_t>(Ho) * Wo;
  std::vector<std::int64_t> out(M * geo.C_out, 0);
  std::vector<std::uint8_t> patch(static_cast<std::size_t>(kRows) * Kp);
  std::vector<std::int16_t> e(static_cast<std::size_t>(kRows) * Kp);
  std::vector<std::int32_t> s32;
  std::vector<std::int64_t> s64;
  const bool narrow = fits_int32(Kp);
  for (int grp = 0; grp < geo.groups; ++grp) {
    for (std::size_t m0 = 0; m0 < M; m0 += kRows) {
      const int rows = static_cast<int>(std::min<std::size_t>(kRows, M - m0));
      const std::int16_t* ep[kRows];
      std::int64_t* op[kRows];
      for (int r = 0; r < kRows; ++r) {
        std::int16_t* er = e.data() + static_cast<std::size_t>(r) * Kp;
        ep[r] = er;
        const std::size_t m = m0 + static_cast<std::size_t>(std::min(r, rows - 1));
        op[r] = out.data() + m * geo.C_out + static_cast<std::size_t>(grp) * Ng;
        if (r >= rows) continue;
        // The reduction row of output pixel m: k = (kh*KW + kw)*Cg + c, zero
        // outside the image and at the odd-K pad.
        std::uint8_t* p = patch.data() + static_cast<std::size_t>(r) * Kp;
        const int oh = static_cast<int>(m / Wo), ow = static_cast<int>(m % Wo);
        int k = 0;
        for (int kh = 0; kh < geo.KH; ++kh) {
          const int ih = oh * geo.SH - geo.pad_top + kh * geo.DH;
          for (int kw = 0; kw < geo.KW; ++kw, k += Cg) {
            const int iw = ow * geo.SW - geo.pad_left + kw * geo.DW;
            if (ih < 0 || ih >= geo.H || iw < 0 || iw >= geo.W) {
              std::fill(p + k, p + k + Cg, std::uint8_t{0});
              continue;
            }
            const std::uint8_t* src =
                input + (static_cast<std::size_t>(ih) * geo.W + iw) * geo.C_in + static_cast<std::size_t>(grp) * Cg;
            std::copy(src, src + Cg, p + k);
          }
        }
        if (Kp > K) p[K] = 0;
        rule.apply(p, Kp, er);
      }
      const std::int8_t* B = weights + static_cast<std::size_t>(grp) * Ng;
      if (narrow)
        block_gemm<std::int32_t>(ep, rows, K, B, geo.C_out, Ng, s32, acc_bits, op);
      else
        block_gemm<std::int64_t>(ep, rows, K, B, geo.C_out, Ng, s64, acc_bits, op);
    }
  }
  return out;
}

}  // namespace sparq
