// What one sc_signal carries between two PEs (or from an array edge): a slot's
// payload and control bits together, so that a link costs one signal.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <systemc>

namespace sparq::hw {

// Operand (row) or weight (column) link: payload and control bits (kValid, kEn, kLast).
struct OpLink {
  std::uint32_t pay = 0;
  std::uint8_t ctl = 0;
  bool operator==(const OpLink& o) const { return pay == o.pay && ctl == o.ctl; }
};

// Partial-sum (ws) / accumulator (os) link: value and control bits (ws).
struct PsumLink {
  std::int64_t v = 0;
  std::uint8_t ctl = 0;
  bool operator==(const PsumLink& o) const { return v == o.v && ctl == o.ctl; }
};

inline std::ostream& operator<<(std::ostream& os, const OpLink& l) {
  return os << "{pay=" << l.pay << " ctl=" << static_cast<unsigned>(l.ctl) << "}";
}
inline std::ostream& operator<<(std::ostream& os, const PsumLink& l) {
  return os << "{v=" << l.v << " ctl=" << static_cast<unsigned>(l.ctl) << "}";
}

// Traced as two variables: <name> (payload / value) and <name>_ctl.
inline void sc_trace(sc_core::sc_trace_file* tf, const OpLink& l, const std::string& name) {
  sc_core::sc_trace(tf, l.pay, name);
  sc_core::sc_trace(tf, l.ctl, name + "_ctl");
}
inline void sc_trace(sc_core::sc_trace_file* tf, const PsumLink& l, const std::string& name) {
  sc_core::sc_trace(tf, l.v, name);
  sc_core::sc_trace(tf, l.ctl, name + "_ctl");
}

}  // namespace sparq::hw
