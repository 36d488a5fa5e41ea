#include "os_pe.h"

namespace sparq::hw {

OsPe::OsPe(sc_core::sc_module_name name, const ArrayConfig& cfg, bool signed_activations, ActivityLog* log)
    : sc_core::sc_module(name),
      clk("clk"),
      cycle("cycle"),
      a_ctl_in("a_ctl_in"),
      a_in("a_in"),
      a_ctl_out("a_ctl_out"),
      a_out("a_out"),
      b_ctl_in("b_ctl_in"),
      b_in("b_in"),
      b_ctl_out("b_ctl_out"),
      b_out("b_out"),
      drain("drain"),
      acc_in("acc_in"),
      acc_out("acc_out"),
      cfg_(cfg),
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
  dp_.w(b_in);
  dp_.prod(prod_);
  dp_.mult_bits(mult_bits_);
  dp_.mode(mode_);
  adder_.acc(acc_out);
  adder_.x(prod_);
  adder_.sum(sum_);
  adder_.overflow(ovf_);
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void OsPe::tick() {
  const unsigned actl = a_ctl_in.read(), bctl = b_ctl_in.read();
  const std::uint32_t bits = mult_bits_.read();
  cnt_.mult_toggles += static_cast<std::uint64_t>(hamming(mult_prev_, bits));
  const std::uint32_t wm = mult_weight_mask(consumes_pairs(cfg_.pe.design));
  cnt_.mult_w_toggles += static_cast<std::uint64_t>(hamming(mult_prev_ & wm, bits & wm));
  mult_prev_ = bits;
  auto write_acc = [&](std::int64_t v) {
    cnt_.psum_toggles += static_cast<std::uint64_t>(
        hamming(static_cast<std::uint64_t>(acc_out.read()) & mask_, static_cast<std::uint64_t>(v) & mask_));
    acc_out.write(v);
    ++cnt_.reg_writes;
    ++cnt_.psum_writes;
  };
  if ((actl & kEn) && pe_lod_) ++cnt_.lod_pe;
  if ((actl & kEn) && (bctl & kEn)) {
    ++cnt_.pe_active;
    cnt_.mult_busy += static_cast<std::uint64_t>(busy_slots(cfg_.pe, static_cast<PairMode>(mode_.read())));
    if (log_) log_->add(cycle.read());
    cnt_.overflows += ovf_.read();
    write_acc(sum_.read());
  }
  if (drain.read()) write_acc(acc_in.read());
  if (actl & kEn) {
    cnt_.act_toggles += static_cast<std::uint64_t>(hamming(a_out.read(), a_in.read()));
    a_out.write(a_in.read());
    ++cnt_.reg_writes;
    ++cnt_.act_writes;
  }
  a_ctl_out.write(actl);
  if (bctl & kEn) {
    cnt_.weight_toggles += static_cast<std::uint64_t>(hamming(b_out.read(), b_in.read()));
    b_out.write(b_in.read());
    ++cnt_.reg_writes;
    ++cnt_.weight_writes;
  }
  b_ctl_out.write(bctl);
}

}  // namespace sparq::hw
