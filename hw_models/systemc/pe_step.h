// One PE's clock edge, written once for both fidelities (plain C++, no
// SystemC): given the PE's registers and what arrives at its inputs during the
// cycle, compute the registers after the edge and count the cycle's events.
// The structural PEs (WsPe, OsPe) call ws_step / os_step from their clocked
// process; the fast model inlines them in its row loops.
//
// Two policies keep one step exact for both fidelities without duplicating it:
//   Dp (the combinational datapath): the multiplier inputs, the product, the
//     multiplier slots a slot occupies and the accumulator adder. The
//     structural PE evaluates its datapath block modules (BlockDatapath,
//     pe_datapath_block.h); the fast model reads the operand memory's
//     precomputed encodings (FastDatapath, fast_array.cpp). The fast int8
//     datapath counts no multiplier-input toggles per PE: the fast array
//     derives them from register toggles (see int8_mult_toggles), so its
//     sample() does nothing and kCountBusy is false (busy = active).
//   Sink (the event counters): CounterSink adds to a PE's HwCounters; the
//     fast model sums a row into packed words (fast_array.cpp).
//
// Dp must provide:
//   static constexpr bool kCountBusy, kCountLod, kTracksIdx;
//   void sample(PeRegs&, const Operand&, std::uint32_t w, Sink&);  // first, every cycle
//   std::int64_t product(const Operand&, std::uint32_t w);         // enabled slots
//   int busy(const Operand&);                                      // active slots (kCountBusy)
//   bool lod() const;                                              // in-PE LOD (kCountLod)
//   template <bool Wide, class Sink> std::int64_t add(const AccRange&, std::int64_t acc,
//                                         std::int64_t x, bool count, Sink&);  // count: overflows
#pragma once

#include <cstdint>

#include "pe_datapath.h"

#define SPARQ_ALWAYS_INLINE inline __attribute__((always_inline))

namespace sparq::hw {

// One PE's registers (reset value 0).
struct PeRegs {
  std::int64_t psum = 0;      // ws partial-sum register / os accumulator
  std::uint32_t a = 0;        // horizontal operand register (payload)
  std::uint32_t a_idx = 0;    // fast model: its activation entry (OperandMemory index)
  std::uint32_t w = 0;        // ws stationary weight register / os weight register flowing down
  std::uint32_t tap = 0;      // multiplier input bits last sampled
  std::uint32_t key_a = ~0u;  // the operand and weight `tap` was computed from
  std::uint32_t key_w = ~0u;  //   (no operand matches ~0: forces a first sample)
  std::uint8_t a_ctl = 0;     // control bits of the operand slot
  std::uint8_t ctl2 = 0;      // ws: psum control; os: weight slot control
  // Double buffering (docs/hardware.md "Weight buffering"): ws the shadow
  // weight register and the column-mapped bits of the active (bit 0) and
  // shadow (bit 1) weights; os the output register.
  std::uint8_t wmap = 0;
  std::uint32_t shadow = 0;
  std::int64_t out = 0;
};

// An operand slot at a PE input: payload, control bits and (fast model) the
// activation entry it came from.
struct Operand {
  std::uint32_t pay = 0;
  std::uint32_t idx = 0;
  std::uint8_t ctl = 0;
};

// The acc_bits register's range.
struct AccRange {
  explicit AccRange(int acc_bits)
      : mask(width_mask(acc_bits)),
        lo(acc_bits >= 64 ? INT64_MIN : -(std::int64_t{1} << (acc_bits - 1))),
        span(acc_bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << acc_bits) - 1u),
        bits(acc_bits) {}
  std::uint64_t mask;  // acc_bits ones
  std::int64_t lo;     // smallest value
  std::uint64_t span;  // largest - smallest
  int bits;
};

// a + b computed inline; true if it stays in the register's range (Wide:
// acc_bits = 64, where only the int64 addition can overflow; otherwise a
// register value plus a product cannot overflow int64).
template <bool Wide>
SPARQ_ALWAYS_INLINE bool add_in_range(const AccRange& x, std::int64_t a, std::int64_t b, std::int64_t* v) {
  if constexpr (Wide) {
    return !__builtin_add_overflow(a, b, v);
  } else {
    *v = a + b;
    return static_cast<std::uint64_t>(*v) - static_cast<std::uint64_t>(x.lo) <= x.span;
  }
}
// The rare case, out of line: the wrapped sum (wrapped_add) and whether the
// exact sum left the range. Returned by value so that no counter's address
// escapes the inlined loops (it would keep them out of registers).
struct WrappedSum {
  std::int64_t v;
  bool overflow;
};
__attribute__((noinline)) inline WrappedSum add_wrapped(int bits, std::int64_t a, std::int64_t b) {
  WrappedSum r{0, false};
  r.v = wrapped_add(a, b, bits, &r.overflow);
  return r;
}
// Wrapped a + b, counting an overflow into ovf.
template <bool Wide>
SPARQ_ALWAYS_INLINE std::int64_t acc_add(const AccRange& x, std::int64_t a, std::int64_t b, std::uint64_t& ovf) {
  std::int64_t v;
  if (__builtin_expect(add_in_range<Wide>(x, a, b, &v), 1)) return v;
  const WrappedSum r = add_wrapped(x.bits, a, b);
  ovf += r.overflow;
  return r.v;
}

SPARQ_ALWAYS_INLINE std::uint64_t psum_hamming(const AccRange& x, std::int64_t a, std::int64_t b) {
  return static_cast<std::uint64_t>(
      __builtin_popcountll((static_cast<std::uint64_t>(a) ^ static_cast<std::uint64_t>(b)) & x.mask));
}

// Multiplier-input toggles: the inputs bits(a, w) are recomputed only when the
// operand or the weight changed (they are a function of both).
template <class Sink, class Bits>
SPARQ_ALWAYS_INLINE bool sample_mult(PeRegs& q, std::uint32_t a, std::uint32_t w, std::uint32_t weight_mask, Sink& k,
                                     Bits bits) {
  if (a == q.key_a && w == q.key_w) return false;
  q.key_a = a;
  q.key_w = w;
  const std::uint32_t b = bits();
  const std::uint32_t d = q.tap ^ b;
  k.mult(static_cast<std::uint64_t>(__builtin_popcount(d)),
         static_cast<std::uint64_t>(__builtin_popcount(d & weight_mask)));
  q.tap = b;
  return true;
}

// Event counts into one HwCounters (the structural PEs).
struct CounterSink {
  HwCounters& k;
  SPARQ_ALWAYS_INLINE void ws_slot(std::uint32_t en, std::uint32_t valid, std::uint32_t active) {
    k.act_writes += en;
    k.psum_writes += valid;
    k.reg_writes += en + valid;
    k.pe_active += active;
  }
  SPARQ_ALWAYS_INLINE void os_slot(std::uint32_t aen, std::uint32_t both, std::uint32_t ben) {
    k.act_writes += aen;
    k.psum_writes += both;
    k.weight_writes += ben;
    k.reg_writes += aen + both + ben;
    k.pe_active += both;
  }
  SPARQ_ALWAYS_INLINE void weight_load() {
    ++k.weight_writes;
    ++k.reg_writes;
  }
  SPARQ_ALWAYS_INLINE void drain_write() {
    ++k.psum_writes;
    ++k.reg_writes;
  }
  SPARQ_ALWAYS_INLINE void psum_writes(std::uint32_t n) {
    k.psum_writes += n;
    k.reg_writes += n;
  }
  SPARQ_ALWAYS_INLINE void swap(std::uint64_t t) { k.weight_toggles += t; }
  SPARQ_ALWAYS_INLINE void toggles(std::uint64_t act, std::uint64_t psum) {
    k.act_toggles += act;
    k.psum_toggles += psum;
  }
  SPARQ_ALWAYS_INLINE void weight(std::uint64_t t) { k.weight_toggles += t; }
  SPARQ_ALWAYS_INLINE void mult(std::uint64_t all, std::uint64_t weight_side) {
    k.mult_toggles += all;
    k.mult_w_toggles += weight_side;
  }
  SPARQ_ALWAYS_INLINE void busy(std::uint64_t n) { k.mult_busy += n; }
  SPARQ_ALWAYS_INLINE void lod(std::uint64_t n) { k.lod_pe += n; }
  SPARQ_ALWAYS_INLINE void overflow(bool o) { k.overflows += o; }
};

// Weight-stationary PE. Top: row 0 (the partial sum enters as 0, its slot is
// the operand's). Load: the weight register shifts in w_in. Mapped: the
// column holds an output of the GEMM. A disabled slot contributes a zero
// product and leaves the data registers as they are (selects, not branches:
// slot patterns change every cycle). Returns the operand register's toggles.
// Double (double buffering): Load shifts w_in (and its column-mapped bit
// w_in_map) into the shadow register instead; the slot marked kFirst
// multiplies with the shadow weight (a mux in front of the multiplier) and
// the active weight register takes it at the edge (the swap, before the
// shadow shifts); Mapped is the active (or swapped-in) weight's bit.
template <bool Wide, bool Top, bool Load, bool Mapped, bool Double = false, class Dp, class Sink>
SPARQ_ALWAYS_INLINE std::uint64_t ws_step(Dp& dp, const AccRange& x, PeRegs& q, const Operand& ain, std::int64_t pin,
                                          std::uint8_t pin_ctl, std::uint32_t w_in, Sink& k,
                                          std::uint8_t w_in_map = 0) {
  const bool swap = Double && (ain.ctl & kFirst);
  const std::uint32_t wv = swap ? q.shadow : q.w;
  dp.sample(q, ain, wv, k);
  const std::uint32_t en = (ain.ctl >> 1) & 1u;
  if constexpr (Top) {
    pin_ctl = static_cast<std::uint8_t>(ain.ctl & (kValid | kLast));
    pin = 0;
  }
  const std::uint32_t valid = pin_ctl & kValid;
  std::uint32_t act_en = Mapped ? en : 0u;
  if constexpr (Double) act_en = en & ((swap ? q.wmap >> 1 : q.wmap) & 1u);
  k.ws_slot(en, valid, act_en);
  if constexpr (Dp::kCountLod) k.lod(en & static_cast<std::uint32_t>(dp.lod()));
  if constexpr (Dp::kCountBusy)
    if (act_en) k.busy(static_cast<std::uint64_t>(dp.busy(ain)));
  const std::int64_t prod = en ? dp.product(ain, wv) : 0;
  // Only a valid, enabled slot can leave the range, and only it counts an overflow.
  const std::int64_t v = dp.template add<Wide>(x, pin, prod, valid != 0, k);
  const std::int64_t old = q.psum;
  const std::int64_t nv = valid ? v : old;
  const std::uint32_t na = en ? ain.pay : q.a;
  const std::uint64_t ta = static_cast<std::uint64_t>(__builtin_popcount(q.a ^ na));
  k.toggles(ta, psum_hamming(x, old, nv));
  q.psum = nv;
  q.ctl2 = pin_ctl;
  q.a = na;
  if constexpr (Dp::kTracksIdx) q.a_idx = en ? ain.idx : q.a_idx;
  q.a_ctl = ain.ctl;
  if constexpr (Double) {
    if (swap) {
      k.swap(static_cast<std::uint64_t>(__builtin_popcount(q.w ^ q.shadow)));
      k.weight_load();
      q.w = q.shadow;
      q.wmap = static_cast<std::uint8_t>((q.wmap & 2u) | ((q.wmap >> 1) & 1u));
    }
    if constexpr (Load) {
      k.weight(static_cast<std::uint64_t>(__builtin_popcount(q.shadow ^ w_in)));
      k.weight_load();
      q.shadow = w_in;
      q.wmap = static_cast<std::uint8_t>((q.wmap & 1u) | ((w_in_map & 1u) << 1));
    }
  } else if constexpr (Load) {
    k.weight(static_cast<std::uint64_t>(__builtin_popcount(wv ^ w_in)));
    k.weight_load();
    q.w = w_in;
  }
  return ta;
}

// Output-stationary PE: operand from the left, weight slot (b_in, b_ctl) from
// above; the accumulator adds the product when both slots carry data. Drain:
// the accumulator takes acc_in (the PE above's; 0 in the top row). Returns the
// operand register's toggles; the weight register's go to k.weight().
// Double (double buffering): the slot marked kLast ends the PE's fold: the
// adder's result goes to the output register and the accumulator clears
// (both written); Drain shifts the output registers instead (acc_in: the
// output register above; the top row holds).
template <bool Wide, bool Drain, bool Double = false, bool Top = false, class Dp, class Sink>
SPARQ_ALWAYS_INLINE std::uint64_t os_step(Dp& dp, const AccRange& x, PeRegs& q, const Operand& ain, std::uint32_t b_in,
                                          std::uint8_t b_ctl, std::int64_t acc_in, Sink& k) {
  dp.sample(q, ain, b_in, k);
  const std::uint32_t aen = (ain.ctl >> 1) & 1u, ben = (b_ctl >> 1) & 1u, both = aen & ben;
  k.os_slot(aen, both, ben);
  if constexpr (Dp::kCountLod) k.lod(aen & static_cast<std::uint32_t>(dp.lod()));
  if constexpr (Dp::kCountBusy)
    if (both) k.busy(static_cast<std::uint64_t>(dp.busy(ain)));
  const std::int64_t old = q.psum;
  const std::int64_t prod = both ? dp.product(ain, b_in) : 0;
  // old is a register value: only an enabled product can leave the range.
  std::int64_t v = dp.template add<Wide>(x, old, prod, true, k);
  std::uint64_t tp;
  if constexpr (Double) {
    if (ain.ctl & kLast) {  // capture (kLast comes only with a valid slot)
      tp = psum_hamming(x, old, 0) + psum_hamming(x, q.out, v);
      q.out = v;
      v = 0;
      k.psum_writes(2u - both);  // both: the adder's write counted by os_slot
    } else {
      tp = psum_hamming(x, old, v);
      if constexpr (Drain && !Top) {
        tp += psum_hamming(x, q.out, acc_in);
        q.out = acc_in;
        k.drain_write();
      }
    }
  } else {
    tp = psum_hamming(x, old, v);
    if constexpr (Drain) {
      tp += psum_hamming(x, v, acc_in);
      v = acc_in;
      k.drain_write();
    }
  }
  q.psum = v;
  const std::uint32_t na = aen ? ain.pay : q.a;
  const std::uint64_t ta = static_cast<std::uint64_t>(__builtin_popcount(q.a ^ na));
  k.toggles(ta, tp);
  q.a = na;
  if constexpr (Dp::kTracksIdx) q.a_idx = aen ? ain.idx : q.a_idx;
  q.a_ctl = ain.ctl;
  const std::uint32_t nb = ben ? b_in : q.w;
  k.weight(static_cast<std::uint64_t>(__builtin_popcount(q.w ^ nb)));
  q.w = nb;
  q.ctl2 = b_ctl;
  return ta;
}

}  // namespace sparq::hw
