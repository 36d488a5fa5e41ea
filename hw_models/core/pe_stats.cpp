#include "pe_stats.h"

namespace sparq {

void PeStats::count_pair(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) {
  ++pairs;
  ++pair_mode[static_cast<int>(classify_pair(a1, a2))];
  if (!pe.design->consumes_pairs()) return;
  const EncodedPair e = encode_pair(a1, a2, pe);
  int lanes = 0;
  switch (e.mode) {
    case PairMode::BothNonzero: lanes = 2; break;
    case PairMode::FirstZero:
    case PairMode::SecondZero: lanes = 1; break;
    case PairMode::BothZero: lanes = 0; break;
  }
  const std::uint8_t src[2] = {e.mode == PairMode::FirstZero ? a2 : a1, a2};
  const bool partner = lanes == 1;
  for (int l = 0; l < lanes; ++l) {
    if (src[l] == 0) continue;  // int4 / bsparq lanes of zero activations carry nothing
    const Window& w = e.lane[l];
    ++(partner ? partner_windows : windows);
    ++(partner ? partner_shift_hist : shift_hist)[w.s];
    rounded_up += w.rounded_up;
    saturated += w.saturated;
    renormed += w.renormed;
    if (w.renormed) {
      const WindowSpec& spec = partner ? pe.partner : pe.window;
      WindowSpec plain = spec;
      plain.rounding = Rounding::Round;
      if (select_window(src[l], plain).value() != w.value()) ++renorm_differs;
    }
  }
}

namespace {
// Every counter of PeStats, for merge and equality (reported through
// hw::array_stat_defs()).
constexpr std::uint64_t PeStats::*kScalars[] = {
    &PeStats::pairs,     &PeStats::windows,  &PeStats::partner_windows, &PeStats::rounded_up,
    &PeStats::saturated, &PeStats::renormed, &PeStats::renorm_differs,  &PeStats::overflows};
static_assert(sizeof(PeStats) == sizeof(kScalars) / sizeof(kScalars[0]) * sizeof(std::uint64_t) +
                                     sizeof(PeStats::pair_mode) + sizeof(PeStats::shift_hist) +
                                     sizeof(PeStats::partner_shift_hist),
              "a PeStats counter is missing from kScalars");

template <class A>
void add_all(A& a, const A& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
}
}  // namespace

void PeStats::count_pair(std::uint8_t a1, std::uint8_t a2, const PeArith& pe, std::uint64_t times) {
  PeStats one;
  one.count_pair(a1, a2, pe);
  for (auto m : kScalars) this->*m += times * (one.*m);
  for (std::size_t i = 0; i < pair_mode.size(); ++i) pair_mode[i] += times * one.pair_mode[i];
  for (std::size_t i = 0; i < shift_hist.size(); ++i) shift_hist[i] += times * one.shift_hist[i];
  for (std::size_t i = 0; i < partner_shift_hist.size(); ++i)
    partner_shift_hist[i] += times * one.partner_shift_hist[i];
}

void PeStats::merge(const PeStats& o) {
  for (auto m : kScalars) this->*m += o.*m;
  add_all(pair_mode, o.pair_mode);
  add_all(shift_hist, o.shift_hist);
  add_all(partner_shift_hist, o.partner_shift_hist);
}

bool PeStats::operator==(const PeStats& o) const {
  for (auto m : kScalars)
    if (this->*m != o.*m) return false;
  return pair_mode == o.pair_mode && shift_hist == o.shift_hist && partner_shift_hist == o.partner_shift_hist;
}

}  // namespace sparq
