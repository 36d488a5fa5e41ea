// int8: one 8b x 8b multiplier, one activation and one weight per cycle; no
// front end and no pair multiplexer (docs/hardware.md §1).
#include "cost_model.h"
#include "designs.h"

namespace sparq {

namespace {

class Int8Design final : public PeDesign {
 public:
  Int8Design() : PeDesign("int8", false, 1, false, {1, 1, 1, 1}) {}
  std::string summary() const override { return "one 8-bit x 8-bit multiplier, one activation per cycle"; }
  std::vector<DesignKey> keys() const override { return {}; }
  PeArith configure(const DesignParams&) const override { return PeArith::int8(); }
  std::vector<std::pair<std::string, std::string>> params(const PeArith&) const override { return {}; }
  std::string label(const PeArith&) const override { return "int8"; }
  void validate(const PeArith&) const override {}

  // Unused: the int8 datapath has no encoder (operands are raw bytes).
  EncodedPair encode(std::uint8_t a1, std::uint8_t a2, const PeArith&) const override {
    EncodedPair e;
    e.mode = PairMode::BothNonzero;
    e.lane[0] = Window{a1, 0, false, false, false};
    e.lane[1] = Window{a2, 0, false, false, false};
    return e;
  }
  LaneOperands route(const EncodedPair& e, std::int8_t w1, std::int8_t w2, const PeArith&) const override {
    return LaneOperands{e.lane, {w1, w2}};
  }
  PeWidths widths(const PeArith&, LodPlacement, int acc_bits) const override {
    PeWidths w;
    w.act_bits = kActBits;
    w.weight_bits = kWeightBits;
    w.psum_bits = acc_bits;
    w.mult_input_bits = kActBits + kWeightBits;
    w.lane_v_bits = kActBits;
    return w;
  }
  std::uint32_t pack(const EncodedPair& e, const PeArith&) const override { return e.lane[0].v; }
  EncodedPair unpack(std::uint32_t bits, const PeArith& pe) const override {
    return encode(static_cast<std::uint8_t>(bits & 0xFFu), 0, pe);
  }

  void frontend_parts(const PeArith&, CostParts&) const override {}
  void datapath_parts(const PeArith& pe, const PeContext& ctx, CostParts& p) const override {
    p.add(CostComponent::Multipliers, array_multiplier_cells(kActBits, kWeightBits),
          "8x8 unsigned-by-signed Baugh-Wooley ripple array (64 PP gates, 56 adder cells)");
    common_pe_parts(widths(pe, ctx.lod, ctx.acc_bits), ctx, "8-bit activation pipeline register", p);
  }
};

}  // namespace

std::unique_ptr<PeDesign> make_int8_design() {
  return std::make_unique<Int8Design>();
}

}  // namespace sparq
