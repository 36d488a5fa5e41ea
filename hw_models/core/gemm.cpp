#include "gemm.h"

#include <algorithm>

#include <sstream>
#include <stdexcept>

namespace sparq {

int ConvGeometry::H_out() const {
  const std::int64_t span =
      static_cast<std::int64_t>(H) + pad_top + pad_bottom - static_cast<std::int64_t>(DH) * (KH - 1) - 1;
  return static_cast<int>(span / SH + 1);
}
int ConvGeometry::W_out() const {
  const std::int64_t span =
      static_cast<std::int64_t>(W) + pad_left + pad_right - static_cast<std::int64_t>(DW) * (KW - 1) - 1;
  return static_cast<int>(span / SW + 1);
}

std::int64_t ConvGeometry::macs() const {
  return static_cast<std::int64_t>(H_out()) * W_out() * C_out * K();
}

void ConvGeometry::validate() const {
  auto positive = [](int v, const char* name) {
    if (v < 1) throw std::invalid_argument(std::string(name) + " must be >= 1, got " + std::to_string(v));
  };
  positive(H, "H");
  positive(W, "W");
  positive(C_in, "C_in");
  positive(C_out, "C_out");
  positive(KH, "KH");
  positive(KW, "KW");
  positive(SH, "stride H");
  positive(SW, "stride W");
  positive(DH, "dilation H");
  positive(DW, "dilation W");
  positive(groups, "groups");
  for (int p : {pad_top, pad_bottom, pad_left, pad_right})
    if (p < 0) throw std::invalid_argument("padding must be >= 0");
  if (C_in % groups || C_out % groups)
    throw std::invalid_argument("C_in (" + std::to_string(C_in) + ") and C_out (" + std::to_string(C_out) +
                                ") must be divisible by groups (" + std::to_string(groups) + ")");
  // Bounds that keep every index of the lowering inside int (2^31 - 1).
  constexpr std::int64_t kMax = 2147483647;
  auto bounded = [&](std::int64_t v, const char* what) {
    if (v > kMax) throw std::invalid_argument(std::string(what) + " is too large (" + std::to_string(v) + " > 2^31-1)");
  };
  for (int v : {H, W, C_in, C_out, KH, KW, SH, SW, DH, DW, pad_top, pad_bottom, pad_left, pad_right})
    bounded(static_cast<std::int64_t>(v) * 2, "a geometry value");
  bounded(static_cast<std::int64_t>(H) * W * C_in, "the input H*W*C_in");
  bounded(static_cast<std::int64_t>(KH) * KW * C_in * (C_out / groups), "the weight count");
  if (static_cast<std::int64_t>(H) + pad_top + pad_bottom < static_cast<std::int64_t>(DH) * (KH - 1) + 1 ||
      static_cast<std::int64_t>(W) + pad_left + pad_right < static_cast<std::int64_t>(DW) * (KW - 1) + 1)
    throw std::invalid_argument("kernel larger than the padded input");
  bounded(static_cast<std::int64_t>(H_out()) * W_out() * C_out, "the output H_out*W_out*C_out");
  bounded(static_cast<std::int64_t>(H_out()) * W_out() * (K() + 1), "the lowered activation matrix");
}

std::string ConvGeometry::describe() const {
  std::ostringstream os;
  os << KH << "x" << KW << "/" << SH;
  if (SW != SH) os << "x" << SW;
  if (groups > 1) os << " g" << groups;
  os << " " << H << "x" << W << "x" << C_in << " -> " << H_out() << "x" << W_out() << "x" << C_out;
  return os.str();
}

Gemm lower_conv(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights, int group,
                bool signed_activations, std::int64_t max_rows) {
  Gemm g;
  const int Ho = geo.H_out(), Wo = geo.W_out();
  const int Cg = geo.cin_per_group(), Ng = geo.cout_per_group();
  const std::int64_t all = static_cast<std::int64_t>(Ho) * Wo;
  g.M = static_cast<int>(max_rows < 0 ? all : std::clamp<std::int64_t>(max_rows, 0, all));
  g.N = Ng;
  g.K = geo.K();
  g.Kp = g.K + (g.K & 1);
  g.signed_activations = signed_activations;
  g.A.assign(static_cast<std::size_t>(g.M) * g.Kp, 0);
  g.B.assign(static_cast<std::size_t>(g.Kp) * g.N, 0);
  // Row m is output pixel (m / W_out, m % W_out); k = (kh*KW + kw)*Cg + c
  // (docs/arithmetic.md §4); taps outside the input stay zero (padding).
  for (int m = 0; m < g.M; ++m) {
    const int oy = m / Wo, ox = m % Wo;
    for (int kh = 0; kh < geo.KH; ++kh)
      for (int kw = 0; kw < geo.KW; ++kw) {
        const int iy = oy * geo.SH - geo.pad_top + kh * geo.DH;
        const int ix = ox * geo.SW - geo.pad_left + kw * geo.DW;
        if (iy < 0 || iy >= geo.H || ix < 0 || ix >= geo.W) continue;
        const std::uint8_t* src = input + (static_cast<std::size_t>(iy) * geo.W + ix) * geo.C_in + group * Cg;
        std::uint8_t* dst = g.A.data() + static_cast<std::size_t>(m) * g.Kp + (kh * geo.KW + kw) * Cg;
        std::copy(src, src + Cg, dst);
      }
  }
  for (int kh = 0; kh < geo.KH; ++kh)
    for (int kw = 0; kw < geo.KW; ++kw)
      for (int c = 0; c < Cg; ++c) {
        const int k = (kh * geo.KW + kw) * Cg + c;
        const std::int8_t* src =
            weights + ((static_cast<std::size_t>(kh) * geo.KW + kw) * Cg + c) * geo.C_out + group * Ng;
        std::copy(src, src + Ng, g.B.data() + static_cast<std::size_t>(k) * g.N);
      }
  return g;
}

std::vector<std::int64_t> reference_gemm(const Gemm& g, const PeArith& pe, int acc_bits, PeStats* stats) {
  if (pe.design->consumes_pairs() && g.signed_activations)
    throw std::invalid_argument(std::string("design ") + to_string(pe.design) +
                                " takes unsigned activations; this layer's are signed (run it under int8)");
  std::vector<std::int64_t> out(static_cast<std::size_t>(g.M) * g.N, 0);
  for (int m = 0; m < g.M; ++m) {
    if (stats)
      for (int k = 0; k < g.Kp; k += 2) stats->count_pair(g.a(m, k), g.a(m, k + 1), pe);
    for (int n = 0; n < g.N; ++n) {
      Accumulator acc(acc_bits);
      std::uint64_t ovf = 0;
      for (int k = 0; k < g.Kp; k += 2) {
        const std::uint8_t a1 = g.a(m, k), a2 = g.a(m, k + 1);
        const std::int8_t w1 = g.b(k, n), w2 = g.b(k + 1, n);
        if (!pe.design->consumes_pairs()) {
          // One activation per cycle: two accumulations.
          ovf += acc.add(int8_product(a1, w1, g.signed_activations));
          ovf += acc.add(int8_product(a2, w2, g.signed_activations));
        } else {
          ovf += acc.add(pair_product(encode_pair(a1, a2, pe), w1, w2));
        }
      }
      if (stats) stats->overflows += ovf;
      out[static_cast<std::size_t>(m) * g.N + n] = acc.value();
    }
  }
  return out;
}

namespace {
template <class Acc>
void exact_rows(const Gemm& g, std::vector<std::int64_t>& out) {
  std::vector<Acc> row(static_cast<std::size_t>(g.N));
  for (int m = 0; m < g.M; ++m) {
    std::fill(row.begin(), row.end(), Acc{0});
    for (int k = 0; k < g.K; ++k) {
      const std::uint8_t raw = g.a(m, k);
      if (raw == 0) continue;
      const Acc a = g.signed_activations ? static_cast<Acc>(static_cast<std::int8_t>(raw)) : static_cast<Acc>(raw);
      const std::int8_t* b = &g.B[static_cast<std::size_t>(k) * g.N];
      for (int n = 0; n < g.N; ++n) row[n] += a * static_cast<Acc>(b[n]);
    }
    std::copy(row.begin(), row.end(), out.begin() + static_cast<std::ptrdiff_t>(m) * g.N);
  }
}
}  // namespace

std::vector<std::int64_t> exact_gemm(const Gemm& g) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(g.M) * g.N, 0);
  if (static_cast<std::int64_t>(g.K) * 255 * 128 < (std::int64_t{1} << 31))
    exact_rows<std::int32_t>(g, out);
  else
    exact_rows<std::int64_t>(g, out);
  return out;
}

LayerResult reference_layer(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights,
                            const PeArith& pe, int acc_bits, bool signed_activations) {
  geo.validate();
  pe.validate();
  if (acc_bits < 2 || acc_bits > 64) throw std::invalid_argument("accumulator width must be in 2..64 bits");
  LayerResult r;
  const int Ho = geo.H_out(), Wo = geo.W_out();
  const std::size_t total = static_cast<std::size_t>(Ho) * Wo * geo.C_out;
  r.acc.assign(total, 0);
  r.exact.assign(total, 0);
  for (int grp = 0; grp < geo.groups; ++grp) {
    const Gemm g = lower_conv(geo, input, weights, grp, signed_activations);
    const auto c = reference_gemm(g, pe, acc_bits, &r.stats);
    const auto e = exact_gemm(g);
    for (int m = 0; m < g.M; ++m)
      for (int n = 0; n < g.N; ++n) {
        const std::size_t o = static_cast<std::size_t>(m) * geo.C_out + grp * g.N + n;
        r.acc[o] = c[static_cast<std::size_t>(m) * g.N + n];
        r.exact[o] = e[static_cast<std::size_t>(m) * g.N + n];
      }
  }
  return r;
}

std::vector<std::int64_t> direct_conv_exact(const ConvGeometry& geo, const std::uint8_t* input,
                                            const std::int8_t* weights, bool signed_activations) {
  geo.validate();
  const int Ho = geo.H_out(), Wo = geo.W_out();
  const int Cg = geo.cin_per_group(), Ng = geo.cout_per_group();
  std::vector<std::int64_t> out(static_cast<std::size_t>(Ho) * Wo * geo.C_out, 0);
  for (int oy = 0; oy < Ho; ++oy)
    for (int ox = 0; ox < Wo; ++ox)
      for (int oc = 0; oc < geo.C_out; ++oc) {
        const int grp = oc / Ng;
        std::int64_t sum = 0;
        for (int kh = 0; kh < geo.KH; ++kh)
          for (int kw = 0; kw < geo.KW; ++kw)
            for (int c = 0; c < Cg; ++c) {
              const int iy = oy * geo.SH + kh * geo.DH - geo.pad_top;
              const int ix = ox * geo.SW + kw * geo.DW - geo.pad_left;
              if (iy < 0 || ix < 0 || iy >= geo.H || ix >= geo.W) continue;
              const std::uint8_t a = input[(static_cast<std::size_t>(iy) * geo.W + ix) * geo.C_in + grp * Cg + c];
              const std::int8_t w = weights[((static_cast<std::size_t>(kh) * geo.KW + kw) * Cg + c) * geo.C_out + oc];
              sum += int8_product(a, w, signed_activations);
            }
        out[(static_cast<std::size_t>(oy) * Wo + ox) * geo.C_out + oc] = sum;
      }
  return out;
}

}  // namespace sparq
