#include "pair_table.h"

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace sparq {

namespace {

PairTable build(const PeArith& pe) {
  PairTable t;
  t.enc.resize(65536);
  t.packed.resize(65536);
  t.lane_v.resize(65536);
  t.lane_wsel.resize(65536);
  t.eff.resize(65536);
  for (std::uint32_t key = 0; key < 65536; ++key) {
    const EncodedPair e =
        pe.design->encode(static_cast<std::uint8_t>(key & 0xFFu), static_cast<std::uint8_t>(key >> 8), pe);
    t.enc[key] = e;
    t.packed[key] = pe.design->pack(e, pe);
    // Distinct probe weights reveal which weight the mux routes to each lane.
    const LaneOperands o = pe.design->route(e, 1, 2, pe);
    t.lane_v[key] = static_cast<std::uint32_t>(o.lane[0].v) | (static_cast<std::uint32_t>(o.lane[1].v) << 16);
    t.lane_wsel[key] = static_cast<std::uint8_t>((o.w[0] == 2 ? 1u : 0u) | (o.w[1] == 2 ? 2u : 0u));
    const auto ef = effective_pair(e);
    t.eff[key] = {static_cast<std::int16_t>(ef[0]), static_cast<std::int16_t>(ef[1])};
  }
  return t;
}

}  // namespace

const PairTable& pair_table(const PeArith& pe) {
  if (!pe.design->consumes_pairs())
    throw std::invalid_argument("design " + pe.design->name() + " does not consume activation pairs");
  using Key = std::tuple<const PeDesign*, int, std::uint16_t, int, int, std::uint16_t, int>;
  static std::mutex mu;
  static std::map<Key, std::unique_ptr<const PairTable>> cache;
  const Key key{pe.design,
                pe.window.n,
                pe.window.shift_mask,
                static_cast<int>(pe.window.rounding),
                pe.partner.n,
                pe.partner.shift_mask,
                static_cast<int>(pe.partner.rounding)};
  const std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, std::make_unique<const PairTable>(build(pe))).first;
  return *it->second;
}

}  // namespace sparq
