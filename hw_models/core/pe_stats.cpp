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

void PeStats::merge(const PeStats& o) {
  pairs += o.pairs;
  for (std::size_t i = 0; i < pair_mode.size(); ++i) pair_mode[i] += o.pair_mode[i];
  windows += o.windows;
  for (std::size_t i = 0; i < shift_hist.size(); ++i) shift_hist[i] += o.shift_hist[i];
  partner_windows += o.partner_windows;
  for (std::size_t i = 0; i < partner_shift_hist.size(); ++i) partner_shift_hist[i] += o.partner_shift_hist[i];
  rounded_up += o.rounded_up;
  saturated += o.saturated;
  renormed += o.renormed;
  renorm_differs += o.renorm_differs;
  overflows += o.overflows;
}

bool PeStats::operator==(const PeStats& o) const {
  return pairs == o.pairs && pair_mode == o.pair_mode && windows == o.windows && shift_hist == o.shift_hist &&
         partner_windows == o.partner_windows && partner_shift_hist == o.partner_shift_hist &&
         rounded_up == o.rounded_up && saturated == o.saturated && renormed == o.renormed &&
         renorm_differs == o.renorm_differs && overflows == o.overflows;
}

}  // namespace sparq
