#include "pair_encoder.h"

#include "pe_datapath.h"

namespace sparq::hw {

PairEncoder::PairEncoder(sc_core::sc_module_name name, const PeArith& pe)
    : sc_core::sc_module(name),
      raw("raw"),
      enc("enc"),
      pe_(pe),
      a1_("a1"),
      a2_("a2"),
      mode_("mode"),
      lane0_a_("lane0_a"),
      z1_("z1"),
      z2_("z2"),
      lane0_sel_("lane0_sel"),
      lane1_sel_("lane1_sel"),
      msb0_("msb0"),
      msb1_("msb1"),
      shift0_("shift0"),
      shift1_("shift1"),
      v0_("v0"),
      s0_("s0"),
      v1_("v1"),
      s1_("s1"),
      ru0_("ru0"),
      sat0_("sat0"),
      ru1_("ru1"),
      sat1_("sat1"),
      lod0_("lod0", pe.window, pe.partner),
      lod1_("lod1", pe.window, pe.window),
      win0_("win0", pe.window, pe.partner),
      win1_("win1", pe.window, pe.window) {
  if (pe.design->detects_zeros()) {
    zd_ = std::make_unique<ZeroDetector>("zd");
    zd_->a1(a1_);
    zd_->a2(a2_);
    zd_->z1(z1_);
    zd_->z2(z2_);
    zd_->mode(mode_);
  }
  lod0_.a(lane0_a_);
  lod0_.sel(lane0_sel_);
  lod0_.msb(msb0_);
  lod0_.shift(shift0_);
  lod1_.a(a2_);
  lod1_.sel(lane1_sel_);
  lod1_.msb(msb1_);
  lod1_.shift(shift1_);
  win0_.a(lane0_a_);
  win0_.shift(shift0_);
  win0_.sel(lane0_sel_);
  win0_.v(v0_);
  win0_.s(s0_);
  win0_.rounded_up(ru0_);
  win0_.saturated(sat0_);
  win1_.a(a2_);
  win1_.shift(shift1_);
  win1_.sel(lane1_sel_);
  win1_.v(v1_);
  win1_.s(s1_);
  win1_.rounded_up(ru1_);
  win1_.saturated(sat1_);

  SC_METHOD(split);
  sensitive << raw;
  SC_METHOD(lane_mux);
  sensitive << a1_ << a2_ << mode_;
  SC_METHOD(assemble);
  sensitive << mode_ << v0_ << s0_ << v1_ << s1_;
}

void PairEncoder::split() {
  a1_.write(raw.read() & 0xFFu);
  a2_.write((raw.read() >> 8) & 0xFFu);
}

// Pair multiplexer, input side: in a combined mode lane 0 encodes the nonzero
// activation at the partner's precision.
void PairEncoder::lane_mux() {
  const auto m = static_cast<PairMode>(mode_.read());
  lane0_a_.write(m == PairMode::FirstZero ? a2_.read() : a1_.read());
  lane0_sel_.write(m == PairMode::FirstZero || m == PairMode::SecondZero);
}

void PairEncoder::assemble() {
  EncodedPair e;
  e.mode = static_cast<PairMode>(mode_.read());
  if (e.mode != PairMode::BothZero) {
    e.lane[0].v = static_cast<std::uint8_t>(v0_.read());
    e.lane[0].s = static_cast<std::uint8_t>(s0_.read());
  }
  if (e.mode == PairMode::BothNonzero) {
    e.lane[1].v = static_cast<std::uint8_t>(v1_.read());
    e.lane[1].s = static_cast<std::uint8_t>(s1_.read());
  }
  // Between delta cycles the mode may already select a spec the windows were
  // not yet re-encoded for; the method runs again once they settle.
  auto in_set = [](const Window& w, const WindowSpec& spec) {
    return ((spec.shift_mask >> w.s) & 1u) && w.v < (1u << spec.n);
  };
  if (e.mode != PairMode::BothZero && !in_set(e.lane[0], lane0_spec(e.mode, pe_))) return;
  if (e.mode == PairMode::BothNonzero && !in_set(e.lane[1], pe_.window)) return;
  enc.write(pack_encoded(e, pe_));
}

}  // namespace sparq::hw
