#include "pe_datapath_block.h"

#include "pe_datapath.h"

namespace sparq::hw {

PeDatapathBlock::PeDatapathBlock(sc_core::sc_module_name name, const ArrayConfig& cfg, bool signed_activations)
    : sc_core::sc_module(name),
      a("a"),
      w("w"),
      prod("prod"),
      mult_bits("mult_bits"),
      mode("mode"),
      pe_(cfg.pe),
      enc_("enc"),
      v0_("v0"),
      s0_("s0"),
      v1_("v1"),
      s1_("s1"),
      w0_("w0"),
      w1_("w1"),
      p0_("p0"),
      p1_("p1") {
  if (!consumes_pairs(pe_.design)) {
    mul8_ = std::make_unique<Int8Multiplier>("mul8", signed_activations);
    mul8_->a(a);
    mul8_->w(w);
    mul8_->p(p0_);
    SC_METHOD(sum_int8);
    sensitive << p0_ << a << w;
    return;
  }
  if (cfg.lod == LodPlacement::PE) {
    front_ = std::make_unique<PairEncoder>("front", pe_);
    front_->raw(a);
    front_->enc(enc_);
  } else {
    SC_METHOD(copy_enc);
    sensitive << a;
  }
  mux_ = std::make_unique<PairMux>("mux", pe_);
  mux_->enc(enc_);
  mux_->w(w);
  mux_->v0(v0_);
  mux_->s0(s0_);
  mux_->v1(v1_);
  mux_->s1(s1_);
  mux_->w0(w0_);
  mux_->w1(w1_);
  mul0_ = std::make_unique<ShiftMultiplier>("mul0");
  mul0_->v(v0_);
  mul0_->s(s0_);
  mul0_->w(w0_);
  mul0_->p(p0_);
  mul1_ = std::make_unique<ShiftMultiplier>("mul1");
  mul1_->v(v1_);
  mul1_->s(s1_);
  mul1_->w(w1_);
  mul1_->p(p1_);
  SC_METHOD(sum_pair);
  sensitive << p0_ << p1_ << v0_ << v1_ << w0_ << w1_ << enc_;
}

void PeDatapathBlock::copy_enc() {
  enc_.write(a.read());
}

void PeDatapathBlock::sum_int8() {
  prod.write(p0_.read());
  mult_bits.write(pack_int8_mult_inputs(a.read(), w.read()));
  mode.write(static_cast<unsigned>(PairMode::BothNonzero));
}

void PeDatapathBlock::sum_pair() {
  prod.write(static_cast<std::int64_t>(p0_.read()) + p1_.read());
  LaneOperands o;
  o.lane[0].v = static_cast<std::uint8_t>(v0_.read());
  o.lane[1].v = static_cast<std::uint8_t>(v1_.read());
  o.w = {static_cast<std::int8_t>(w0_.read()), static_cast<std::int8_t>(w1_.read())};
  mult_bits.write(pack_mult_inputs(o));
  mode.write(static_cast<unsigned>(encoded_mode(enc_.read())));
}

}  // namespace sparq::hw
