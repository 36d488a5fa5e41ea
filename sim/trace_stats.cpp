#include "trace_stats.h"

#include "gemm.h"

namespace sparq {

namespace {
int pair_case(std::uint8_t a, std::uint8_t b) {
  return (a == 0) + (b == 0);
}  // 0 both nonzero, 1 one, 2 both
}  // namespace

TraceLayerStats compute_trace_stats(const LayerTrace& t) {
  TraceLayerStats s;
  const ConvGeometry& g = t.info.geo;
  s.macs = g.macs();
  const bool sig = t.info.activation_signed;
  for (std::uint8_t a : t.input) {
    ++s.elements;
    s.zeros += (a == 0);
    // Signed activations: magnitude's leading one.
    const int v = sig ? std::abs(static_cast<int>(static_cast<std::int8_t>(a))) : a;
    ++s.leading_one[static_cast<std::size_t>(leading_one(static_cast<std::uint8_t>(v)) + 1)];
  }
  const std::size_t pixels = static_cast<std::size_t>(g.H) * g.W;
  for (std::size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < g.C_in; c += 2) {
      const std::uint8_t a1 = t.input[p * g.C_in + c];
      const std::uint8_t a2 = c + 1 < g.C_in ? t.input[p * g.C_in + c + 1] : 0;
      ++s.tensor_pairs;
      ++s.tensor_pair_cases[static_cast<std::size_t>(pair_case(a1, a2))];
    }
  for (int grp = 0; grp < g.groups; ++grp) {
    const Gemm gm = lower_conv(g, t.input.data(), t.weights.data(), grp, sig);
    for (int m = 0; m < gm.M; ++m)
      for (int k = 0; k < gm.Kp; k += 2) {
        ++s.gemm_pairs;
        ++s.gemm_pair_cases[static_cast<std::size_t>(pair_case(gm.a(m, k), gm.a(m, k + 1)))];
      }
  }
  return s;
}

StatGroup trace_stats_group(const LayerTrace& t, const TraceLayerStats& s) {
  const ConvGeometry& g = t.info.geo;
  StatGroup grp(t.info.name, t.info.op + " " + g.describe());
  grp.add_text("op", t.info.op, "layer operation");
  grp.add_text("geometry", g.describe(), "kernel/stride, input HxWxC -> output HxWxC");
  grp.add_count("macs", static_cast<std::uint64_t>(s.macs), "MAC", "multiply-accumulates of the layer (unpadded K)");
  grp.add_count("input_elements", s.elements, "1", "activations in the input tensor");
  const double n = static_cast<double>(s.elements);
  grp.add("zero_fraction", n ? static_cast<double>(s.zeros) / n : 0, "1", "share of input activations equal to 0");
  grp.add_text("activation_signed", t.info.activation_signed ? "true" : "false",
               "signed int8 activations (outside SPARQ's unsigned scope; int8 design only)");
  auto cases = [](StatGroup& c, std::uint64_t total, const std::array<std::uint64_t, 3>& k) {
    const double d = total ? static_cast<double>(total) : 1;
    c.add_count("pairs", total, "pair", "activation pairs counted");
    c.add("both_nonzero", static_cast<double>(k[0]) / d, "1", "share of pairs with no zero");
    c.add("one_zero", static_cast<double>(k[1]) / d, "1", "share of pairs with exactly one zero");
    c.add("both_zero", static_cast<double>(k[2]) / d, "1", "share of pairs with two zeros");
    c.add("any_zero", static_cast<double>(k[1] + k[2]) / d, "1", "share of pairs with at least one zero");
  };
  cases(grp.child("tensor_pairs", "adjacent input channels (c, c+1), c even, at each pixel"), s.tensor_pairs,
        s.tensor_pair_cases);
  cases(grp.child("gemm_pairs", "pairs (k, k+1) of the lowered GEMM, including zero padding; what the PEs receive"),
        s.gemm_pairs, s.gemm_pair_cases);
  StatGroup& h = grp.child("leading_one", "input activations by position of the leading one (msb)");
  for (std::size_t i = 0; i < s.leading_one.size(); ++i)
    h.add(i == 0 ? "zero" : "bit" + std::to_string(i - 1), n ? static_cast<double>(s.leading_one[i]) / n : 0, "1",
          i == 0 ? "share of zeros" : "share with msb at bit " + std::to_string(i - 1));
  return grp;
}

}  // namespace sparq
