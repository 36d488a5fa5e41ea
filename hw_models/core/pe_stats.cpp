#include "pe_stats.h"

namespace sparq {

void PeStats::count_pair(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) {
  count_encoded(a1, a2, pe.design->consumes_pairs() ? encode_pair(a1, a2, pe) : EncodedPair{}, pe, 1);
}

void PeStats::count_encoded(std::uint8_t a1, std::uint8_t a2, const EncodedPair& e, const PeArith& pe,
                            std::uint64_t times) {
  pairs += times;
  pair_mode[static_cast<int>(classify_pair(a1, a2))] += times;
  if (!pe.design->consumes_pairs()) return;
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
    (partner ? partner_windows : windows) += times;
    (partner ? partner_shift_hist : shift_hist)[w.s] += times;
    rounded_up += times * w.rounded_up;
    saturated += times * w.saturated;
    renormed += times * w.renormed;
    if (w.renormed) {
      const WindowSpec& spec = partner ? pe.partner : pe.window;
      WindowSpec plain = spec;
      plain.rounding = Rounding::Round;
      if (select_window(src[l], plain).value() != w.value()) renorm_differs += times;
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
