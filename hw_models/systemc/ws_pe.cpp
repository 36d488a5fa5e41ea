#include "ws_pe.h"

namespace sparq::hw {

WsPe::WsPe(sc_core::sc_module_name name, const ArrayConfig& cfg, bool signed_activations, bool top_row,
           ActivityLog* log)
    : sc_core::sc_module(name),
      clk("clk"),
      cycle("cycle"),
      a_ctl_in("a_ctl_in"),
      a_in("a_in"),
      a_ctl_out("a_ctl_out"),
      a_out("a_out"),
      psum_ctl_in("psum_ctl_in"),
      psum_in("psum_in"),
      psum_ctl_out("psum_ctl_out"),
      psum_out("psum_out"),
      w_in("w_in"),
      load("load"),
      col_mapped("col_mapped"),
      w_out("w_out"),
      cfg_(cfg),
      top_(top_row),
      pe_lod_(consumes_pairs(cfg.pe.design) && cfg.lod == LodPlacement::PE),
      log_(log),
      mask_(width_mask(cfg.acc_bits)),
      prod_("prod"),
      sum_("sum"),
      mult_bits_("mult_bits"),
      mode_("mode"),
      ovf_("ovf"),
      dp_("dp", cfg, signed_activations),
      adder_("adder", cfg.acc_bits) {
  dp_.a(a_in);
  dp_.w(w_out);
  dp_.prod(prod_);
  dp_.mult_bits(mult_bits_);
  dp_.mode(mode_);
  adder_.acc(psum_in);
  adder_.x(prod_);
  adder_.sum(sum_);
  adder_.overflow(ovf_);
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void WsPe::tick() {
  const unsigned actl = a_ctl_in.read();
  const std::uint32_t bits = mult_bits_.read();
  cnt_.mult_toggles += static_cast<std::uint64_t>(hamming(mult_prev_, bits));
  const std::uint32_t wm = mult_weight_mask(consumes_pairs(cfg_.pe.design));
  cnt_.mult_w_toggles += static_cast<std::uint64_t>(hamming(mult_prev_ & wm, bits & wm));
  mult_prev_ = bits;

  const bool en = actl & kEn;
  const unsigned pin_ctl = top_ ? (actl & (kValid | kLast)) : psum_ctl_in.read();
  if (en) {
    if (pe_lod_) ++cnt_.lod_pe;
    if (col_mapped.read()) {
      ++cnt_.pe_active;
      cnt_.mult_busy += static_cast<std::uint64_t>(busy_slots(cfg_.pe, static_cast<PairMode>(mode_.read())));
      if (log_) log_->add(cycle.read());
    }
  }
  if (pin_ctl & kValid) {
    std::int64_t v = psum_in.read();
    if (en) {
      v = sum_.read();
      cnt_.overflows += ovf_.read();
    }
    cnt_.psum_toggles += static_cast<std::uint64_t>(
        hamming(static_cast<std::uint64_t>(psum_out.read()) & mask_, static_cast<std::uint64_t>(v) & mask_));
    psum_out.write(v);
    ++cnt_.reg_writes;
    ++cnt_.psum_writes;
  }
  psum_ctl_out.write(pin_ctl);
  if (en) {
    cnt_.act_toggles += static_cast<std::uint64_t>(hamming(a_out.read(), a_in.read()));
    a_out.write(a_in.read());
    ++cnt_.reg_writes;
    ++cnt_.act_writes;
  }
  a_ctl_out.write(actl);
  if (load.read()) {
    cnt_.weight_toggles += static_cast<std::uint64_t>(hamming(w_out.read(), w_in.read()));
    w_out.write(w_in.read());
    ++cnt_.reg_writes;
    ++cnt_.weight_writes;
  }
}

}  // namespace sparq::hw
