#include "sparq_arith.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

namespace sparq {

void WindowSpec::validate() const {
  if (n < 1 || n > 8) throw std::invalid_argument("window width n must be in 1..8, got " + std::to_string(n));
  if (shift_mask == 0) throw std::invalid_argument("shift set is empty");
  if (shift_mask & ~0xFFu)
    throw std::invalid_argument("shift set holds a shift above 7: {" + shift_set_string(shift_mask) + "}");
  if (max_shift() < 8 - n)
    throw std::invalid_argument(
        "shift set {" + shift_set_string(shift_mask) + "} with n=" + std::to_string(n) +
        " leaves some 8-bit values without a window: max shift must be >= " + std::to_string(8 - n));
}

int WindowSpec::min_shift() const {
  for (int s = 0; s < 16; ++s)
    if ((shift_mask >> s) & 1) return s;
  return -1;
}

int WindowSpec::max_shift() const {
  for (int s = 15; s >= 0; --s)
    if ((shift_mask >> s) & 1) return s;
  return -1;
}

std::vector<int> WindowSpec::shifts() const {
  std::vector<int> out;
  for (int s = 0; s < 16; ++s)
    if ((shift_mask >> s) & 1) out.push_back(s);
  return out;
}

std::string shift_set_string(std::uint16_t mask) {
  std::string out;
  for (int s = 15; s >= 0; --s)
    if ((mask >> s) & 1) {
      if (!out.empty()) out += ",";
      out += std::to_string(s);
    }
  return out;
}

std::uint16_t parse_shift_set(const std::string& text) {
  std::uint16_t mask = 0;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), [](unsigned char c) { return std::isspace(c); }), item.end());
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 2)
      throw std::invalid_argument("bad shift set '" + text + "': expected comma-separated shifts in 0..7");
    int s = std::stoi(item);
    if (s > 7) throw std::invalid_argument("bad shift set '" + text + "': shift " + item + " is above 7");
    mask = static_cast<std::uint16_t>(mask | (1u << s));
  }
  if (mask == 0) throw std::invalid_argument("bad shift set '" + text + "': empty");
  return mask;
}

const char* to_string(Rounding r) {
  switch (r) {
    case Rounding::Trunc: return "trunc";
    case Rounding::Round: return "round";
    case Rounding::RoundRenorm: return "round_renorm";
  }
  return "?";
}

Rounding parse_rounding(const std::string& s) {
  if (s == "trunc") return Rounding::Trunc;
  if (s == "round") return Rounding::Round;
  if (s == "round_renorm") return Rounding::RoundRenorm;
  throw std::invalid_argument("unknown rounding '" + s + "' (expected trunc, round or round_renorm)");
}

namespace {
struct PresetDef {
  int n;
  std::uint16_t mask;
};
const std::map<std::string, PresetDef>& preset_table() {
  static const std::map<std::string, PresetDef> table = {
      {"5opt", {4, 0b11111}},   {"3opt", {4, 0b10101}},  {"2opt", {4, 0b10001}}, {"6opt", {3, 0b111111}},
      {"7opt", {2, 0b1111111}}, {"6b-3opt", {6, 0b111}}, {"1opt", {4, 0b10000}}, {"8b", {8, 0b1}},
  };
  return table;
}
}  // namespace

WindowSpec preset(const std::string& name, Rounding rounding) {
  const auto& t = preset_table();
  auto it = t.find(name);
  if (it == t.end()) {
    std::string known;
    for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown shift-set preset '" + name + "' (known: " + known + ")");
  }
  return WindowSpec{it->second.n, it->second.mask, rounding};
}

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"5opt", "3opt", "2opt", "6opt", "7opt", "6b-3opt", "1opt", "8b"};
  return names;
}

int encode_shift(int msb, const WindowSpec& spec) {
  if (msb < 0) return spec.min_shift();
  const int need = msb - (spec.n - 1);
  for (int s = 0; s < 16; ++s)
    if (((spec.shift_mask >> s) & 1) && s >= need) return s;
  return spec.max_shift();  // unreachable for a validated spec
}

Window select_window(std::uint8_t a, const WindowSpec& spec) {
  return select_window_at(a, encode_shift(leading_one(a), spec), spec);
}

Window select_window_at(std::uint8_t a, int s, const WindowSpec& spec) {
  Window w;
  const unsigned full = (1u << spec.n) - 1u;
  w.s = static_cast<std::uint8_t>(s);
  w.v = static_cast<std::uint8_t>((static_cast<unsigned>(a) >> s) & full);
  if (spec.rounding == Rounding::Trunc || s == 0) return w;

  const unsigned half = (a >> (s - 1)) & 1u;
  const unsigned sticky = (a & ((1u << (s - 1)) - 1u)) != 0 ? 1u : 0u;
  const unsigned lsb = (a >> s) & 1u;
  if (!(half && (lsb || sticky))) return w;

  if (w.v < full) {
    w.v = static_cast<std::uint8_t>(w.v + 1);
    w.rounded_up = true;
    return w;
  }
  // The incrementer overflows the window.
  if (spec.rounding == Rounding::RoundRenorm) {
    const unsigned rounded = (full + 1u) << s;  // 2^(n+s)
    int next = -1;
    for (int t = s + 1; t < 16; ++t)
      if ((spec.shift_mask >> t) & 1) {
        next = t;
        break;
      }
    if (next >= 0 && rounded <= 255u && (rounded >> next) <= full && ((rounded >> next) << next) == rounded) {
      w.s = static_cast<std::uint8_t>(next);
      w.v = static_cast<std::uint8_t>(rounded >> next);
      w.rounded_up = true;
      w.renormed = true;
      return w;
    }
  }
  w.saturated = true;
  return w;
}

const char* to_string(Design d) {
  switch (d) {
    case Design::Int8: return "int8";
    case Design::Int4: return "int4";
    case Design::BSparq: return "bsparq";
    case Design::VSparq: return "vsparq";
  }
  return "?";
}

Design parse_design(const std::string& s) {
  if (s == "int8") return Design::Int8;
  if (s == "int4") return Design::Int4;
  if (s == "bsparq") return Design::BSparq;
  if (s == "vsparq") return Design::VSparq;
  throw std::invalid_argument("unknown PE design '" + s + "' (expected int8, int4, bsparq or vsparq)");
}

const char* to_string(PairMode m) {
  switch (m) {
    case PairMode::BothNonzero: return "both_nonzero";
    case PairMode::FirstZero: return "first_zero";
    case PairMode::SecondZero: return "second_zero";
    case PairMode::BothZero: return "both_zero";
  }
  return "?";
}

void PeArith::validate() const {
  switch (design) {
    case Design::Int8: return;
    case Design::Int4:
    case Design::BSparq: window.validate(); return;
    case Design::VSparq:
      window.validate();
      partner.validate();
      return;
  }
}

PeArith PeArith::int8() {
  PeArith p;
  p.design = Design::Int8;
  p.window = preset("8b", Rounding::Trunc);
  p.partner = p.window;
  p.budget = 8;
  return p;
}

PeArith PeArith::int4(Rounding r) {
  PeArith p;
  p.design = Design::Int4;
  p.window = preset("1opt", r);
  p.partner = p.window;
  p.budget = 4;
  return p;
}

PeArith PeArith::bsparq(const WindowSpec& w) {
  PeArith p;
  p.design = Design::BSparq;
  p.window = w;
  p.partner = w;
  p.budget = w.n;
  p.validate();
  return p;
}

PeArith PeArith::vsparq(int budget, const WindowSpec& w4) {
  PeArith p;
  p.design = Design::VSparq;
  p.budget = budget;
  switch (budget) {
    case 4:
      if (w4.n != 4) throw std::invalid_argument("vsparq budget 4 needs a 4-bit window");
      p.window = w4;
      p.partner = WindowSpec{8, 0b1, w4.rounding};
      break;
    case 3:
      p.window = preset("6opt", w4.rounding);
      p.partner = preset("6b-3opt", w4.rounding);
      break;
    case 2:
      p.window = preset("7opt", w4.rounding);
      p.partner = preset("5opt", w4.rounding);
      break;
    default: throw std::invalid_argument("vsparq budget must be 4, 3 or 2, got " + std::to_string(budget));
  }
  p.validate();
  return p;
}

EncodedPair encode_pair(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) {
  EncodedPair e;
  if (pe.design == Design::VSparq) {
    e.mode = classify_pair(a1, a2);
    switch (e.mode) {
      case PairMode::BothNonzero:
        e.lane[0] = select_window(a1, pe.window);
        e.lane[1] = select_window(a2, pe.window);
        break;
      case PairMode::FirstZero: e.lane[0] = select_window(a2, pe.partner); break;
      case PairMode::SecondZero: e.lane[0] = select_window(a1, pe.partner); break;
      case PairMode::BothZero: break;
    }
    return e;
  }
  // int4 / bsparq: two independent lanes; zeros are not detected, the lanes
  // simply multiply a zero window.
  e.mode = PairMode::BothNonzero;
  e.lane[0] = select_window(a1, pe.window);
  e.lane[1] = select_window(a2, pe.window);
  return e;
}

std::array<int, 2> effective_pair(const EncodedPair& e) {
  switch (e.mode) {
    case PairMode::BothNonzero: return {e.lane[0].value(), e.lane[1].value()};
    case PairMode::FirstZero: return {0, e.lane[0].value()};
    case PairMode::SecondZero: return {e.lane[0].value(), 0};
    case PairMode::BothZero: break;
  }
  return {0, 0};
}

std::array<int, 2> effective_activations(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) {
  if (pe.design == Design::Int8) return {a1, a2};
  return effective_pair(encode_pair(a1, a2, pe));
}

std::int64_t Accumulator::wrap(std::int64_t x, int bits) {
  if (bits >= 64) return x;
  const std::uint64_t m = (std::uint64_t{1} << bits) - 1u;
  std::uint64_t u = static_cast<std::uint64_t>(x) & m;
  if (u >> (bits - 1)) u |= ~m;
  return static_cast<std::int64_t>(u);
}

bool Accumulator::fits(std::int64_t x, int bits) {
  if (bits >= 64) return true;
  const std::int64_t hi = (std::int64_t{1} << (bits - 1)) - 1;
  return x >= -hi - 1 && x <= hi;
}

bool Accumulator::add(std::int64_t x) {
  const std::int64_t exact = value_ + x;
  value_ = wrap(exact, bits_);
  return !fits(exact, bits_);
}

}  // namespace sparq
