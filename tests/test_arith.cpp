// Bit-exactness of the SPARQ datapath (docs/arithmetic.md §2-§3) against the brute-force
// formulation in brute_reference.h, exhaustively: every window width, every
// shift set, every rounding mode, all 256 activations; all 65,536
// activation-weight pairs for the shifting multiplier; all 65,536 activation
// pairs for the vSPARQ pair rule.
#include <gtest/gtest.h>

#include <set>

#include "brute_reference.h"
#include "pe_design.h"
#include "sparq_arith.h"

using namespace sparq;

namespace {

brute::Mode to_brute(Rounding r) {
  switch (r) {
    case Rounding::Trunc: return brute::Mode::Trunc;
    case Rounding::Round: return brute::Mode::Round;
    case Rounding::RoundRenorm: return brute::Mode::RoundRenorm;
  }
  return brute::Mode::Trunc;
}

const Rounding kModes[] = {Rounding::Trunc, Rounding::Round, Rounding::RoundRenorm};

int bsparq_value(int a, const WindowSpec& spec) {
  return select_window(static_cast<std::uint8_t>(a), spec).value();
}

}  // namespace

TEST(LeadingOne, AllBytes) {
  EXPECT_EQ(leading_one(0), -1);
  for (int a = 1; a < 256; ++a) {
    int p = 0;
    while (brute::pow2(p + 1) <= a) ++p;  // largest p with 2^p <= a
    EXPECT_EQ(leading_one(static_cast<std::uint8_t>(a)), p) << "a=" << a;
  }
}

TEST(WindowSpec, ValidatesShiftSets) {
  EXPECT_NO_THROW(preset("5opt").validate());
  EXPECT_THROW((WindowSpec{4, 0b01111, Rounding::Round}.validate()), std::invalid_argument);  // max 3 < 4
  EXPECT_THROW((WindowSpec{4, 0, Rounding::Round}.validate()), std::invalid_argument);
  EXPECT_THROW((WindowSpec{9, 0b1, Rounding::Round}.validate()), std::invalid_argument);
  EXPECT_THROW((WindowSpec{0, 0b1, Rounding::Round}.validate()), std::invalid_argument);
  EXPECT_THROW((WindowSpec{4, 0x100, Rounding::Round}.validate()), std::invalid_argument);
  EXPECT_EQ(parse_shift_set("4,3,2,1,0"), 0b11111);
  EXPECT_EQ(parse_shift_set("4, 0"), 0b10001);
  EXPECT_THROW(parse_shift_set("4,x"), std::invalid_argument);
  EXPECT_THROW(parse_shift_set("8"), std::invalid_argument);
  EXPECT_THROW(parse_shift_set(""), std::invalid_argument);
  EXPECT_EQ(shift_set_string(0b10101), "4,2,0");
  EXPECT_THROW(preset("9opt"), std::invalid_argument);
}

// Every valid (n, S, rounding), all 256 activations: value and saturation
// flag match the definition. This covers every preset and any custom set.
TEST(BSparq, ExhaustiveAllWidthsShiftSetsAndModes) {
  int specs = 0;
  for (int n = 1; n <= 8; ++n)
    for (unsigned mask = 1; mask < 256; ++mask) {
      WindowSpec spec{n, static_cast<std::uint16_t>(mask), Rounding::Trunc};
      bool valid = true;
      try {
        spec.validate();
      } catch (const std::invalid_argument&) {
        valid = false;
      }
      // The set is valid exactly when every byte has a window (definition).
      bool all_have_window = true;
      for (int a = 0; a < 256; ++a) all_have_window &= brute::shift_for(a, n, mask) >= 0;
      ASSERT_EQ(valid, all_have_window) << "n=" << n << " S={" << shift_set_string(static_cast<std::uint16_t>(mask))
                                        << "}";
      if (!valid) continue;
      ++specs;
      for (Rounding r : kModes) {
        spec.rounding = r;
        for (int a = 0; a < 256; ++a) {
          const Window w = select_window(static_cast<std::uint8_t>(a), spec);
          const brute::Trimmed t = brute::trim(a, n, mask, to_brute(r));
          ASSERT_EQ(w.value(), t.value) << "n=" << n << " S={" << shift_set_string(spec.shift_mask)
                                        << "} mode=" << to_string(r) << " a=" << a;
          ASSERT_EQ(w.saturated, t.saturated) << "n=" << n << " mode=" << to_string(r) << " a=" << a;
          ASSERT_LT(w.v, 1 << n);
          ASSERT_TRUE((spec.shift_mask >> w.s) & 1);
          if (!w.renormed) {
            ASSERT_EQ(w.s, brute::shift_for(a, n, mask));
          }
        }
      }
    }
  EXPECT_GT(specs, 500);
}

TEST(BSparq, SpecTestVectors) {
  auto v = [](const char* p, Rounding r, int a) { return bsparq_value(a, preset(p, r)); };
  EXPECT_EQ(v("5opt", Rounding::Trunc, 0x17), 22);
  EXPECT_EQ(v("5opt", Rounding::Round, 0x17), 24);
  EXPECT_EQ(v("5opt", Rounding::Trunc, 0x6C), 104);
  EXPECT_EQ(v("5opt", Rounding::Round, 0x6C), 112);
  EXPECT_EQ(v("3opt", Rounding::Trunc, 0x7F), 112);
  EXPECT_EQ(v("3opt", Rounding::Round, 0x7F), 128);
  EXPECT_EQ(v("2opt", Rounding::Trunc, 0x1F), 16);
  EXPECT_EQ(v("2opt", Rounding::Round, 0x1F), 32);
  EXPECT_EQ(v("5opt", Rounding::RoundRenorm, 124), 128);
}

TEST(BSparq, SaturationListsUnderRound) {
  auto saturating = [](const char* p) {
    std::set<int> s;
    for (int a = 0; a < 256; ++a)
      if (select_window(static_cast<std::uint8_t>(a), preset(p, Rounding::Round)).saturated) s.insert(a);
    return s;
  };
  std::set<int> five = {31, 62, 63, 124, 125, 126, 127};
  for (int a = 248; a < 256; ++a) five.insert(a);
  EXPECT_EQ(saturating("5opt"), five);
  std::set<int> three = {62, 63};
  for (int a = 248; a < 256; ++a) three.insert(a);
  EXPECT_EQ(saturating("3opt"), three);
  std::set<int> two;
  for (int a = 248; a < 256; ++a) two.insert(a);
  EXPECT_EQ(saturating("2opt"), two);
  // The saturated values docs/arithmetic.md §2.4 lists.
  auto r5 = preset("5opt", Rounding::Round);
  EXPECT_EQ(bsparq_value(31, r5), 30);
  EXPECT_EQ(bsparq_value(62, r5), 60);
  EXPECT_EQ(bsparq_value(63, r5), 60);
  for (int a = 124; a < 128; ++a) EXPECT_EQ(bsparq_value(a, r5), 120);
  for (int a = 248; a < 256; ++a) EXPECT_EQ(bsparq_value(a, r5), 240);
  auto r3 = preset("3opt", Rounding::Round);
  EXPECT_EQ(bsparq_value(62, r3), 60);
  EXPECT_EQ(bsparq_value(63, r3), 60);
  for (int a = 248; a < 256; ++a) EXPECT_EQ(bsparq_value(a, r3), 240);
}

TEST(BSparq, DistinctLevelCountsUnderRound) {
  auto levels = [](const char* p) {
    std::set<int> s;
    for (int a = 0; a < 256; ++a) s.insert(bsparq_value(a, preset(p, Rounding::Round)));
    return s.size();
  };
  EXPECT_EQ(levels("5opt"), 48u);
  EXPECT_EQ(levels("3opt"), 40u);
  EXPECT_EQ(levels("2opt"), 31u);
}

TEST(BSparq, PresetsHaveTheSpecsWidthsAndShifts) {
  struct P {
    const char* name;
    int n;
    std::vector<int> s;
  };
  const P table[] = {{"5opt", 4, {0, 1, 2, 3, 4}},
                     {"3opt", 4, {0, 2, 4}},
                     {"2opt", 4, {0, 4}},
                     {"6opt", 3, {0, 1, 2, 3, 4, 5}},
                     {"7opt", 2, {0, 1, 2, 3, 4, 5, 6}},
                     {"6b-3opt", 6, {0, 1, 2}},
                     {"1opt", 4, {4}},
                     {"8b", 8, {0}}};
  for (const auto& p : table) {
    const WindowSpec w = preset(p.name);
    EXPECT_EQ(w.n, p.n) << p.name;
    EXPECT_EQ(w.shifts(), p.s) << p.name;
    EXPECT_NO_THROW(w.validate()) << p.name;
  }
}

TEST(BSparq, RenormDiffersFromRoundOnlyWhereRoundSaturates) {
  for (const auto& name : preset_names()) {
    const WindowSpec r = preset(name, Rounding::Round), rr = preset(name, Rounding::RoundRenorm);
    for (int a = 0; a < 256; ++a) {
      const Window w1 = select_window(static_cast<std::uint8_t>(a), r);
      const Window w2 = select_window(static_cast<std::uint8_t>(a), rr);
      if (w1.value() != w2.value()) {
        EXPECT_TRUE(w1.saturated) << name << " a=" << a;
        EXPECT_TRUE(w2.renormed) << name << " a=" << a;
        EXPECT_GT(w2.value(), w1.value());
      }
    }
  }
}

// Shifting multiplier: all 65,536 (activation, weight) pairs, every preset
// and mode, against trimmed value times weight.
TEST(ShiftMultiply, AllActivationWeightPairs) {
  for (const auto& name : preset_names())
    for (Rounding r : kModes) {
      const WindowSpec spec = preset(name, r);
      for (int a = 0; a < 256; ++a) {
        const Window win = select_window(static_cast<std::uint8_t>(a), spec);
        const int t = brute::trim(a, spec.n, spec.shift_mask, to_brute(r)).value;
        for (int w = -128; w < 128; ++w)
          ASSERT_EQ(shift_multiply(win, static_cast<std::int8_t>(w)), t * w) << name << " a=" << a << " w=" << w;
      }
    }
}

namespace {

// The pair rule by definition (docs/arithmetic.md §3), over brute-force
// trim tables built once per design.
struct BrutePair {
  const PeArith& pe;
  std::array<int, 256> lane{}, partner{};
  explicit BrutePair(const PeArith& p) : pe(p) {
    for (int a = 0; a < 256; ++a) {
      lane[a] = brute::trim(a, pe.window.n, pe.window.shift_mask, to_brute(pe.window.rounding)).value;
      partner[a] = brute::trim(a, pe.partner.n, pe.partner.shift_mask, to_brute(pe.partner.rounding)).value;
    }
  }
  long operator()(int a1, int a2, int w1, int w2) const {
    const std::string& d = pe.design->name();
    if (d == "int8") return static_cast<long>(a1) * w1 + static_cast<long>(a2) * w2;
    if (d == "vsparq") {
      if (a1 == 0) return static_cast<long>(partner[a2]) * w2;
      if (a2 == 0) return static_cast<long>(partner[a1]) * w1;
    }
    return static_cast<long>(lane[a1]) * w1 + static_cast<long>(lane[a2]) * w2;
  }
};

std::vector<PeArith> all_pair_designs() {
  std::vector<PeArith> v;
  for (Rounding r : kModes) {
    v.push_back(PeArith::int4(r));
    for (const char* p : {"5opt", "3opt", "2opt"}) {
      v.push_back(PeArith::bsparq(preset(p, r)));
      v.push_back(PeArith::vsparq(4, preset(p, r)));
    }
    v.push_back(PeArith::bsparq(preset("6opt", r)));
    v.push_back(PeArith::bsparq(preset("7opt", r)));
    v.push_back(PeArith::vsparq(3, preset("5opt", r)));
    v.push_back(PeArith::vsparq(2, preset("5opt", r)));
    // Generalized vSPARQ: other lane and partner windows.
    v.push_back(PeArith::vsparq(preset("3opt", r), preset("6b-3opt", r)));
    v.push_back(PeArith::vsparq(preset("6opt", r), WindowSpec{5, 0b1001, r}));
    v.push_back(PeArith::vsparq(preset("7opt", r), preset("3opt", r)));
  }
  return v;
}

}  // namespace

TEST(PairRule, VSparqPartnerPresetsPerBudget) {
  const auto b4 = PeArith::vsparq(4, preset("3opt"));
  EXPECT_EQ(b4.window, preset("3opt"));
  EXPECT_EQ(b4.partner.n, 8);
  const auto b3 = PeArith::vsparq(3);
  EXPECT_EQ(b3.window, preset("6opt"));
  EXPECT_EQ(b3.partner, preset("6b-3opt"));
  const auto b2 = PeArith::vsparq(2);
  EXPECT_EQ(b2.window, preset("7opt"));
  EXPECT_EQ(b2.partner, preset("5opt"));
  EXPECT_THROW(PeArith::vsparq(5), std::invalid_argument);
  EXPECT_THROW(PeArith::vsparq(4, preset("6opt")), std::invalid_argument);
}

// All 65,536 activation pairs for several weight pairs, every pair design.
TEST(PairRule, ExhaustiveActivationPairs) {
  const int weights[][2] = {{1, 1}, {-128, 127}, {127, -1}, {-77, 53}, {0, 99}, {64, -64}};
  for (const PeArith& pe : all_pair_designs()) {
    const BrutePair brute_pair(pe);
    for (int a1 = 0; a1 < 256; ++a1)
      for (int a2 = 0; a2 < 256; ++a2) {
        const EncodedPair e = encode_pair(static_cast<std::uint8_t>(a1), static_cast<std::uint8_t>(a2), pe);
        for (const auto& w : weights) {
          const long want = brute_pair(a1, a2, w[0], w[1]);
          ASSERT_EQ(pair_product(e, static_cast<std::int8_t>(w[0]), static_cast<std::int8_t>(w[1])), want)
              << pe.label() << " S={" << shift_set_string(pe.window.shift_mask) << "} " << to_string(pe.window.rounding)
              << " a=(" << a1 << "," << a2 << ") w=(" << w[0] << "," << w[1] << ")";
        }
        const auto eff = effective_activations(static_cast<std::uint8_t>(a1), static_cast<std::uint8_t>(a2), pe);
        ASSERT_EQ(static_cast<long>(eff[0]) * 3 + static_cast<long>(eff[1]) * 5, brute_pair(a1, a2, 3, 5));
      }
  }
}

TEST(PairRule, ZeroWeightDoesNotCountAsZero) {
  const auto pe = PeArith::vsparq(4, preset("5opt"));
  // a1, a2 nonzero with w1 == 0: both lanes are trimmed (no partner promotion).
  const auto e = encode_pair(0x17, 0xFF, pe);
  EXPECT_EQ(e.mode, PairMode::BothNonzero);
  EXPECT_EQ(pair_product(e, 0, 1), 240);  // 0xFF under 5opt round saturates at 240
  // a1 == 0: a2 keeps all 8 bits.
  EXPECT_EQ(pair_product(encode_pair(0, 0xFF, pe), 5, 1), 255);
  EXPECT_EQ(pair_product(encode_pair(0xFF, 0, pe), 1, 5), 255);
}

TEST(PairRule, ClassifyAllPairs) {
  std::array<int, 4> count{};
  for (int a1 = 0; a1 < 256; ++a1)
    for (int a2 = 0; a2 < 256; ++a2)
      ++count[static_cast<int>(classify_pair(static_cast<std::uint8_t>(a1), static_cast<std::uint8_t>(a2)))];
  EXPECT_EQ(count[static_cast<int>(PairMode::BothNonzero)], 255 * 255);
  EXPECT_EQ(count[static_cast<int>(PairMode::FirstZero)], 255);
  EXPECT_EQ(count[static_cast<int>(PairMode::SecondZero)], 255);
  EXPECT_EQ(count[static_cast<int>(PairMode::BothZero)], 1);
}

TEST(Accumulator, WrapsAndDetectsOverflow) {
  Accumulator acc(8);
  EXPECT_FALSE(acc.add(100));
  EXPECT_TRUE(acc.add(100));  // 200 > 127
  EXPECT_EQ(acc.value(), 200 - 256);
  EXPECT_TRUE(acc.add(-200));  // -56-200 = -256 < -128
  EXPECT_EQ(acc.value(), 0);
  Accumulator a32(32);
  EXPECT_FALSE(a32.add(2147483647LL));
  EXPECT_TRUE(a32.add(1));
  EXPECT_EQ(a32.value(), -2147483648LL);
  for (int bits = 2; bits <= 63; ++bits) {
    const std::int64_t hi = (std::int64_t{1} << (bits - 1)) - 1;
    EXPECT_TRUE(Accumulator::fits(hi, bits));
    EXPECT_FALSE(Accumulator::fits(hi + 1, bits));
    EXPECT_TRUE(Accumulator::fits(-hi - 1, bits));
    EXPECT_FALSE(Accumulator::fits(-hi - 2, bits));
    EXPECT_EQ(Accumulator::wrap(hi + 1, bits), -hi - 1);
  }
}

TEST(Names, RoundTrip) {
  for (Rounding r : kModes) EXPECT_EQ(parse_enum<Rounding>(to_string(r)), r);
  for (const char* d : {"int8", "int4", "bsparq", "vsparq"}) EXPECT_EQ(find_pe_design(d).name(), d);
  EXPECT_EQ(pe_designs().size(), 4u);
  EXPECT_THROW(parse_enum<Rounding>("nearest"), std::invalid_argument);
  EXPECT_THROW(find_pe_design("fp8"), std::invalid_argument);
}
