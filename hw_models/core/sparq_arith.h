// Bit-exact SPARQ arithmetic (docs/arithmetic.md), written as the datapath blocks the
// hardware has: leading-one detector, shift encoder, window select with
// rounding, shifting multiplier, zero detector and pair multiplexer.
// Plain C++: this library never links SystemC. The SystemC modules and the
// reference engine both call these functions; nothing re-implements them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "enum_names.h"

namespace sparq {

enum class Rounding : std::uint8_t { Trunc, Round, RoundRenorm };

// A bSPARQ window configuration: window width n (1..8) and the allowed shift
// set S as a bit mask (bit s set <=> shift s allowed).
struct WindowSpec {
  int n = 4;
  std::uint16_t shift_mask = 0x1F;  // {4,3,2,1,0}
  Rounding rounding = Rounding::Round;

  // Throws std::invalid_argument if n is not in 1..8, S is empty, holds a
  // shift above 7, or max(S) < 8-n (some 8-bit value would have no window).
  void validate() const;
  int min_shift() const;
  int max_shift() const;
  std::vector<int> shifts() const;  // ascending
  bool operator==(const WindowSpec& o) const {
    return n == o.n && shift_mask == o.shift_mask && rounding == o.rounding;
  }
};

// The presets of docs/arithmetic.md §2.3 ("5opt", "3opt", "2opt", "6opt", "7opt", "6b-3opt",
// "1opt", and "8b" = the exact 8-bit window). Throws on an unknown name.
WindowSpec preset(const std::string& name, Rounding rounding = Rounding::Round);
const std::vector<std::string>& preset_names();
// The preset whose width and shift set equal spec's (rounding aside), or "".
std::string preset_name_of(const WindowSpec& spec);
std::string shift_set_string(std::uint16_t mask);     // e.g. "4,3,2,1,0"
std::uint16_t parse_shift_set(const std::string& s);  // inverse; throws
template <>
struct EnumTable<Rounding> {
  static constexpr const char* what = "rounding";
  static constexpr EnumName<Rounding> table[] = {
      {Rounding::Trunc, "trunc"}, {Rounding::Round, "round"}, {Rounding::RoundRenorm, "round_renorm"}};
};
inline const char* to_string(Rounding r) {
  return enum_name(r);
}

// --- Leading-one detector: position of the leading one, -1 for 0.
inline int leading_one(std::uint8_t a) {
  int p = -1;
  for (int b = 7; b >= 0; --b)
    if ((a >> b) & 1) {
      p = b;
      break;
    }
  return p;
}

// --- Shift encoder: the smallest allowed shift s with s >= msb - (n-1);
// min(S) for a zero activation.
int encode_shift(int msb, const WindowSpec& spec);

// A selected window: the trimmed value is v << s.
struct Window {
  std::uint8_t v = 0;       // window contents (n bits, n+1 never: saturated)
  std::uint8_t s = 0;       // shift
  bool rounded_up = false;  // the rounding incrementer fired
  bool saturated = false;   // rounding wanted to overflow the window; held at max
  bool renormed = false;    // round_renorm moved to a larger shift
  int value() const { return static_cast<int>(v) << s; }
};

// --- Window select with rounding (window multiplexer + incrementer).
Window select_window(std::uint8_t a, const WindowSpec& spec);

// The window multiplexer and rounding incrementer alone, given the shift s the
// shift encoder chose (s = encode_shift(leading_one(a), spec)); select_window
// is exactly select_window_at(a, encode_shift(leading_one(a), spec), spec).
// Lets a hardware model wire the encoder and the window select as two blocks.
Window select_window_at(std::uint8_t a, int s, const WindowSpec& spec);

// Trimmed value of a under spec (select_window(a).value()).
inline int trim(std::uint8_t a, const WindowSpec& spec) {
  return select_window(a, spec).value();
}

// --- Shifting multiplier: an n-bit x 8-bit multiply followed by a barrel shift.
inline std::int32_t shift_multiply(const Window& win, std::int8_t w) {
  return static_cast<std::int32_t>(static_cast<std::int32_t>(win.v) * w) * (1 << win.s);
}

// Pair multiplexer modes.
enum class PairMode : std::uint8_t {
  BothNonzero,  // two independent lanes
  FirstZero,    // a1 == 0: lanes combined on a2 at partner precision
  SecondZero,   // a2 == 0: lanes combined on a1 at partner precision
  BothZero,     // nothing to compute
};
template <>
struct EnumTable<PairMode> {
  static constexpr const char* what = "pair mode";
  static constexpr EnumName<PairMode> table[] = {{PairMode::BothNonzero, "both_nonzero"},
                                                 {PairMode::FirstZero, "first_zero"},
                                                 {PairMode::SecondZero, "second_zero"},
                                                 {PairMode::BothZero, "both_zero"}};
};
inline const char* to_string(PairMode m) {
  return enum_name(m);
}

// The encoded operand a pair-consuming PE receives (this is what travels
// through inter-PE registers when leading-one detection sits at the edge).
struct EncodedPair {
  PairMode mode = PairMode::BothZero;
  std::array<Window, 2> lane{};  // in a combined mode lane[0] holds the partner
};

// --- Zero detectors and pair classification.
inline PairMode classify_pair(std::uint8_t a1, std::uint8_t a2) {
  if (a1 == 0 && a2 == 0) return PairMode::BothZero;
  if (a1 == 0) return PairMode::FirstZero;
  if (a2 == 0) return PairMode::SecondZero;
  return PairMode::BothNonzero;
}

// The multiplier array + pair mux: the pair's contribution to the sum.
inline std::int32_t pair_product(const EncodedPair& e, std::int8_t w1, std::int8_t w2) {
  switch (e.mode) {
    case PairMode::BothNonzero: return shift_multiply(e.lane[0], w1) + shift_multiply(e.lane[1], w2);
    case PairMode::FirstZero: return shift_multiply(e.lane[0], w2);
    case PairMode::SecondZero: return shift_multiply(e.lane[0], w1);
    case PairMode::BothZero: break;
  }
  return 0;
}

// The value one activation of a pair contributes with (for error analysis):
// the effective activations (a1', a2') such that pair_product = a1'*w1 + a2'*w2.
std::array<int, 2> effective_pair(const EncodedPair& e);

// Signed accumulator of a given width (2..64 bits): adds wrap two's
// complement like the hardware and overflow is detected and counted.
class Accumulator {
 public:
  explicit Accumulator(int bits = 32) : bits_(bits) {}
  void reset() { value_ = 0; }
  // Adds x; returns true if the exact running sum left the signed range.
  bool add(std::int64_t x);
  std::int64_t value() const { return value_; }
  int bits() const { return bits_; }
  static std::int64_t wrap(std::int64_t x, int bits);
  static bool fits(std::int64_t x, int bits);

 private:
  int bits_;
  std::int64_t value_ = 0;
};

}  // namespace sparq
