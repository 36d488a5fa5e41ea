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

std::string preset_name_of(const WindowSpec& spec) {
  for (const auto& name : preset_names()) {
    const PresetDef& d = preset_table().at(name);
    if (d.n == spec.n && d.mask == spec.shift_mask) return name;
  }
  return "";
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

std::array<int, 2> effective_pair(const EncodedPair& e) {
  switch (e.mode) {
    case PairMode::BothNonzero: return {e.lane[0].value(), e.lane[1].value()};
    case PairMode::FirstZero: return {0, e.lane[0].value()};
    case PairMode::SecondZero: return {e.lane[0].value(), 0};
    case PairMode::BothZero: break;
  }
  return {0, 0};
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
