// Each SystemC datapath block against the bit-exact core, exhaustively over
// its input domain: every 8-bit activation (LOD/shift encoder, window
// select), every activation pair (zero detectors, pair encoder, pair
// multiplexer + multipliers), every window x shift x weight (shifting
// multiplier), every activation x weight (int8 multiplier), every partial sum
// x addend of an 8-bit accumulator. Each test elaborates in a fresh context.
#include <gtest/gtest.h>

#include <systemc>

#include "accumulator_adder.h"
#include "int8_multiplier.h"
#include "lod_shift_encoder.h"
#include "pair_encoder.h"
#include "pair_mux.h"
#include "pe_datapath.h"
#include "shift_multiplier.h"
#include "sim_context.h"
#include "window_select.h"
#include "zero_detector.h"

using namespace sparq;
using namespace sparq::hw;
using sc_core::sc_signal;

namespace {

void settle() {
  sc_core::sc_start(1, sc_core::SC_NS);
}

std::vector<PeArith> pair_designs() {
  return {
      PeArith::vsparq(4, preset("5opt", Rounding::Round)),
      PeArith::vsparq(4, preset("5opt", Rounding::Trunc)),
      PeArith::vsparq(4, preset("5opt", Rounding::RoundRenorm)),
      PeArith::vsparq(4, preset("3opt", Rounding::Round)),
      PeArith::vsparq(4, preset("2opt", Rounding::RoundRenorm)),
      PeArith::vsparq(3),
      PeArith::vsparq(2, preset("5opt", Rounding::Trunc)),
      PeArith::bsparq(preset("3opt", Rounding::Round)),
      PeArith::int4(),
  };
}

}  // namespace

TEST(Blocks, LodShiftEncoderAllActivations) {
  for (const auto& name : preset_names()) {
    ScopedSimContext ctx;
    const WindowSpec spec = preset(name), alt = preset("8b");
    LodShiftEncoder enc("enc", spec, alt);
    sc_signal<unsigned> a("a");
    sc_signal<bool> sel("sel");
    sc_signal<int> msb("msb");
    sc_signal<unsigned> shift("shift");
    enc.a(a);
    enc.sel(sel);
    enc.msb(msb);
    enc.shift(shift);
    for (int s = 0; s < 2; ++s)
      for (int x = 0; x < 256; ++x) {
        a.write(static_cast<unsigned>(x));
        sel.write(s == 1);
        settle();
        const int p = leading_one(static_cast<std::uint8_t>(x));
        ASSERT_EQ(msb.read(), p) << name << " a=" << x;
        ASSERT_EQ(shift.read(), static_cast<unsigned>(encode_shift(p, s ? alt : spec))) << name << " a=" << x;
      }
  }
}

// Encoder + window select wired as in the PE equal the core's select_window;
// the window select alone equals select_window_at at every allowed shift.
TEST(Blocks, WindowSelectAllActivationsAndShifts) {
  for (const auto& name : preset_names())
    for (Rounding r : {Rounding::Trunc, Rounding::Round, Rounding::RoundRenorm}) {
      ScopedSimContext ctx;
      const WindowSpec spec = preset(name, r);
      LodShiftEncoder enc("enc", spec, spec);
      WindowSelect win("win", spec, spec);
      sc_signal<unsigned> a("a"), shift("shift"), v("v"), s("s"), forced("forced");
      sc_signal<bool> sel("sel"), ru("ru"), sat("sat"), ru2("ru2"), sat2("sat2"), use_forced("use_forced");
      sc_signal<int> msb("msb");
      enc.a(a);
      enc.sel(sel);
      enc.msb(msb);
      enc.shift(shift);
      win.a(a);
      win.shift(shift);
      win.sel(sel);
      win.v(v);
      win.s(s);
      win.rounded_up(ru);
      win.saturated(sat);
      WindowSelect alone("alone", spec, spec);
      sc_signal<unsigned> v2("v2"), s2("s2");
      alone.a(a);
      alone.shift(forced);
      alone.sel(sel);
      alone.v(v2);
      alone.s(s2);
      alone.rounded_up(ru2);
      alone.saturated(sat2);
      for (int x = 0; x < 256; ++x)
        for (int sh : spec.shifts()) {
          a.write(static_cast<unsigned>(x));
          forced.write(static_cast<unsigned>(sh));
          settle();
          const Window w = select_window(static_cast<std::uint8_t>(x), spec);
          ASSERT_EQ(v.read(), w.v) << name << " a=" << x;
          ASSERT_EQ(s.read(), w.s) << name << " a=" << x;
          ASSERT_EQ(ru.read(), w.rounded_up) << name << " a=" << x;
          ASSERT_EQ(sat.read(), w.saturated) << name << " a=" << x;
          const Window w2 = select_window_at(static_cast<std::uint8_t>(x), sh, spec);
          ASSERT_EQ(v2.read(), w2.v) << name << " a=" << x << " s=" << sh;
          ASSERT_EQ(s2.read(), w2.s) << name << " a=" << x << " s=" << sh;
          ASSERT_EQ(sat2.read(), w2.saturated);
        }
    }
}

TEST(Blocks, ZeroDetectorAllPairs) {
  ScopedSimContext ctx;
  ZeroDetector zd("zd");
  sc_signal<unsigned> a1("a1"), a2("a2"), mode("mode");
  sc_signal<bool> z1("z1"), z2("z2");
  zd.a1(a1);
  zd.a2(a2);
  zd.z1(z1);
  zd.z2(z2);
  zd.mode(mode);
  for (int x = 0; x < 256; ++x)
    for (int y = 0; y < 256; ++y) {
      a1.write(static_cast<unsigned>(x));
      a2.write(static_cast<unsigned>(y));
      settle();
      ASSERT_EQ(mode.read(),
                static_cast<unsigned>(classify_pair(static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y))));
      ASSERT_EQ(z1.read(), x == 0);
      ASSERT_EQ(z2.read(), y == 0);
    }
}

// The front end (zero detectors, lane mux, two encoders, two window selects,
// output gating) equals encode_pair for all 65,536 pairs, per design.
TEST(Blocks, PairEncoderAllPairs) {
  for (const PeArith& pe : pair_designs()) {
    ScopedSimContext ctx;
    PairEncoder fe("fe", pe);
    sc_signal<std::uint32_t> raw("raw"), enc("enc");
    fe.raw(raw);
    fe.enc(enc);
    for (int x = 0; x < 256; ++x)
      for (int y = 0; y < 256; ++y) {
        raw.write(pack_raw_pair(static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y)));
        settle();
        const EncodedPair e = encode_pair(static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y), pe);
        ASSERT_EQ(enc.read(), pack_encoded(e, pe))
            << to_string(pe.design) << " " << pe.window.n << " a=" << x << "," << y;
      }
  }
}

// Pair mux + two shifting multipliers + lane adder: the pair's product for
// every activation pair, against extreme and ordinary weight pairs.
TEST(Blocks, PairMuxAndMultipliersAllPairs) {
  const std::vector<std::pair<int, int>> weights = {{-128, 127}, {127, -128}, {-1, 1}, {0, -77}, {93, -5}};
  for (const PeArith& pe : {PeArith::vsparq(4), PeArith::vsparq(3), PeArith::vsparq(2),
                            PeArith::bsparq(preset("5opt", Rounding::RoundRenorm)), PeArith::int4()}) {
    ScopedSimContext ctx;
    PairMux mux("mux", pe);
    ShiftMultiplier m0("m0"), m1("m1");
    sc_signal<std::uint32_t> enc("enc"), w("w");
    sc_signal<unsigned> v0("v0"), s0("s0"), v1("v1"), s1("s1");
    sc_signal<int> w0("w0"), w1("w1"), p0("p0"), p1("p1");
    mux.enc(enc);
    mux.w(w);
    mux.v0(v0);
    mux.s0(s0);
    mux.v1(v1);
    mux.s1(s1);
    mux.w0(w0);
    mux.w1(w1);
    m0.v(v0);
    m0.s(s0);
    m0.w(w0);
    m0.p(p0);
    m1.v(v1);
    m1.s(s1);
    m1.w(w1);
    m1.p(p1);
    for (int x = 0; x < 256; ++x)
      for (int y = 0; y < 256; ++y) {
        const EncodedPair e = encode_pair(static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y), pe);
        enc.write(pack_encoded(e, pe));
        for (const auto& [a, b] : weights) {
          w.write(pack_weight_pair(static_cast<std::int8_t>(a), static_cast<std::int8_t>(b)));
          settle();
          ASSERT_EQ(p0.read() + p1.read(), pair_product(e, static_cast<std::int8_t>(a), static_cast<std::int8_t>(b)))
              << to_string(pe.design) << " a=" << x << "," << y << " w=" << a << "," << b;
          // Each multiplier sees an n-bit window.
          ASSERT_LT(v0.read(), 1u << pe.window.n);
          ASSERT_LT(v1.read(), 1u << pe.window.n);
        }
      }
  }
}

TEST(Blocks, ShiftMultiplierAllOperands) {
  ScopedSimContext ctx;
  ShiftMultiplier m("m");
  sc_signal<unsigned> v("v"), s("s");
  sc_signal<int> w("w"), p("p");
  m.v(v);
  m.s(s);
  m.w(w);
  m.p(p);
  for (int sh = 0; sh < 8; ++sh)
    for (int x = 0; x < 256; ++x)
      for (int y = -128; y < 128; ++y) {
        v.write(static_cast<unsigned>(x));
        s.write(static_cast<unsigned>(sh));
        w.write(y);
        settle();
        Window win;
        win.v = static_cast<std::uint8_t>(x);
        win.s = static_cast<std::uint8_t>(sh);
        ASSERT_EQ(p.read(), shift_multiply(win, static_cast<std::int8_t>(y)));
      }
}

TEST(Blocks, Int8MultiplierAllOperands) {
  for (bool sgn : {false, true}) {
    ScopedSimContext ctx;
    Int8Multiplier m("m", sgn);
    sc_signal<std::uint32_t> a("a"), w("w");
    sc_signal<int> p("p");
    m.a(a);
    m.w(w);
    m.p(p);
    for (int x = 0; x < 256; ++x)
      for (int y = 0; y < 256; ++y) {
        a.write(static_cast<std::uint32_t>(x));
        w.write(static_cast<std::uint32_t>(y));
        settle();
        ASSERT_EQ(p.read(), int8_product(static_cast<std::uint8_t>(x),
                                         static_cast<std::int8_t>(static_cast<std::uint8_t>(y)), sgn));
      }
  }
}

// 8-bit accumulator: every partial sum x every addend in [-512, 511] against
// the core's Accumulator; then the 64-bit corner cases.
TEST(Blocks, AccumulatorAdderAllOperands) {
  ScopedSimContext ctx;
  AccumulatorAdder add8("add8", 8), add64("add64", 64);
  sc_signal<std::int64_t> acc("acc"), x("x"), sum8("sum8"), sum64("sum64");
  sc_signal<bool> ovf8("ovf8"), ovf64("ovf64");
  add8.acc(acc);
  add8.x(x);
  add8.sum(sum8);
  add8.overflow(ovf8);
  add64.acc(acc);
  add64.x(x);
  add64.sum(sum64);
  add64.overflow(ovf64);
  for (int a = -128; a < 128; ++a)
    for (int b = -512; b < 512; ++b) {
      acc.write(a);
      x.write(b);
      settle();
      Accumulator ref(8);
      ref.add(a);
      const bool o = ref.add(b);
      ASSERT_EQ(sum8.read(), ref.value()) << a << "+" << b;
      ASSERT_EQ(ovf8.read(), o) << a << "+" << b;
    }
  const std::int64_t mx = INT64_MAX, mn = INT64_MIN;
  for (const auto& [a, b] : std::vector<std::pair<std::int64_t, std::int64_t>>{{mx, 1}, {mn, -1}, {mx, mn}, {-5, 3}}) {
    acc.write(a);
    x.write(b);
    settle();
    const bool wraps = (b > 0 && a > mx - b) || (b < 0 && a < mn - b);
    EXPECT_EQ(ovf64.read(), wraps);
    EXPECT_EQ(static_cast<std::uint64_t>(sum64.read()), static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
  }
}

// Plain-C++ wiring shared by both fidelities: the encoded-operand register
// layout round-trips, and the pair mux's routing keeps the product.
TEST(Blocks, EncodedLayoutRoundTripsAndRoutingKeepsProduct) {
  for (const PeArith& pe : pair_designs())
    for (int x = 0; x < 256; ++x)
      for (int y = 0; y < 256; ++y) {
        const EncodedPair e = encode_pair(static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y), pe);
        const std::uint32_t p = pack_encoded(e, pe);
        ASSERT_LT(p, 1u << 24);
        const EncodedPair d = unpack_encoded(p, pe);
        ASSERT_EQ(d.mode, e.mode);
        for (int l = 0; l < 2; ++l) {
          ASSERT_EQ(d.lane[l].v, e.lane[l].v);
          ASSERT_EQ(d.lane[l].s, e.lane[l].s);
        }
        const LaneOperands o = route_pair(e, -128, 127, pe);
        ASSERT_EQ(shift_multiply(o.lane[0], o.w[0]) + shift_multiply(o.lane[1], o.w[1]), pair_product(e, -128, 127));
      }
}
