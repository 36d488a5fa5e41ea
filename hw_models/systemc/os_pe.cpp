// The toggle counters are popcounts (as in fast_array.cpp).
#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "os_pe.h"

namespace sparq::hw {

OsPe::OsPe(sc_core::sc_module_name name, const DatapathParams& p, bool top_row, ActivityLog* log)
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
      b_in("b_in"),
      b_out("b_out"),
      drain("drain"),
      acc_in("acc_in"),
      acc_out("acc_out"),
      acc_reg("acc_reg"),
      dp_("dp", p),
      adder_("adder") {
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void OsPe::end_of_elaboration() {
  a_in_ = a_in.operator->();
  b_in_ = b_in.operator->();
  acc_in_ = acc_in.operator->();
  drain_ = drain.operator->();
  a_out_ = a_out.operator->();
  b_out_ = b_out.operator->();
  acc_out_ = acc_out.operator->();
  acc_reg_ = acc_reg.operator->();
}

template <bool Wide, bool Double, bool Top>
void OsPe::step() {
  const OpLink a = a_in_->read(), b = b_in_->read();
  const Operand ain{a.pay, 0, a.ctl};
  CounterSink k{cnt_};
  const std::uint64_t active = cnt_.pe_active;
  if (drain_->read())
    os_step<Wide, true, Double, Top>(bdp_, acc_, q_, ain, b.pay, b.ctl, Top ? 0 : acc_in_->read().v, k);
  else
    os_step<Wide, false, Double, Top>(bdp_, acc_, q_, ain, b.pay, b.ctl, 0, k);
  if (log_ && cnt_.pe_active != active) log_->add();
  a_out_->write(OpLink{q_.a, q_.a_ctl});
  b_out_->write(OpLink{q_.w, q_.ctl2});
  if constexpr (Double) {
    acc_out_->write(PsumLink{q_.out, 0});
    acc_reg_->write(PsumLink{q_.psum, 0});
  } else {
    acc_out_->write(PsumLink{q_.psum, 0});
  }
}

void OsPe::tick() {
  if (!p_->dbl)
    wide_ ? step<true, false, false>() : step<false, false, false>();
  else if (top_)
    wide_ ? step<true, true, true>() : step<false, true, true>();
  else
    wide_ ? step<true, true, false>() : step<false, true, false>();
}

}  // namespace sparq::hw
