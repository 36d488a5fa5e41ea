// The toggle counters are popcounts (as in fast_array.cpp).
#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "ws_pe.h"

namespace sparq::hw {

WsPe::WsPe(sc_core::sc_module_name name, const DatapathParams& p, bool top_row, ActivityLog* log)
    : sc_core::sc_module(name),
      acc_(p.acc_bits),
      wide_(p.acc_bits >= 64),
      top_(top_row),
      log_(log),
      p_(&p),
      bdp_(&p, &dp_, &adder_),
      clk("clk"),
      a_in("a_in"),
      a_out("a_out"),
      psum_in("psum_in"),
      psum_out("psum_out"),
      w_in("w_in"),
      w_out("w_out"),
      w_act("w_act"),
      load("load"),
      col_mapped("col_mapped"),
      dp_("dp", p),
      adder_("adder") {
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void WsPe::end_of_elaboration() {
  a_in_ = a_in.operator->();
  w_in_ = w_in.operator->();
  psum_in_ = psum_in.operator->();
  load_ = load.operator->();
  col_mapped_ = col_mapped.operator->();
  a_out_ = a_out.operator->();
  w_out_ = w_out.operator->();
  w_act_ = w_act.operator->();
  psum_out_ = psum_out.operator->();
}

template <bool Wide, bool Top, bool Double>
void WsPe::step() {
  const OpLink a = a_in_->read();
  const Operand ain{a.pay, 0, a.ctl};
  std::int64_t pin = 0;
  std::uint8_t pin_ctl = 0;
  if constexpr (!Top) {
    const PsumLink& p = psum_in_->read();
    pin = p.v;
    pin_ctl = p.ctl;
  }
  CounterSink k{cnt_};
  const std::uint64_t active = cnt_.pe_active;
  const bool ld = load_->read(), mapped = col_mapped_->read();
  if constexpr (Double) {
    // The shadow chain carries each weight with its column-mapped bit (kEn).
    const OpLink wl = ld ? w_in_->read() : OpLink{};
    const auto map = static_cast<std::uint8_t>((wl.ctl & kEn) >> 1);
    const std::uint32_t w_old = q_.w, s_old = q_.shadow;
    const std::uint8_t m_old = q_.wmap;
    if (ld)
      ws_step<Wide, Top, true, true, true>(bdp_, acc_, q_, ain, pin, pin_ctl, wl.pay, k, map);
    else
      ws_step<Wide, Top, false, true, true>(bdp_, acc_, q_, ain, pin, pin_ctl, 0u, k, map);
    if (log_ && cnt_.pe_active != active) log_->add();
    a_out_->write(OpLink{q_.a, q_.a_ctl});
    psum_out_->write(PsumLink{q_.psum, q_.ctl2});
    if (q_.shadow != s_old || q_.wmap != m_old)
      w_out_->write(OpLink{q_.shadow, static_cast<std::uint8_t>((q_.wmap & 2u) ? kEn : 0)});
    if (q_.w != w_old) w_act_->write(OpLink{q_.w, 0});
    return;
  }
  const std::uint32_t win = ld ? w_in_->read().pay : 0;
  const std::uint32_t w_old = q_.w;
  if (ld)
    mapped ? ws_step<Wide, Top, true, true>(bdp_, acc_, q_, ain, pin, pin_ctl, win, k)
           : ws_step<Wide, Top, true, false>(bdp_, acc_, q_, ain, pin, pin_ctl, win, k);
  else
    mapped ? ws_step<Wide, Top, false, true>(bdp_, acc_, q_, ain, pin, pin_ctl, win, k)
           : ws_step<Wide, Top, false, false>(bdp_, acc_, q_, ain, pin, pin_ctl, win, k);
  if (log_ && cnt_.pe_active != active) log_->add();
  a_out_->write(OpLink{q_.a, q_.a_ctl});
  psum_out_->write(PsumLink{q_.psum, q_.ctl2});
  if (q_.w != w_old) w_out_->write(OpLink{q_.w, 0});
}

void WsPe::tick() {
  if (p_->dbl) {
    if (wide_)
      top_ ? step<true, true, true>() : step<true, false, true>();
    else
      top_ ? step<false, true, true>() : step<false, false, true>();
  } else if (wide_) {
    top_ ? step<true, true, false>() : step<true, false, false>();
  } else {
    top_ ? step<false, true, false>() : step<false, false, false>();
  }
}

}  // namespace sparq::hw
