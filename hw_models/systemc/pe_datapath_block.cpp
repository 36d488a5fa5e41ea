#include "pe_datapath_block.h"

#include "pe_datapath.h"

namespace sparq::hw {

DatapathParams::DatapathParams(const ArrayConfig& cfg, bool signed_activations)
    : pe(cfg.pe),
      acc_bits(cfg.acc_bits),
      pairs(consumes_pairs(cfg.pe.design)),
      edge(consumes_pairs(cfg.pe.design) && cfg.lod == LodPlacement::Edge),
      signed_act(signed_activations),
      pe_lod(consumes_pairs(cfg.pe.design) && cfg.lod == LodPlacement::PE),
      dbl(cfg.weight_buffering == WeightBuffering::Double),
      weight_mask(mult_weight_mask(consumes_pairs(cfg.pe.design))) {}

PeDatapathBlock::PeDatapathBlock(sc_core::sc_module_name name, const DatapathParams& p) : sc_core::sc_module(name) {
  if (!p.pairs) {
    mul8_.emplace("mul8");
    return;
  }
  if (!p.edge) front_.emplace("front", p.pe);
  mux_.emplace("mux");
  mul0_.emplace("mul0");
  mul1_.emplace("mul1");
}

DatapathOut PeDatapathBlock::eval(std::uint32_t a, std::uint32_t w, const DatapathParams& p) const {
  DatapathOut o;
  if (!p.pairs) {
    o.prod = mul8_->eval(a, w, p.signed_act);
    o.mult_bits = pack_int8_mult_inputs(a, w);
    return o;
  }
  // Edge LOD: the operand register holds the encoding (pe_datapath.h layout).
  const EncodedPair e = p.edge ? unpack_encoded(a, p.pe) : front_->eval(a, p.pe);
  const LaneOperands l = mux_->eval(e, w, p.pe);
  // Lane adder.
  o.prod = static_cast<std::int64_t>(mul0_->eval(l.lane[0], l.w[0])) + mul1_->eval(l.lane[1], l.w[1]);
  o.mult_bits = pack_mult_inputs(l);
  o.mode = e.mode;
  return o;
}

DatapathTrace PeDatapathBlock::trace(std::uint32_t a, std::uint32_t w, const DatapathParams& p) const {
  DatapathTrace t;
  t.prod = eval(a, w, p).prod;
  if (!p.pairs) return t;
  t.enc = p.edge ? unpack_encoded(a, p.pe) : front_->eval(a, p.pe);
  t.mult = mux_->eval(t.enc, w, p.pe);
  // route_pair: lane i takes w(i+1) in the two-lane modes; in a combined mode
  // both take the weight of the nonzero activation.
  const bool first_zero = t.enc.mode == PairMode::FirstZero;
  const bool two_lane = !first_zero && t.enc.mode != PairMode::SecondZero;
  t.wsel = {static_cast<std::uint8_t>(first_zero), static_cast<std::uint8_t>(first_zero || two_lane)};
  return t;
}

}  // namespace sparq::hw
